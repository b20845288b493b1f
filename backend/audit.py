"""The audit log: who did which privileged thing to what, appended in the same transaction."""

from __future__ import annotations

import json
from typing import Any

import peewee as pw

from backend import clock
from backend.db import BaseModel


class AuditEntry(BaseModel):
    actor_id = pw.IntegerField(null=True, index=True)  # null: the system (a job, the CLI)
    action = pw.CharField(max_length=64, index=True)
    target_type = pw.CharField(max_length=32, default="")
    target_id = pw.CharField(max_length=64, default="")
    detail = pw.TextField(default="{}")
    at = pw.DateTimeField(default=clock.now, index=True)


def record(
    actor_id: int | None, action: str, target_type: str = "", target_id: Any = "", **detail: Any
) -> None:
    AuditEntry.create(
        actor_id=actor_id,
        action=action,
        target_type=target_type,
        target_id=str(target_id),
        detail=json.dumps(detail, ensure_ascii=False, sort_keys=True, default=str),
    )
