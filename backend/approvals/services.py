"""Ask, approve, reject. One transaction each; every request and decision lands in the audit log.

A domain that needs the owner's word registers a `Kind` once (at import) with the function that
carries out an approved request. `approve()` runs that function in the decision's own transaction:
if it refuses (stock gone, invoice already paid), nothing is decided and the request stays pending.

Rules that hold for every kind: only an owner decides; nobody decides a request they filed; a
request is decided once; a rejection says why.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import peewee as pw

from backend import audit, clock
from backend.approvals.errors import (
    AlreadyDecided,
    AlreadyRequested,
    ApprovalNotFound,
    NoteRequired,
    OwnerOnly,
    OwnRequest,
    UnknownApprovalKind,
)
from backend.approvals.models import ApprovalRequest
from backend.auth.models import User
from backend.db import locked, savepoint, transaction
from backend.errors import ValidationFailed

MAX_TEXT = 500

# approve(request, decider_id) -> what it did (JSON-able, kept on the request), run inside the decision.
Carry = Callable[[ApprovalRequest, int], dict[str, Any] | None]
# reject(request, decider_id): undo whatever was held for the request (optional).
Release = Callable[[ApprovalRequest, int], None]


@dataclass(frozen=True)
class Kind:
    name: str
    label_zh: str
    label_en: str
    approve: Carry
    reject: Release | None = None
    # At most one pending request per subject (a second ask is a 409 naming the first).
    one_open_per_subject: bool = False


_kinds: dict[str, Kind] = {}


def register(kind: Kind) -> Kind:
    if kind.name in _kinds and _kinds[kind.name] != kind:
        raise RuntimeError(f"approval kind {kind.name!r} registered twice")
    _kinds[kind.name] = kind
    return kind


def kind_of(name: str) -> Kind:
    try:
        return _kinds[name]
    except KeyError:
        raise UnknownApprovalKind(details={"kind": name, "known": sorted(_kinds)})


def kinds() -> list[Kind]:
    return [_kinds[name] for name in sorted(_kinds)]


def _text(value: str, field: str) -> str:
    value = (value or "").strip()
    if len(value) > MAX_TEXT:
        raise ValidationFailed(
            f"{field} is longer than {MAX_TEXT} characters",
            f"{field} 超过 {MAX_TEXT} 字",
            details={field: len(value)},
        )
    return value


def request(
    kind: str,
    *,
    subject_type: str,
    subject_id: Any,
    payload: dict[str, Any] | None = None,
    amount_fen: int | None = None,
    reason: str = "",
    requested_by: int | None,
) -> ApprovalRequest:
    """File a request for the owner. The caller has already checked that the action itself is valid."""
    spec = kind_of(kind)
    reason = _text(reason, "reason")
    open_key = f"{kind}:{subject_type}:{subject_id}" if spec.one_open_per_subject else None
    with transaction():
        try:
            with savepoint():
                row = ApprovalRequest.create(
                    kind=kind,
                    subject_type=subject_type,
                    subject_id=str(subject_id),
                    payload=json.dumps(payload or {}, ensure_ascii=False, sort_keys=True),
                    amount_fen=amount_fen,
                    reason=reason,
                    requested_by=requested_by,
                    open_key=open_key,
                )
        except pw.IntegrityError:
            first = ApprovalRequest.get(ApprovalRequest.open_key == open_key)
            raise AlreadyRequested(details={"approval_id": first.id})
        audit.record(
            requested_by,
            "approval.request",
            "approval",
            row.id,
            kind=kind,
            subject=f"{subject_type}:{subject_id}",
            amount_fen=amount_fen,
            reason=reason,
        )
    return row


def get(request_id: int) -> ApprovalRequest:
    row = ApprovalRequest.get_or_none(ApprovalRequest.id == request_id)
    if row is None:
        raise ApprovalNotFound(details={"approval_id": request_id})
    return row


def payload_of(row: ApprovalRequest) -> dict[str, Any]:
    loaded: dict[str, Any] = json.loads(row.payload or "{}")
    return loaded


def result_of(row: ApprovalRequest) -> dict[str, Any]:
    loaded: dict[str, Any] = json.loads(row.result or "{}")
    return loaded


def _locked_pending(request_id: int, decider_id: int) -> ApprovalRequest:
    decider = User.get_or_none(User.id == decider_id)
    if decider is None or decider.role != "owner" or decider.disabled_at is not None:
        raise OwnerOnly()
    row = locked(ApprovalRequest.select().where(ApprovalRequest.id == request_id)).first()
    if row is None:
        raise ApprovalNotFound(details={"approval_id": request_id})
    if row.status != "pending":
        raise AlreadyDecided(details={"approval_id": row.id, "status": row.status})
    if row.requested_by_id == decider_id:
        raise OwnRequest(details={"approval_id": row.id})
    return row


def _decide(
    row: ApprovalRequest, status: str, decider_id: int, note: str, result: dict[str, Any]
) -> ApprovalRequest:
    now = clock.now()
    updated = (
        ApprovalRequest.update(
            status=status,
            decided_by=decider_id,
            decided_at=now,
            decision_note=note,
            result=json.dumps(result, ensure_ascii=False, sort_keys=True, default=str),
            open_key=None,
        )
        .where((ApprovalRequest.id == row.id) & (ApprovalRequest.status == "pending"))
        .execute()
    )
    if updated != 1:  # SQLite has no row lock; its write lock makes this unreachable, but say so
        raise AlreadyDecided(details={"approval_id": row.id})
    audit.record(
        decider_id,
        f"approval.{'approve' if status == 'approved' else 'reject'}",
        "approval",
        row.id,
        kind=row.kind,
        subject=f"{row.subject_type}:{row.subject_id}",
        amount_fen=row.amount_fen,
        requested_by=row.requested_by_id,
        note=note,
        result=result,
    )
    return ApprovalRequest.get_by_id(row.id)


def approve(request_id: int, decider_id: int, note: str = "") -> ApprovalRequest:
    """The owner says yes: the kind's action runs and the decision is recorded, together or not at all."""
    note = _text(note, "note")
    with transaction():
        row = _locked_pending(request_id, decider_id)
        result = kind_of(row.kind).approve(row, decider_id) or {}
        return _decide(row, "approved", decider_id, note, result)


def reject(request_id: int, decider_id: int, note: str) -> ApprovalRequest:
    """The owner says no, and why; whatever the request held is released."""
    note = _text(note, "note")
    if not note:
        raise NoteRequired()
    with transaction():
        row = _locked_pending(request_id, decider_id)
        release = kind_of(row.kind).reject
        if release is not None:
            release(row, decider_id)
        return _decide(row, "rejected", decider_id, note, {})


def listing(
    *, status: str | None = "pending", kind: str | None = None, requested_by: int | None = None
) -> pw.ModelSelect[Any]:
    """Requests, for paging newest first; `requested_by` scopes a staff member to their own."""
    query = ApprovalRequest.select()
    if status is not None:
        query = query.where(ApprovalRequest.status == status)
    if kind is not None:
        query = query.where(ApprovalRequest.kind == kind)
    if requested_by is not None:
        query = query.where(ApprovalRequest.requested_by == requested_by)
    return query


def pending_count() -> int:
    return int(ApprovalRequest.select().where(ApprovalRequest.status == "pending").count())
