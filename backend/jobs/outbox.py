"""Write outbox rows, and run them exactly once.

`enqueue()` is called inside a business transaction. After that transaction commits, the row is
handed to the dispatcher: to rq when Redis is configured, or run in-process right away otherwise.
`run_message()` applies a row under a row lock and marks it done in the same transaction as the
handler's own database writes, so a row delivered twice (rq retry, relay re-enqueue, two workers)
has its effect once. A job that leaves the database (a WeChat call) runs with no transaction open,
as its delivery says (registry.py): the remote side deduplicates, or the attempt is committed first.
"""

from __future__ import annotations

import datetime as dt
import json
import logging
from typing import Any

from backend import clock
from backend.db import in_transaction, locked, on_commit, savepoint, transaction, transaction_scratch
from backend.faults import crash_point
from backend.jobs import dispatch
from backend.jobs.models import OutboxMessage
from backend.jobs.registry import AT_MOST_ONCE, LOCAL, NotDelivered, delivery_of, handler_for

log = logging.getLogger(__name__)

SENDING = "sending"  # an at-most-once send's attempt, committed as started before its call
NEEDS_ATTENTION = "needs_attention"  # a send that may or may not have gone out: a person decides

# Backoff between attempts of a failing row, in seconds; after the last one the row is dead.
BACKOFF_SECONDS = (10, 30, 120, 600, 1800, 3600)


def enqueue(
    job: str, payload: dict[str, Any], *, dedupe_key: str | None = None, delay_seconds: int = 0
) -> int | None:
    """Record a side effect to run after commit. Returns the row id (None if deduplicated)."""
    if not in_transaction():
        raise RuntimeError("outbox.enqueue must be called inside a business transaction")
    handler_for(job)  # fail at the call site, not in a worker, on a typo
    body = json.dumps(payload, ensure_ascii=False, sort_keys=True)
    run_after = clock.now() + dt.timedelta(seconds=delay_seconds)
    # ON CONFLICT DO NOTHING: a row with this dedupe_key (written earlier, or by a concurrent twin
    # that commits first) wins quietly, in one statement and without a savepoint.
    inserted = list(
        OutboxMessage.insert(
            job=job,
            payload=body,
            dedupe_key=dedupe_key,
            run_after=run_after,
            # With rq, the hand-over after commit is certain to be attempted: stamp it now rather
            # than with a second write after commit. If it is lost, the relay redelivers it later.
            enqueued_at=clock.now() if dispatch.uses_rq() and delay_seconds <= 0 else None,
        )
        .on_conflict_ignore()
        .returning(OutboxMessage.id)
        .tuples()
        .execute()
    )
    if not inserted:
        return None
    message_id = inserted[0][0]
    if delay_seconds <= 0:
        # After commit, hand over exactly the rows this transaction wrote: no scan, and no waiting on
        # row locks held by other requests' jobs. Rows whose hand-over is lost are found by the relay.
        committed = transaction_scratch().setdefault("outbox_ids", [])
        if not committed:
            on_commit(lambda: dispatch.deliver(committed))
        committed.append(int(message_id))
    return int(message_id)


def _locked(message_id: int) -> OutboxMessage | None:
    return locked(OutboxMessage.select().where(OutboxMessage.id == message_id)).first()


def run_message(message_id: int) -> str:
    """Run one outbox row. Returns its final status; safe to call any number of times."""
    message = OutboxMessage.get_or_none(OutboxMessage.id == message_id)
    if message is None:
        return "missing"
    if delivery_of(message.job) != LOCAL:
        return _run_calling_out(message_id, delivery_of(message.job))
    try:
        with savepoint():  # its own transaction, or undone alone if a caller's is open
            message = _locked(message_id)
            if message is None or message.status != "pending":
                return message.status if message else "missing"
            crash_point(f"job.{message.job}.running")
            handler_for(message.job)(json.loads(message.payload))
            _mark_done(message_id)
            crash_point(f"job.{message.job}.before_commit")
            return "done"
    except Exception as exc:  # the handler's writes are rolled back; record the failure on its own
        return _failed(message_id, exc)


