"""Credit profiles: the terms a customer buys on account under, one row per version, never edited.

The newest version is the one in force. `Customer.credit_limit_fen` and `payment_terms_days` are
caches of it (the conditional update that opens a receivable compares against the limit on the
customer row itself, so that one statement decides a race).
"""

from __future__ import annotations

import peewee as pw

from backend import clock
from backend.auth.models import User
from backend.db import BaseModel
from backend.kernel.models import Customer

TERMS_KINDS = ("days", "month_end")  # N days after the invoice, or month-end plus N days (月结)
OVERDUE_ACTIONS = ("hold", "warn")  # overdue beyond grace: hold new orders on account, or only warn


class CreditProfile(BaseModel):
    customer = pw.ForeignKeyField(Customer, on_delete="RESTRICT")
    version = pw.IntegerField()
    limit_fen = pw.BigIntegerField()
    terms_kind = pw.CharField(max_length=12, default="days")
    terms_days = pw.IntegerField()
    grace_days = pw.IntegerField(default=0)
    # Late interest in parts per million of what is overdue, per day: 日万分之五 = 500.
    late_interest_ppm = pw.IntegerField(default=0)
    overdue_action = pw.CharField(max_length=8, default="hold")
    reason = pw.TextField(default="")
    changed_by = pw.ForeignKeyField(User, null=True, on_delete="RESTRICT")
    approval_id = pw.IntegerField(null=True)  # the approved request, for a staff member's change
    created_at = pw.DateTimeField(default=clock.now)

    class Meta:
        indexes = ((("customer", "version"), True),)
        constraints = [
            pw.Check("version > 0"),
            pw.Check("limit_fen >= 0"),
            pw.Check("terms_days >= 0"),
            pw.Check("grace_days >= 0"),
            pw.Check("late_interest_ppm >= 0"),
            pw.Check("terms_kind IN ('days', 'month_end')"),
            pw.Check("overdue_action IN ('hold', 'warn')"),
        ]


class CreditAllowance(BaseModel):
    """A one-off override granted ahead: one sale may pass the limit by up to `amount_fen` until `until`."""

    customer = pw.ForeignKeyField(Customer, on_delete="RESTRICT")
    amount_fen = pw.BigIntegerField()
    until = pw.DateField()
    reason = pw.TextField(default="")
    granted_by = pw.ForeignKeyField(User, on_delete="RESTRICT")
    approval_id = pw.IntegerField(null=True)
    used_at = pw.DateTimeField(null=True)
    used_for = pw.CharField(max_length=64, null=True)  # what used it, e.g. "order 12"
    created_at = pw.DateTimeField(default=clock.now)

    class Meta:
        indexes = ((("customer", "used_at"), False),)
        constraints = [pw.Check("amount_fen > 0")]
