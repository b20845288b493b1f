"""Period statements (对账单): what a customer is asked to confirm for a period of merchant days.

A statement is a snapshot: its lines copy each receivable entry of the period (date, kind, invoice,
description, amount, running balance) so that what the customer confirmed never moves, whatever is
posted later. Statements are never edited once their content is out: a new version supersedes an
old one (kept, status `superseded`), and a confirmed one is frozen with the hash of its content.
"""

from __future__ import annotations

import peewee as pw

from backend import clock
from backend.auth.models import User
from backend.db import BaseModel
from backend.kernel.models import Customer
from backend.receivables.models import ArEntry

STATUSES = ("draft", "sent", "confirmed", "disputed", "superseded")
DISPUTE_STATUSES = ("open", "resolved", "rejected")
NOTICE_PURPOSES = ("send", "remind")


class Statement(BaseModel):
    customer = pw.ForeignKeyField(Customer, on_delete="RESTRICT")
    period_start = pw.DateField()  # first merchant day of the period
    period_end = pw.DateField()  # last merchant day of the period (inclusive)
    version = pw.IntegerField(default=1)
    status = pw.CharField(max_length=12, default="draft")
    opening_fen = pw.BigIntegerField()
    debit_fen = pw.BigIntegerField()  # what was added to the balance in the period (invoices, interest)
    credit_fen = pw.BigIntegerField()  # what came off it (payments, credit notes, write-offs), positive
    closing_fen = pw.BigIntegerField()
    # Credit paid ahead and not yet applied at the period end (预收余额, 2203): the customer's next
    # invoices take it, so what they owe net is closing_fen - advance_fen.
    advance_fen = pw.BigIntegerField(default=0)
    line_count = pw.IntegerField()
    aging = pw.TextField(null=True)  # JSON: aging buckets of what is open at the period end
    content_hash = pw.CharField(max_length=64, null=True)  # sha256 of the content, set when confirmed
    supersedes = pw.ForeignKeyField("self", null=True, on_delete="RESTRICT")
    generated_by = pw.ForeignKeyField(User, null=True, on_delete="RESTRICT")
    created_at = pw.DateTimeField(default=clock.now)
    sent_at = pw.DateTimeField(null=True)
    reminders = pw.IntegerField(default=0)
    last_reminded_at = pw.DateTimeField(null=True)
    confirmed_at = pw.DateTimeField(null=True)
    confirmed_by = pw.ForeignKeyField(User, null=True, on_delete="RESTRICT", backref="+")
    confirmed_via = pw.CharField(max_length=8, null=True)  # api | link

    class Meta:
        indexes = (
            (("customer", "period_start", "version"), True),
            (("status", "sent_at"), False),
        )
        constraints = [
            pw.Check("period_end >= period_start"),
            pw.Check("version > 0"),
            pw.Check("status IN ('draft', 'sent', 'confirmed', 'disputed', 'superseded')"),
            pw.Check("closing_fen = opening_fen + debit_fen - credit_fen"),
        ]


class StatementLine(BaseModel):
    statement = pw.ForeignKeyField(Statement, backref="lines", on_delete="RESTRICT")
    seq = pw.IntegerField()  # 1, 2, ... in the order the entries were posted
    entry = pw.ForeignKeyField(ArEntry, on_delete="RESTRICT")
    on_date = pw.DateField()  # merchant day the entry was posted
    kind = pw.CharField(max_length=12)
    invoice_id = pw.IntegerField()
    order_id = pw.IntegerField(null=True)
    description = pw.CharField(max_length=200)
    amount_fen = pw.BigIntegerField()  # signed: + the customer owes more
    balance_fen = pw.BigIntegerField()  # running balance after this line

    class Meta:
        indexes = ((("statement", "seq"), True),)


class StatementDispute(BaseModel):
    """A line the customer does not agree with, and how staff resolved it."""

    statement = pw.ForeignKeyField(Statement, backref="disputes", on_delete="RESTRICT")
    line = pw.ForeignKeyField(StatementLine, on_delete="RESTRICT")
    note = pw.TextField()
    raised_by = pw.ForeignKeyField(User, null=True, on_delete="RESTRICT")  # null: through the signed link
    raised_via = pw.CharField(max_length=8)  # api | link
    status = pw.CharField(max_length=10, default="open")  # open | resolved | rejected
    resolved_by = pw.ForeignKeyField(User, null=True, on_delete="RESTRICT", backref="+")
    resolved_at = pw.DateTimeField(null=True)
    resolution_note = pw.TextField(default="")
    adjustment_id = pw.IntegerField(null=True)  # the adjustment that settled it
    adjustment_entry = pw.IntegerField(null=True)  # the receivable entry it posted
    created_at = pw.DateTimeField(default=clock.now)

    class Meta:
        indexes = ((("statement", "line"), True),)
        constraints = [pw.Check("status IN ('open', 'resolved', 'rejected')")]


class StatementNotice(BaseModel):
    """A message to the customer about a statement (sent, or a reminder), through the outbox."""

    statement = pw.ForeignKeyField(Statement, backref="notices", on_delete="RESTRICT")
    purpose = pw.CharField(max_length=8)  # send | remind
    number = pw.IntegerField(default=1)  # the reminder's number
    status = pw.CharField(
        max_length=16, default="queued"
    )  # queued | sent | no_wechat | not_subscribed | quota
    errcode = pw.IntegerField(null=True)
    msgid = pw.CharField(max_length=64, null=True)
    created_at = pw.DateTimeField(default=clock.now)
    sent_at = pw.DateTimeField(null=True)

    class Meta:
        indexes = ((("statement", "purpose", "number"), True),)
