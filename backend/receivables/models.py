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
# advance: the customer's unapplied credit (预收, 2203) applied to the invoice (backend/receivables/advances.py).
ENTRY_KINDS = ("invoice", "payment", "credit_note", "refund", "adjustment", "advance")
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
    # The staff member the money was handed to at the counter (a collection on account in cash or by
    # transfer): it counts in their shift's takings. None for money that arrived otherwise.
    received_by = pw.ForeignKeyField(User, null=True, on_delete="RESTRICT")

    class Meta:
        indexes = ((("received_by", "created_at"), False),)
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


# What moves a customer's unapplied credit (预收账款 2203): money received beyond what it was allocated
# to (received; negative when credit is paid back in money), credit applied to invoices (applied).
ADVANCE_KINDS = ("received", "applied")


class AdvanceAccount(BaseModel):
    """A customer's unapplied credit: a cache of the sum of their `AdvanceMovement` rows, moved in SQL
    in the same transaction (applying credit is `balance_fen = balance_fen - n WHERE balance_fen >= n`)."""

    customer = pw.ForeignKeyField(Customer, unique=True, on_delete="RESTRICT")
    balance_fen = pw.BigIntegerField(default=0)

    class Meta:
        table_name = "advance_account"
        constraints = [pw.Check("balance_fen >= 0")]


class AdvanceMovement(BaseModel):
    """One change to a customer's unapplied credit; never edited. Signed: + the credit grows."""

    customer = pw.ForeignKeyField(Customer, on_delete="RESTRICT")
    kind = pw.CharField(max_length=12)
    amount_fen = pw.BigIntegerField()
    payment = pw.ForeignKeyField(Payment, null=True, on_delete="RESTRICT")  # the money it came with
    invoice = pw.ForeignKeyField(Invoice, null=True, on_delete="RESTRICT")  # where it was applied
    actor_id = pw.IntegerField(null=True)
    created_at = pw.DateTimeField(default=clock.now)

    class Meta:
        table_name = "advance_movement"
        indexes = ((("customer",), False),)
        constraints = [pw.Check("amount_fen <> 0"), pw.Check("kind IN ('received', 'applied')")]


class CollectionBatch(BaseModel):
    """批量收款: one user's batch of collections, each line its own payment. Unique by `reference`;
    `content_hash` tells the same batch sent again from another batch under a reused reference."""

    reference = pw.CharField(max_length=64, unique=True)
    content_hash = pw.CharField(max_length=64)
    method = pw.CharField(max_length=16)
    total_fen = pw.BigIntegerField()
    memo = pw.CharField(max_length=255, default="")
    created_by = pw.IntegerField(null=True)
    created_at = pw.DateTimeField(default=clock.now)

    class Meta:
        table_name = "collection_batch"
        constraints = [pw.Check("total_fen > 0")]


class CollectionBatchLine(BaseModel):
    """One customer's payment in a batch; its allocations are that payment's `ArEntry` rows."""

    batch = pw.ForeignKeyField(CollectionBatch, backref="lines", on_delete="RESTRICT")
    line_no = pw.IntegerField()
    customer = pw.ForeignKeyField(Customer, on_delete="RESTRICT")
    payment = pw.ForeignKeyField(Payment, unique=True, on_delete="RESTRICT")
    amount_fen = pw.BigIntegerField()
    advance_fen = pw.BigIntegerField(default=0)  # what no invoice took: kept as the customer's credit

    class Meta:
        table_name = "collection_batch_line"
        indexes = ((("batch", "line_no"), True),)
        constraints = [pw.Check("amount_fen > 0"), pw.Check("advance_fen >= 0")]


# A bank statement line: collected (matched on import and recorded as a collection), queued (for
# staff to assign), assigned (staff named the customer: a collection), dismissed (not a customer's
# payment: interest, a refund from a supplier...).
BANK_LINE_STATUSES = ("collected", "queued", "assigned", "dismissed")


class BankImport(BaseModel):
    """One bank statement CSV uploaded (银行流水导入): what it held and what became of its lines."""

    filename = pw.CharField(max_length=128, default="")
    file_hash = pw.CharField(max_length=64, index=True)
    account = pw.CharField(max_length=32, default="")  # which bank account the statement is of
    encoding = pw.CharField(max_length=16)
    rows = pw.IntegerField(default=0)  # data rows in the file
    credits = pw.IntegerField(default=0)  # rows of money in
    duplicates = pw.IntegerField(default=0)  # credit rows already imported before
    created_by = pw.IntegerField(null=True)
    created_at = pw.DateTimeField(default=clock.now)

    class Meta:
        table_name = "bank_import"


class BankLine(BaseModel):
    """One credit line of a statement, once: `line_hash` (the bank's reference, or the line's content
    and its place among identical lines) makes a re-import of the same lines a no-op."""

    bank_import = pw.ForeignKeyField(BankImport, backref="lines", on_delete="RESTRICT")
    row_no = pw.IntegerField()
    line_hash = pw.CharField(max_length=64, unique=True)
    booked_on = pw.DateField()
    amount_fen = pw.BigIntegerField()
    payer_name = pw.CharField(max_length=128, default="")
    memo = pw.CharField(max_length=255, default="")
    bank_reference = pw.CharField(max_length=64, default="")
    status = pw.CharField(max_length=12, index=True)
    matched_by = pw.CharField(max_length=16, default="")  # invoice_number | payer_name | staff
    customer = pw.ForeignKeyField(Customer, null=True, on_delete="RESTRICT")
    payment = pw.ForeignKeyField(Payment, null=True, unique=True, on_delete="RESTRICT")
    note = pw.CharField(max_length=255, default="")
    decided_by = pw.IntegerField(null=True)
    decided_at = pw.DateTimeField(null=True)

    class Meta:
        table_name = "bank_line"
        constraints = [
            pw.Check("amount_fen > 0"),
            pw.Check("status IN ('collected', 'queued', 'assigned', 'dismissed')"),
        ]
