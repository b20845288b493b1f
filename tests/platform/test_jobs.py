"""Outbox: written with the business change, run after commit, exactly once, retried with backoff."""

from __future__ import annotations

import pytest

from backend import checks, clock
from backend.db import transaction
from backend.jobs import outbox
from backend.jobs.models import OutboxMessage
from backend.jobs.registry import LOCAL, job

CALLS: list[dict] = []
FAILURES = {"left": 0}


@job("test.record", delivery=LOCAL)
def record(payload: dict) -> None:
    # A database effect in the job's own transaction, so "exactly once" is observable.
    from backend.audit import record as audit

    audit(None, "test.job", "test", payload["n"])
    CALLS.append(payload)


@job("test.flaky", delivery=LOCAL)
def flaky(payload: dict) -> None:
    if FAILURES["left"] > 0:
        FAILURES["left"] -= 1
        raise ConnectionError("WeChat timed out")
    CALLS.append(payload)


@pytest.fixture(autouse=True)
def _reset():
    CALLS.clear()
    FAILURES["left"] = 0


def _audit_count() -> int:
    from backend.audit import AuditEntry

    return AuditEntry.select().where(AuditEntry.action == "test.job").count()


def test_a_committed_row_runs_once_after_commit(app, drain_jobs):
    with transaction():
        outbox.enqueue("test.record", {"n": 1})
        assert CALLS == []  # nothing leaves before commit
    drain_jobs()
    assert CALLS == [{"n": 1}]
    assert OutboxMessage.get().status == "done"
    message_id = OutboxMessage.get().id
    assert outbox.run_message(message_id) == "done"  # a second delivery changes nothing
    assert CALLS == [{"n": 1}] and _audit_count() == 1


def test_a_rolled_back_transaction_leaves_no_row_and_runs_nothing(app, drain_jobs):
    with pytest.raises(RuntimeError), transaction():
        outbox.enqueue("test.record", {"n": 2})
        raise RuntimeError("business rule failed")
    drain_jobs()
    assert CALLS == [] and OutboxMessage.select().count() == 0


def test_dedupe_key_collapses_twin_effects(app, drain_jobs):
    with transaction():
        first = outbox.enqueue("test.record", {"n": 3}, dedupe_key="order:3:shipped")
        second = outbox.enqueue("test.record", {"n": 3}, dedupe_key="order:3:shipped")
    drain_jobs()
    assert first is not None and second is None
    assert CALLS == [{"n": 3}]


def test_failures_back_off_then_succeed_or_die_and_check_reports_dead(app, drain_jobs):
    FAILURES["left"] = 2
    with transaction():
        outbox.enqueue("test.flaky", {"n": 4})
    drain_jobs()
    message = OutboxMessage.get()
    assert (message.status, message.attempts, CALLS) == ("pending", 1, [])
    assert "ConnectionError: WeChat timed out" in message.last_error
    clock.advance(outbox.BACKOFF_SECONDS[0])
    drain_jobs()
    assert OutboxMessage.get().attempts == 2
    clock.advance(outbox.BACKOFF_SECONDS[1])
    drain_jobs()
    assert (OutboxMessage.get().status, CALLS) == ("done", [{"n": 4}])

    FAILURES["left"] = 100
    with transaction():
        outbox.enqueue("test.flaky", {"n": 5})
    for delay in (0, *outbox.BACKOFF_SECONDS):
        clock.advance(delay)
        drain_jobs()
    dead = OutboxMessage.select().where(OutboxMessage.status == "dead").get()
    assert dead.attempts == len(outbox.BACKOFF_SECONDS) + 1
    broken = {r.name: r.problems for r in checks.run_all() if not r.ok}
    assert list(broken) == ["outbox: no dead messages"]


def test_enqueue_outside_a_transaction_is_refused(app):
    with pytest.raises(RuntimeError):
        outbox.enqueue("test.record", {"n": 6})
    with pytest.raises(LookupError), transaction():
        outbox.enqueue("no.such.job", {})


@pytest.mark.pg
def test_periodic_jobs_are_enqueued_once_per_slot_however_many_workers(app):
    import random

    from backend.jobs import dispatch
    from backend.jobs.schedule import enqueue_due_periodic
    from backend.wiring import PERIODIC

    moment = random.uniform(1e9, 2e9)  # a slot no earlier run has claimed
    assert enqueue_due_periodic(PERIODIC, now=moment) == [p.name for p in PERIODIC]
    assert enqueue_due_periodic(PERIODIC, now=moment) == []  # a second worker in the same slot: nothing
    later = moment + max(p.every_seconds for p in PERIODIC)
    assert enqueue_due_periodic(PERIODIC, now=later) == [p.name for p in PERIODIC]
    # The rq job names the periodic function itself, and the worker's import of it runs it.
    relay = dispatch.rq_queue().fetch_job(f"periodic-outbox_relay-{int(moment // 15)}")
    assert relay.func_name == "backend.jobs.dispatch.relay_due"
    assert relay.perform() == 0  # no outbox row is due


@pytest.mark.pg
def test_the_worker_command_runs_relayed_outbox_rows(app, settings):
    from click.testing import CliRunner

    from backend.cli import main
    from backend.jobs import dispatch

    with transaction():
        outbox.enqueue("test.record", {"n": 7})
    assert dispatch.uses_rq()
    assert OutboxMessage.get().status == "pending"  # handed to rq, not run in this process
    env = {
        "YECAI_DATABASE_URL": settings.database_url,
        "YECAI_REDIS_URL": settings.redis_url,
        "YECAI_RQ_QUEUE": settings.rq_queue,
    }
    result = CliRunner().invoke(main, ["worker", "--burst"], env=env)
    assert result.exit_code == 0, result.output
    assert OutboxMessage.get().status == "done" and _audit_count() == 1
