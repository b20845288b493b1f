"""Invariants of the platform tables themselves."""

from __future__ import annotations

from backend.auth.models import AuthToken, User
from backend.checks import invariant
from backend.idempotency import IdempotencyRecord
from backend.jobs.models import OutboxMessage


@invariant("outbox: no dead messages")
def no_dead_outbox_messages() -> list[str]:
    return [
        f"outbox message {m.id} ({m.job}) is dead after {m.attempts} attempts: {m.last_error[:200]}"
        for m in OutboxMessage.select().where(OutboxMessage.status == "dead")
    ]


@invariant("idempotency: every claimed key has its stored response")
def idempotency_records_complete() -> list[str]:
    return [
        f"idempotency key {r.key!r} of {r.scope} has no stored response"
        for r in IdempotencyRecord.select().where(IdempotencyRecord.status_code == 0)
    ]


@invariant("auth: users have a known role, tokens a sane lifetime")
def users_and_tokens_sane() -> list[str]:
    from backend.auth.models import ROLES

    problems = [
        f"user {u.id} has unknown role {u.role!r}" for u in User.select().where(User.role.not_in(ROLES))
    ]
    problems += [
        f"token {t.id} expires before it was created"
        for t in AuthToken.select().where(AuthToken.expires_at < AuthToken.created_at)
    ]
    return problems
