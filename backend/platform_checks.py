"""Invariants of the platform tables themselves."""

from __future__ import annotations

import datetime as dt

from backend import clock
from backend.auth.models import AuthToken, User
from backend.checks import invariant
from backend.idempotency import PARKED, IdempotencyRecord
from backend.jobs.models import OutboxMessage

# Longer than any request or job waits on WeChat: what is still unfinished after this is stuck.
UNFINISHED_AFTER_MINUTES = 15


@invariant("outbox: no dead messages")
def no_dead_outbox_messages() -> list[str]:
    return [
        f"outbox message {m.id} ({m.job}) is dead after {m.attempts} attempts: {m.last_error[:200]}"
        for m in OutboxMessage.select().where(OutboxMessage.status == "dead")
    ]


@invariant("outbox: no send left unfinished")
def no_unfinished_sends() -> list[str]:
    """An at-most-once send (a subscribe message) whose process died mid-call, or that failed once
    WeChat may have had it: was it sent? A person checks; the outbox never repeats it."""
    before = clock.now() - dt.timedelta(minutes=UNFINISHED_AFTER_MINUTES)
    rows = OutboxMessage.select().where(
        (OutboxMessage.status == "needs_attention")
        | ((OutboxMessage.status == "sending") & (OutboxMessage.attempt_started_at <= before))
    )
    return [
        f"outbox message {m.id} ({m.job}) started sending and never finished: check whether it went out"
        + (f" ({m.last_error[:200]})" if m.last_error else "")
        for m in rows.order_by(OutboxMessage.id)
    ]


@invariant("idempotency: every claimed key has its stored response")
def idempotency_records_complete() -> list[str]:
    """A key parks while its WeChat call runs; one parked for long was never finished (WeChat
    failed and the customer gave up): its order waits unpaid until the auto-cancel."""
    before = clock.now() - dt.timedelta(minutes=UNFINISHED_AFTER_MINUTES)
    return [
        f"idempotency key {r.key!r} of {r.scope} has no stored response"
        for r in IdempotencyRecord.select().where(
            (IdempotencyRecord.status_code == PARKED) & (IdempotencyRecord.created_at <= before)
        )
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
