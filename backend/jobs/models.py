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
    # pending | sending | done | dead | needs_attention (an at-most-once send whose attempt never
    # finished: whether it went out is unknown, so a person decides, see registry.py)
    status = pw.CharField(max_length=16, default="pending")
    attempts = pw.IntegerField(default=0)
    run_after = pw.DateTimeField(default=clock.now)
    enqueued_at = pw.DateTimeField(null=True)  # last hand-over to rq
    created_at = pw.DateTimeField(default=clock.now)
    attempt_started_at = pw.DateTimeField(null=True)  # an at-most-once send's call, committed before it
    done_at = pw.DateTimeField(null=True)
    last_error = pw.TextField(default="")

    class Meta:
        indexes = ((("status", "run_after"), False),)
