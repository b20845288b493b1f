"""Invariants of approvals, run by `yecai check`."""

from __future__ import annotations

import json

from backend.approvals.models import ApprovalRequest
from backend.audit import AuditEntry
from backend.checks import invariant


@invariant("approvals: every decision is by an owner other than the requester, and audited")
def decisions_are_sound() -> list[str]:
    problems = []
    decided = ApprovalRequest.select().where(ApprovalRequest.status != "pending")
    audited = {
        int(entry.target_id)
        for entry in AuditEntry.select(AuditEntry.target_id).where(
            AuditEntry.action.in_(["approval.approve", "approval.reject"])
        )
    }
    for row in decided:
        if row.decided_by_id is None or row.decided_at is None:
            problems.append(f"approval {row.id} is {row.status} without who decided it or when")
        elif row.decided_by_id == row.requested_by_id:
            problems.append(f"approval {row.id} was decided by the user who asked for it")
        if row.open_key is not None:
            problems.append(f"approval {row.id} is {row.status} but still holds its open key")
        if row.id not in audited:
            problems.append(f"approval {row.id} was {row.status} without an audit entry")
        json.loads(row.result or "{}")
    return problems
