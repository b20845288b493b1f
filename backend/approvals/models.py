"""Approval requests: something a staff member (or a nightly job) asks the owner to allow.

What an approved request does is not here: each kind registers a handler (services.register) that
carries the action out in the same transaction as the decision, so an approval can never be
recorded without its effect, nor the effect happen without the approval.
"""

from __future__ import annotations

import peewee as pw

from backend import clock
from backend.auth.models import User
from backend.db import BaseModel

STATUSES = ("pending", "approved", "rejected")


class ApprovalRequest(BaseModel):
    kind = pw.CharField(max_length=32, index=True)
    # What the request is about, e.g. ("customer", 12) or ("invoice", 40).
    subject_type = pw.CharField(max_length=32)
    subject_id = pw.CharField(max_length=64)
    payload = pw.TextField(default="{}")  # JSON: what the handler needs to carry it out
    amount_fen = pw.BigIntegerField(null=True)  # the money at stake, when there is one
    reason = pw.TextField(default="")
    requested_by = pw.ForeignKeyField(User, null=True, on_delete="RESTRICT")  # null: the system
    status = pw.CharField(max_length=16, default="pending", index=True)
    decided_by = pw.ForeignKeyField(User, null=True, on_delete="RESTRICT")
    decided_at = pw.DateTimeField(null=True)
    decision_note = pw.TextField(default="")
    result = pw.TextField(default="{}")  # JSON: what the approved action did (ids it created)
    # Set while pending for kinds that allow one open request per subject, cleared on decision:
    # a unique column does what a partial unique index would, on SQLite and PostgreSQL alike.
    open_key = pw.CharField(max_length=128, null=True, unique=True)
    created_at = pw.DateTimeField(default=clock.now)

    class Meta:
        indexes = ((("status", "kind"), False),)
        constraints = [
            pw.Check("status IN ('pending', 'approved', 'rejected')"),
            pw.Check("amount_fen IS NULL OR amount_fen >= 0"),
        ]
