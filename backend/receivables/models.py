"""Receivables: invoices with due dates, money received (and paid back), allocations, and the
append-only entries that make up each customer's balance.

`Invoice.open_fen` and `Customer.balance_fen` are caches of the sums of `ArEntry` rows, kept in
SQL in the same transaction. Signs: an entry's amount is positive when the customer owes more.
"""

from __future__ import annotations

import peewee as pw

from backend import clock
from backend.db import BaseModel
from backend.kernel.models import Customer, Order

# stored_value: paid from a member's balance (store/members.py), money account 2203.
PAYMENT_METHODS = ("cash", "wechat", "bank_transfer", "stored_value")
ENTRY_KINDS = ("invoice", "payment", "credit_note", "refund")


class Invoice(BaseModel):
    customer = pw.ForeignKeyField(Customer, backref="invoices", on_delete="RESTRICT")
    order = pw.ForeignKeyField(Order, null=True, unique=True, on_delete="RESTRICT")
    amount_fen = pw.BigIntegerField()
    open_fen = pw.BigIntegerField()  # cache: sum of this invoice's entries
    issued_on = pw.DateField()
    due_on = pw.DateField(index=True)
    created_at = pw.DateTimeField(default=clock.now)

    class Meta:
        constraints = [
            pw.Check("amount_fen > 0"),
            pw.Check("open_fen >= 0 AND open_fen <= amount_fen"),
        ]


# Aging reads only open invoices (migration 0055): a small index, however many paid ones pile up,
# holding every column aging sums.
Invoice.add_index(
    Invoice.index(
        Invoice.due_on,
        Invoice.customer,
        Invoice.open_fen,
        where=Invoice.open_fen > 0,
        name="invoice_open_due_on",
    )
)


class Payment(BaseModel):
    """Money in (direction 'in') or paid back (direction 'out'). `reference` makes capture idempotent."""

    customer = pw.ForeignKeyField(Customer, on_delete="RESTRICT")
    order = pw.ForeignKeyField(Order, null=True, on_delete="RESTRICT")
    direction = pw.CharField(max_length=3)  # in | out
    method = pw.CharField(max_length=16)
    amount_fen = pw.BigIntegerField()
    reference = pw.CharField(max_length=64, unique=True)
    created_at = pw.DateTimeField(default=clock.now)

    class Meta:
        constraints = [
            pw.Check("amount_fen > 0"),
            pw.Check("direction IN ('in', 'out')"),
            pw.Check("method IN ('cash', 'wechat', 'bank_transfer', 'stored_value')"),
        ]


class ArEntry(BaseModel):
    """One change to what a customer owes, tied to an invoice; never edited."""

    customer = pw.ForeignKeyField(Customer, on_delete="RESTRICT")
    invoice = pw.ForeignKeyField(Invoice, backref="entries", on_delete="RESTRICT")
    payment = pw.ForeignKeyField(Payment, null=True, on_delete="RESTRICT")
    kind = pw.CharField(max_length=12)
    amount_fen = pw.BigIntegerField()  # signed: + the customer owes more
    created_at = pw.DateTimeField(default=clock.now)

    class Meta:
        indexes = ((("customer",), False),)
        constraints = [pw.Check("amount_fen <> 0")]
