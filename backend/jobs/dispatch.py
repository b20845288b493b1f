"""Where committed outbox rows go: rq when Redis is configured, otherwise run in this process.

`deliver()` is registered as an after-commit callback by `outbox.enqueue`, with the ids of the rows
that transaction wrote. The periodic relay job calls `relay_due()`, so a row whose hand-over was lost
(crash between commit and hand-over, Redis down for a moment) is still delivered.
"""

from __future__ import annotations

import logging
import threading
from typing import Any

log = logging.getLogger(__name__)

_config: dict[str, Any] = {"redis_url": "", "queue": "yecai", "redeliver_after": 300}
_local = threading.local()


def configure(redis_url: str, queue_name: str, redeliver_after_seconds: int = 300) -> None:
    _config["redis_url"] = redis_url
    _config["queue"] = queue_name
    _config["redeliver_after"] = redeliver_after_seconds
    _config.pop("rq_queue", None)


def uses_rq() -> bool:
    return bool(_config["redis_url"])


def redis_connection() -> Any:
    from redis import Redis

    conn = _config.get("redis")
    if conn is None or _config.get("redis_for") != _config["redis_url"]:
        conn = Redis.from_url(_config["redis_url"])
        _config["redis"], _config["redis_for"] = conn, _config["redis_url"]
    return conn


def rq_queue() -> Any:
    from rq import Queue
    from rq.serializers import JSONSerializer

    queue = _config.get("rq_queue")
    if queue is None:
        queue = Queue(_config["queue"], connection=redis_connection(), serializer=JSONSerializer)
        _config["rq_queue"] = queue
    return queue


def deliver(message_ids: list[int]) -> None:
    """After commit: run (in-process) or enqueue (rq) just these rows."""
    try:
        if uses_rq():
            _enqueue(message_ids, stamp=False)  # stamped when the rows were written
        else:
            _run_in_process(message_ids)
    except Exception:  # the periodic relay will pick the rows up; never fail the committed request
        log.exception("outbox hand-over after commit failed")
        if uses_rq():
            _not_queued(message_ids)


def _not_queued(message_ids: list[int]) -> None:
    """Rows stamped as handed to rq that never reached it (Redis down): due for the next relay
    rather than after the redelivery window."""
    from backend.jobs import outbox

    try:
        outbox.mark_not_enqueued(message_ids)
    except Exception:  # the database is gone too: the redelivery window still covers them
        log.exception("could not mark outbox rows %s as not handed over", message_ids)


def relay_due() -> int:
    """Hand every due outbox row to its runner; the periodic safety net. Returns how many."""
    from backend.jobs import outbox

    ids = outbox.due_message_ids(redeliver_after_seconds=_config["redeliver_after"])
    if uses_rq():
        _enqueue(ids)
    else:
        _run_in_process(ids)
    return len(ids)


def _enqueue(message_ids: list[int], *, stamp: bool = True) -> None:
    from rq import Retry

    from backend.jobs import outbox

    queue = rq_queue()
    for message_id in message_ids:
        queue.enqueue(
            "backend.jobs.outbox.run_message",
            message_id,
            job_id=f"outbox-{message_id}",
            retry=Retry(max=3, interval=[10, 60, 300]),
        )
    if stamp:
        outbox.mark_enqueued(message_ids)


def _run_in_process(message_ids: list[int]) -> None:
    """Run rows now, in this thread, after the commit. A job that writes more outbox rows adds them to
    this thread's queue, and the loop below runs them, instead of recursing."""
    from backend.jobs import outbox

    queue: list[int] = _local.__dict__.setdefault("queue", [])
    queue.extend(message_ids)
    if getattr(_local, "running", False):
        return
    _local.running = True
    try:
        while queue:
            outbox.run_message(queue.pop(0))
    finally:
        _local.running = False
