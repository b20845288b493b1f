"""Every periodic job, declared here and nowhere else.

The rq worker (`yecai worker`) enqueues each one once per period, across any number of workers
(a Redis SET NX per time slot). Without Redis, `yecai serve`/`yecai demo` run them on a thread.
Each job must be safe to run twice and to run late.
"""

from __future__ import annotations

import importlib
import logging
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class Periodic:
    name: str
    every_seconds: int
    target: str  # "module:function", called with no arguments


PERIODIC: tuple[Periodic, ...] = (
    # Deliver outbox rows whose after-commit hand-over was lost, and retry failed ones.
    Periodic("outbox.relay", 15, "backend.jobs.dispatch:relay_due"),
    # Query WeChat for payments whose notification never came and refunds still processing.
    Periodic("payments.settle_pending", 60, "payments.jobs:settle_pending"),
    # Reconcile yesterday's WeChat trade bill once it is published (a no-op once done).
    Periodic("payments.reconcile", 3600, "payments.reconciliation:reconcile_yesterday"),
    # Cancel mini-program orders left unpaid too long (stock released, WeChat transaction closed).
    Periodic("store.auto_cancel", 60, "payments.auto_cancel:cancel_unpaid"),
    # Orders shipped N days ago and never confirmed by the customer are received.
    Periodic("store.auto_receive", 3600, "store.fulfilment:auto_receive"),
    # Points of members inactive for a year expire.
    Periodic("store.points_expiry", 86400, "store.members:expire_points"),
)


def resolve(target: str) -> Callable[[], object]:
    module, _, func = target.partition(":")
    return getattr(importlib.import_module(module), func)


def run_periodic(name: str) -> None:
    """Entry point rq calls for a periodic job."""
    for periodic in PERIODIC:
        if periodic.name == name:
            resolve(periodic.target)()
            return
    raise LookupError(f"no periodic job named {name!r}")


def enqueue_due_periodic(now: float | None = None) -> list[str]:
    """Enqueue to rq every periodic job whose slot has not been claimed yet. Returns the job names."""
    from backend.jobs import dispatch

    now = time.time() if now is None else now
    redis = dispatch.redis_connection()
    queue = dispatch.rq_queue()
    started = []
    for periodic in PERIODIC:
        slot = int(now // periodic.every_seconds)
        claim = f"yecai:periodic:{periodic.name}:{slot}"
        if redis.set(claim, "1", nx=True, ex=periodic.every_seconds * 2):
            queue.enqueue(
                "backend.jobs.schedule.run_periodic",
                periodic.name,
                job_id=f"periodic-{periodic.name.replace('.', '_')}-{slot}",  # rq ids: [A-Za-z0-9_-]
            )
            started.append(periodic.name)
    return started


class InProcessScheduler(threading.Thread):
    """Runs the periodic jobs in this process (embedded default, no Redis)."""

    def __init__(self, tick_seconds: float = 1.0) -> None:
        super().__init__(name="yecai-periodic", daemon=True)
        self._stop_event = threading.Event()
        self._tick = tick_seconds
        self._next = dict.fromkeys((p.name for p in PERIODIC), 0.0)

    def run(self) -> None:
        while not self._stop_event.wait(self._tick):
            now = time.time()
            for periodic in PERIODIC:
                if now >= self._next[periodic.name]:
                    self._next[periodic.name] = now + periodic.every_seconds
                    try:
                        resolve(periodic.target)()
                    except Exception:
                        log.exception("periodic job %s failed", periodic.name)

    def stop(self) -> None:
        self._stop_event.set()


class RqPeriodicEnqueuer(InProcessScheduler):
    """Runs beside an rq worker and enqueues periodic jobs instead of running them."""

    def run(self) -> None:
        while not self._stop_event.wait(self._tick):
            try:
                enqueue_due_periodic()
            except Exception:
                log.exception("could not enqueue periodic jobs")
