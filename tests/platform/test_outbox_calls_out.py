"""Outbox jobs that leave the database run with no transaction open; an at-most-once send is
committed as started before its call, so one whose process died mid-call is flagged, not repeated."""

from __future__ import annotations

import json

import pytest

from backend.db import in_transaction
from backend.jobs.registry import AT_MOST_ONCE, LOCAL, REMOTE_DEDUPES, delivery_of, job

calls: list[tuple[str, bool, str]] = []


@job("test.send_once", delivery=AT_MOST_ONCE)
def _send_once(payload: dict) -> None:
    from backend.jobs.models import OutboxMessage

    status = OutboxMessage.get(OutboxMessage.job == "test.send_once").status
    calls.append((payload["to"], in_transaction(), status))


@job("test.send_unknown", delivery=AT_MOST_ONCE)
def _send_unknown(payload: dict) -> None:
    calls.append((payload["to"], in_transaction(), "sending"))
    raise TimeoutError("no answer")  # sent, and the answer lost: did it go out?


@job("test.local", delivery=LOCAL)
def _local(payload: dict) -> None:
    calls.append((payload["to"], in_transaction(), ""))


def _row(name: str, to: str) -> int:
    from backend.jobs.models import OutboxMessage

    return OutboxMessage.insert(job=name, payload=json.dumps({"to": to})).execute()


def test_jobs_that_call_out_declare_it(app):
    assert delivery_of("payments.request_refund") == REMOTE_DEDUPES
    assert delivery_of("payments.close_wechat_order") == REMOTE_DEDUPES
    assert delivery_of("order.cancelled") == REMOTE_DEDUPES
    assert delivery_of("store.notify_shipped") == AT_MOST_ONCE
    assert delivery_of("order.refund_notice") == AT_MOST_ONCE
    assert delivery_of("order.paid_receipt") == LOCAL


def test_a_send_runs_outside_any_transaction_after_its_attempt_is_committed(app):
    from backend.jobs import outbox

    calls.clear()
    message_id = _row("test.send_once", "alice")
    local_id = _row("test.local", "bob")
    assert outbox.run_message(message_id) == "done"
    assert outbox.run_message(local_id) == "done"
    assert calls == [("alice", False, "sending"), ("bob", True, "")]
    assert outbox.run_message(message_id) == "done"  # once done, never again
    assert len(calls) == 2


def test_a_send_whose_process_died_mid_call_is_flagged_not_repeated(app):
    from backend import checks, clock
    from backend.jobs import outbox
    from backend.jobs.models import OutboxMessage

    def flagged() -> list[str]:
        return [
            p for r in checks.run_all() if r.name == "outbox: no send left unfinished" for p in r.problems
        ]

    calls.clear()
    message_id = _row("test.send_once", "carol")
    # The attempt was committed as started, then the process died in the call: nothing ran after.
    OutboxMessage.update(status="sending", attempt_started_at=clock.now()).where(
        OutboxMessage.id == message_id
    ).execute()
    assert message_id not in outbox.due_message_ids()
    assert flagged() == []  # it may still be in flight
    clock.advance(16 * 60)
    unfinished = (
        f"outbox message {message_id} (test.send_once) started sending and never finished: "
        "check whether it went out"
    )
    assert flagged() == [unfinished]  # no retry came: still listed for a person
    assert message_id in outbox.due_message_ids()  # the relay hands it over again, to be flagged

    # A retry (rq requeueing the killed worker's job, a second worker) flags it and never calls.
    assert outbox.run_message(message_id) == "needs_attention"
    assert outbox.run_message(message_id) == "needs_attention"
    assert calls == []
    row = OutboxMessage.get_by_id(message_id)
    assert (row.status, row.attempts) == ("needs_attention", 0)
    assert message_id not in outbox.due_message_ids()
    assert flagged() == [f"{unfinished} (its attempt started and never finished)"]


def test_a_send_that_fails_after_its_call_may_have_gone_out_is_flagged(app):
    from backend.jobs import outbox
    from backend.jobs.models import OutboxMessage

    calls.clear()
    message_id = _row("test.send_unknown", "dave")
    assert outbox.run_message(message_id) == "needs_attention"
    assert outbox.run_message(message_id) == "needs_attention"
    assert calls == [("dave", False, "sending")]
    row = OutboxMessage.get_by_id(message_id)
    assert (row.status, row.last_error) == ("needs_attention", "TimeoutError: no answer")


def test_a_handler_without_a_delivery_refuses_to_register():
    with pytest.raises(TypeError):
        job("test.undeclared")  # type: ignore[call-arg]
    with pytest.raises(ValueError, match="delivery must be one of"):
        job("test.misdeclared", delivery="maybe")
    with pytest.raises(LookupError):
        delivery_of("test.undeclared")
