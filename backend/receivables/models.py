"""Receivables: invoices with due dates, money received (and paid back), allocations, and the
append-only entries that make up each customer's balance.

`Invoice.open_fen` and `Customer.balance_fen` are caches of the sums of `ArEntry` rows, kept in
SQL in the same transaction. Signs: an entry's amount is positive when the customer owes more.
"""

from __future__ import annotations

import peewee as pw

from backend import clock
from backend.auth.models import User
from backend.db import BaseModel
from backend.kernel.models import Customer, Order

# stored_value: paid from a member's balance (store/members.py), money account 2203.
PAYMENT_METHODS = ("cash", "wechat", "bank_transfer", "stored_value")
ENTRY_KINDS = ("invoice", "payment", "credit_note", "refund", "adjustment")
# What an adjustment against one invoice is for (adjustments.py says how each is booked).
ADJUSTMENT_KINDS = ("discount", "rounding", "price_correction", "dispute_settlement")


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
        # (invoice, created_at, amount_fen): aging as of a past day sums an invoice's entries written
        # before the end of that day from this index alone (migration 0070, which says why).
        # (customer, created_at): one statement period is read without reading the history (0072).
        indexes = (
            (("customer",), False),
            (("invoice", "created_at", "amount_fen"), False),
            (("customer", "created_at"), False),
        )
        constraints = [pw.Check("amount_fen <> 0")]


class Adjustment(BaseModel):
    """What is owed on one invoice lowered (a discount, 抹零, a price correction, a settled dispute) or,
    for a price correction, raised; its `ArEntry` (kind "adjustment") carries the same signed amount.
    Never edited: a mistaken adjustment is answered by another one."""

    invoice = pw.ForeignKeyField(Invoice, backref="adjustments", on_delete="RESTRICT")
    customer = pw.ForeignKeyField(Customer, on_delete="RESTRICT")
    kind = pw.CharField(max_length=20)
    amount_fen = pw.BigIntegerField()  # signed like ArEntry: - lowers what is owed, + raises it
    vat_fen = pw.BigIntegerField(default=0)  # the output VAT part of amount_fen, same sign
    account_code = pw.CharField(max_length=8)  # where the other side of 1122 went (5001, 5603, 5301)
    reason = pw.TextField()
    # What this settles, when another module asked for it (e.g. ("statement_dispute", 7)); a
    # dispute settles at most one adjustment per invoice.
    source_type = pw.CharField(max_length=32, null=True)
    source_id = pw.BigIntegerField(null=True)
    approval_id = pw.IntegerField(null=True)  # the approval request it carried out, if any
    created_by = pw.ForeignKeyField(User, null=True, on_delete="RESTRICT")  # who applied it
    journal_entry_id = pw.IntegerField()
    created_at = pw.DateTimeField(default=clock.now)

    class Meta:
        indexes = ((("source_type", "source_id", "invoice"), True),)
        constraints = [
            pw.Check("amount_fen <> 0"),
            pw.Check("kind IN ('discount', 'rounding', 'price_correction', 'dispute_settlement')"),
            pw.Check("amount_fen < 0 OR kind = 'price_correction'"),
        ]


class AdjustmentThreshold(BaseModel):
    """The owner's setting, one row per change (the newest is in force): a staff member's adjustment
    above `threshold_fen` waits for the owner's approval."""

    threshold_fen = pw.BigIntegerField()
    changed_by = pw.ForeignKeyField(User, null=True, on_delete="RESTRICT")
    reason = pw.TextField(default="")
    created_at = pw.DateTimeField(default=clock.now)

    class Meta:
        constraints = [pw.Check("threshold_fen >= 0")]
