"""Fapiao (发票) requests: a blue fapiao a customer asks for on one of their orders, and the red-letter
fapiao (红字发票) that reverses it, in whole or in part, when the order is refunded.

A request is issued after commit by an outbox job through the provider (`provider.py`); its number
and file are recorded when the provider answers. Never edited beyond that: a mistake is reversed by
a red fapiao.
"""

from __future__ import annotations

import peewee as pw

from backend import clock
from backend.auth.models import User
from backend.db import BaseModel
from backend.kernel.models import Customer, Order
from backend.receivables.models import Invoice

KINDS = ("blue", "red")
STATUSES = ("queued", "issued", "failed")
BUYER_TYPES = (0, 1)  # as wx.chooseInvoiceTitle answers: 0 a company (单位), 1 a person (个人)


class FapiaoRequest(BaseModel):
    customer = pw.ForeignKeyField(Customer, on_delete="RESTRICT")
    order = pw.ForeignKeyField(Order, on_delete="RESTRICT")
    invoice = pw.ForeignKeyField(Invoice, null=True, on_delete="RESTRICT")  # when asked for by invoice
    kind = pw.CharField(max_length=4)
    blue = pw.ForeignKeyField("self", null=True, backref="reds", on_delete="RESTRICT")  # a red's blue
    buyer_type = pw.SmallIntegerField()
    title = pw.CharField(max_length=100)
    tax_number = pw.CharField(max_length=20, default="")
    company_address = pw.CharField(max_length=100, default="")
    telephone = pw.CharField(max_length=40, default="")
    bank_name = pw.CharField(max_length=100, default="")
    bank_account = pw.CharField(max_length=40, default="")
    amount_fen = pw.BigIntegerField()  # VAT included (价税合计), positive for both kinds
    vat_fen = pw.BigIntegerField()
    # blue:order:<id> (one blue fapiao per order) or red:<refund reference> (one per refund).
    dedupe_key = pw.CharField(max_length=80, unique=True)
    refund_reference = pw.CharField(max_length=64, null=True)
    status = pw.CharField(max_length=8, default="queued", index=True)
    number = pw.CharField(max_length=20, null=True, unique=True)  # 发票号码, once issued
    failure = pw.CharField(max_length=255, default="")
    requested_by = pw.ForeignKeyField(User, null=True, on_delete="RESTRICT")  # null: the system (refund)
    created_at = pw.DateTimeField(default=clock.now)
    issued_at = pw.DateTimeField(null=True)

    class Meta:
        indexes = ((("order", "kind"), False),)
        constraints = [
            pw.Check("kind IN ('blue', 'red')"),
            pw.Check("status IN ('queued', 'issued', 'failed')"),
            pw.Check("buyer_type IN (0, 1)"),
            pw.Check("amount_fen > 0"),
            pw.Check("vat_fen >= 0 AND vat_fen <= amount_fen"),
            pw.Check("(kind = 'blue') = (blue_id IS NULL)"),
        ]


class FapiaoFile(BaseModel):
    """The file the provider produced (a PDF), kept in the database so every app node can serve it."""

    request = pw.ForeignKeyField(FapiaoRequest, unique=True, on_delete="RESTRICT")
    content_type = pw.CharField(max_length=64, default="application/pdf")
    content = pw.BlobField()
    sha256 = pw.CharField(max_length=64)
