"""Where committed outbox rows go: rq when Redis is configured, otherwise run in this process.

`kick()` is registered as an after-commit callback by `outbox.enqueue`. The periodic relay job
calls `relay_due()` too, so a row whose kick was lost (crash between commit and kick, Redis down
for a moment) is still delivered.
"""

from __future__ import annotations

import logging
import threading
from typing import Any

log = logging.getLogger(__name__)

_config: dict[str, Any] = {"redis_url": "", "queue": "yecai"}
_local = threading.local()


def configure(redis_url: str, queue_name: str) -> None:
    _config["redis_url"] = redis_url
    _config["queue"] = queue_name
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


def kick() -> None:
    try:
        relay_due()
    except Exception:  # the periodic relay will pick the rows up; never fail the committed request
        log.exception("outbox relay after commit failed")


def relay_due() -> int:
    """Hand every due outbox row to its runner. Returns how many rows were handed over."""
    from backend.jobs import outbox

    if uses_rq():
        from rq import Retry

        ids = outbox.due_message_ids()
        queue = rq_queue()
        for message_id in ids:
            queue.enqueue(
                "backend.jobs.outbox.run_message",
                message_id,
                job_id=f"outbox-{message_id}",
                retry=Retry(max=3, interval=[10, 60, 300]),
            )
        outbox.mark_enqueued(ids)
        return len(ids)
    # In-process: run now, in this thread, after the commit. A job that enqueues more work is
    # picked up by the loop below rather than recursing.
    if getattr(_local, "running", False):
        return 0
    _local.running = True
    handed = 0
    try:
        while True:
            ids = outbox.due_message_ids()
            ran = [i for i in ids if outbox.run_message(i) != "pending"] if ids else []
            handed += len(ids)
            if not ran:
                return handed
    finally:
        _local.running = False
