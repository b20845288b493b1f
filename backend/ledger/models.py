"""The journal: double-entry vouchers with explicit debit and credit integer columns.

Lines name their account by code (小企业会计准则 chart in `chart.py`). An entry whose lines do not
balance is refused in code before insert and, on PostgreSQL, by a deferred constraint trigger at
commit (migration 0010). Entries are never edited: a correction is a reversing entry.
"""

from __future__ import annotations

import peewee as pw

from backend import clock
from backend.db import BaseModel


class Account(BaseModel):
    code = pw.CharField(max_length=8, unique=True)
    name_zh = pw.CharField(max_length=64)
    name_en = pw.CharField(max_length=64)
    kind = pw.CharField(max_length=12)  # asset | liability | equity | revenue | expense


class JournalEntry(BaseModel):
    event = pw.CharField(max_length=32, index=True)  # "order.paid", "order.shipped", ...
    memo = pw.CharField(max_length=255, default="")
    source_type = pw.CharField(max_length=16, default="")
    source_id = pw.IntegerField(null=True)
    posted_on = pw.DateField(index=True)  # the merchant's business date (clock.today())
    created_at = pw.DateTimeField(default=clock.now, index=True)  # a day's entries: clock.day_bounds

    class Meta:
        indexes = ((("source_type", "source_id"), False),)


class JournalLine(BaseModel):
    entry = pw.ForeignKeyField(JournalEntry, backref="lines", on_delete="RESTRICT")
    account_code = pw.CharField(max_length=8, index=True)
    debit_fen = pw.BigIntegerField(default=0)
    credit_fen = pw.BigIntegerField(default=0)
    customer_id = pw.IntegerField(null=True)  # receivable sub-ledger key, for 1122 lines

    class Meta:
        constraints = [
            pw.Check("debit_fen >= 0"),
            pw.Check("credit_fen >= 0"),
            pw.Check("(debit_fen = 0) <> (credit_fen = 0)"),  # exactly one side per line
        ]
