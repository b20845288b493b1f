"""Stored responses for `Idempotency-Key` requests (Stripe's model).

The record is claimed in the same transaction as the business change, so either both exist or
neither does: a retry after a crash re-runs a request that never happened, and a retry after
success replays the stored response. The same key with a different request is a conflict.

A request whose answer needs WeChat (a checkout's prepay) cannot store its answer in that
transaction, because nothing may leave the database while it is open. Its record is committed
*parked*: status PARKED and, as body, what finishing the request needs (the payment record's id).
The answer is stored once WeChat has replied; a retry of a parked key finishes the same request.
"""

from __future__ import annotations

import hashlib

import peewee as pw

from backend import clock
from backend.db import BaseModel, Param, Prepared
from backend.errors import Conflict


class IdempotencyRecord(BaseModel):
    scope = pw.CharField(max_length=64)  # whose key this is: "user:42"
    key = pw.CharField(max_length=255)
    request_hash = pw.CharField(max_length=64)
    status_code = pw.IntegerField()
    response_body = pw.TextField()
    created_at = pw.DateTimeField(default=clock.now)

    class Meta:
        indexes = ((("scope", "key"), True),)


class KeyReused(Conflict):
    code = "idempotency_key_reused"
    message_zh = "该幂等键已用于另一个请求"
    message_en = "This Idempotency-Key was already used for a different request"


def request_fingerprint(method: str, path: str, body: bytes) -> str:
    return hashlib.sha256(b"%s %s\n%s" % (method.encode(), path.encode(), body)).hexdigest()


def find(scope: str, key: str, request_hash: str) -> IdempotencyRecord | None:
    """The stored response for this key, or None. Raises KeyReused if the key served another request."""
    record = IdempotencyRecord.get_or_none(
        (IdempotencyRecord.scope == scope) & (IdempotencyRecord.key == key)
    )
    if record is not None and record.request_hash != request_hash:
        raise KeyReused(details={"idempotency_key": key})
    return record


# Every creating request runs these two.
_CLAIM = Prepared(
    lambda: IdempotencyRecord.insert(
        scope=Param("scope"),
        key=Param("key"),
        request_hash=Param("hash"),
        status_code=0,
        response_body="",
        created_at=Param("now"),
    ).returning(IdempotencyRecord.id)
)
_COMPLETE = Prepared(
    lambda: IdempotencyRecord.update(status_code=Param("status"), response_body=Param("body")).where(
        IdempotencyRecord.id == Param("id")
    )
)


def claim(scope: str, key: str, request_hash: str) -> int:
    """Claim the key inside the caller's transaction, before doing the work.

    On PostgreSQL a concurrent twin blocks on the unique index until this transaction ends, then
    fails with IntegrityError and replays what this one stored.
    """
    cursor = _CLAIM.execute({"scope": scope, "key": key, "hash": request_hash, "now": clock.now()})
    return int(cursor.fetchone()[0])


def complete(record_id: int, status_code: int, body: str) -> None:
    _COMPLETE.execute({"status": status_code, "body": body, "id": record_id})


# The status of a record committed before its answer was known; its body is the state to finish it.
PARKED = 0


def park(record_id: int, state: str) -> None:
    """Commit the claim with the business change; the answer comes after an outside call."""
    complete(record_id, PARKED, state)


def complete_parked(record_id: int, status_code: int, body: str) -> IdempotencyRecord:
    """Store the answer of a parked request, unless a twin finishing it stored one first.

    Returns the record as stored: the twin's answer if it won, so every caller replays the same one.
    """
    IdempotencyRecord.update(status_code=status_code, response_body=body).where(
        (IdempotencyRecord.id == record_id) & (IdempotencyRecord.status_code == PARKED)
    ).execute()
    return IdempotencyRecord.get_by_id(record_id)
