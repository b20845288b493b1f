"""The outbox: side effects written in the same transaction as the business change that causes them."""

from __future__ import annotations

import peewee as pw

from backend import clock
from backend.db import BaseModel


class OutboxMessage(BaseModel):
    job = pw.CharField(max_length=64)
    payload = pw.TextField(default="{}")  # JSON
    # Two business events asking for the same effect (e.g. "notify order 7 shipped") collapse into one.
    dedupe_key = pw.CharField(max_length=128, null=True, unique=True)
    status = pw.CharField(max_length=12, default="pending")  # pending | sending | done | dead
    attempts = pw.IntegerField(default=0)
    run_after = pw.DateTimeField(default=clock.now)
    enqueued_at = pw.DateTimeField(null=True)  # last hand-over to rq
    created_at = pw.DateTimeField(default=clock.now)
    done_at = pw.DateTimeField(null=True)
    last_error = pw.TextField(default="")

    class Meta:
        indexes = ((("status", "run_after"), False),)