def _run_calling_out(message_id: int, delivery: str) -> str:
    """A job that leaves the database runs with no transaction open (see registry.py)."""
    with transaction():
        message = _locked(message_id)
        if message is None:
            return "missing"
        if delivery == AT_MOST_ONCE and message.status == SENDING:
            # An attempt committed as started and never finished: the process died mid-call, or
            # failed after the remote side had it. Asking again could repeat it; a person decides.
            return _needs_attention(message_id, "its attempt started and never finished")
        if message.status != "pending":
            return str(message.status)
        if delivery == AT_MOST_ONCE:
            # Committed before the call: a twin or a retry finds it taken and never calls again.
            OutboxMessage.update(status=SENDING, attempt_started_at=clock.now()).where(
                OutboxMessage.id == message_id
            ).execute()
    crash_point(f"job.{message.job}.calling")  # (at most once: its attempt is committed as started)
    try:
        handler_for(message.job)(json.loads(message.payload))
    except NotDelivered as exc:  # the remote side answered no: nothing went out, try again later
        return _failed(message_id, exc)
    except Exception as exc:
        if delivery != AT_MOST_ONCE:  # the remote side deduplicates: try again later
            return _failed(message_id, exc)
        # Not known whether the remote side had it (a lost answer, a failure after the call).
        log.exception("outbox message %s failed mid-send", message_id)
        with transaction():
            return _needs_attention(message_id, f"{type(exc).__name__}: {exc}")
    crash_point(f"job.{message.job}.called")  # the remote side has it; the row is not marked done
    with transaction():
        _mark_done(message_id)
    return "done"


def _needs_attention(message_id: int, why: str) -> str:
    """Stop retrying an at-most-once send whose outcome is unknown; `yecai check` lists it."""
    OutboxMessage.update(status=NEEDS_ATTENTION, last_error=why[:2000]).where(
        (OutboxMessage.id == message_id) & (OutboxMessage.status == SENDING)
    ).execute()
    return NEEDS_ATTENTION


def _mark_done(message_id: int) -> None:
    # A send flagged while its (slow, not dead) process was still in the call is done after all.
    OutboxMessage.update(status="done", done_at=clock.now(), attempts=OutboxMessage.attempts + 1).where(
        (OutboxMessage.id == message_id) & OutboxMessage.status.in_(("pending", SENDING, NEEDS_ATTENTION))
    ).execute()


def _failed(message_id: int, exc: Exception) -> str:
    log.exception("outbox message %s failed", message_id)
    with transaction():
        message = _locked(message_id)
        if message is None or message.status not in ("pending", SENDING):
            return message.status if message else "missing"
        attempts = message.attempts + 1
        dead = attempts > len(BACKOFF_SECONDS)
        delay = BACKOFF_SECONDS[min(attempts, len(BACKOFF_SECONDS)) - 1]
        OutboxMessage.update(
            attempts=attempts,
            status="dead" if dead else "pending",
            run_after=clock.now() + dt.timedelta(seconds=delay),
            enqueued_at=None,  # due again at run_after, whoever relays it
            last_error=f"{type(exc).__name__}: {exc}"[:2000],
        ).where(OutboxMessage.id == message_id).execute()
        return "dead" if dead else "pending"


def due_message_ids(limit: int = 200, redeliver_after_seconds: int = 300) -> list[int]:
    """Pending rows whose time has come and that are not already sitting in a queue, and sends
    abandoned mid-call (their worker was killed): handed over again, those are flagged for a person
    at once (`_run_calling_out`), never sent again."""
    now = clock.now()
    stale = now - dt.timedelta(seconds=redeliver_after_seconds)
    not_queued = OutboxMessage.enqueued_at.is_null() | (OutboxMessage.enqueued_at <= stale)
    query = (
        OutboxMessage.select(OutboxMessage.id)
        .where(
            ((OutboxMessage.status == "pending") & (OutboxMessage.run_after <= now) & not_queued)
            | ((OutboxMessage.status == SENDING) & (OutboxMessage.attempt_started_at <= stale) & not_queued)
        )
        .order_by(OutboxMessage.id)
        .limit(limit)
    )
    return [row.id for row in query]


def mark_enqueued(message_ids: list[int]) -> None:
    if message_ids:
        OutboxMessage.update(enqueued_at=clock.now()).where(OutboxMessage.id.in_(message_ids)).execute()


def mark_not_enqueued(message_ids: list[int]) -> None:
    if message_ids:
        OutboxMessage.update(enqueued_at=None).where(
            OutboxMessage.id.in_(message_ids) & (OutboxMessage.status == "pending")
        ).execute()


def pending_count() -> int:
    return OutboxMessage.select().where(OutboxMessage.status == "pending").count()


def message_payload(message: OutboxMessage) -> dict[str, Any]:
    return json.loads(message.payload)
