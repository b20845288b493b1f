"""How periodic jobs run; which ones there are is declared once, in backend/wiring.py (`PERIODIC`).

The rq worker (`yecai worker`) enqueues each one once per period, across any number of workers
(a Redis SET NX per time slot). Without Redis, `yecai serve`/`yecai demo` run them on a thread.
Each job must be safe to run twice and to run late.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class Periodic:
    name: str
    every_seconds: int
    target: Callable[[], object]  # a module-level function, called with no arguments


def enqueue_due_periodic(jobs: Sequence[Periodic], now: float | None = None) -> list[str]:
    """Enqueue to rq every periodic job whose slot has not been claimed yet. Returns the job names."""
    from backend.jobs import dispatch

    now = time.time() if now is None else now
    redis = dispatch.redis_connection()
    queue = dispatch.rq_queue()
    started = []
    for periodic in jobs:
        slot = int(now // periodic.every_seconds)
        claim = f"yecai:periodic:{periodic.name}:{slot}"
        if redis.set(claim, "1", nx=True, ex=periodic.every_seconds * 2):
            queue.enqueue(
                periodic.target,  # rq stores the function's import path; the worker imports it
                job_id=f"periodic-{periodic.name.replace('.', '_')}-{slot}",  # rq ids: [A-Za-z0-9_-]
            )
            started.append(periodic.name)
    return started


class InProcessScheduler(threading.Thread):
    """Runs the periodic jobs in this process (embedded default, no Redis)."""

    def __init__(self, jobs: Sequence[Periodic], tick_seconds: float = 1.0) -> None:
        super().__init__(name="yecai-periodic", daemon=True)
        self._jobs = tuple(jobs)
        self._stop_event = threading.Event()
        self._tick = tick_seconds
        self._next = dict.fromkeys((p.name for p in self._jobs), 0.0)

    def run(self) -> None:
        while not self._stop_event.wait(self._tick):
            now = time.time()
            for periodic in self._jobs:
                if now >= self._next[periodic.name]:
                    self._next[periodic.name] = now + periodic.every_seconds
                    try:
                        periodic.target()
                    except Exception:
                        log.exception("periodic job %s failed", periodic.name)

    def stop(self) -> None:
        self._stop_event.set()


class RqPeriodicEnqueuer(InProcessScheduler):
    """Runs beside an rq worker and enqueues periodic jobs instead of running them."""

    def run(self) -> None:
        while not self._stop_event.wait(self._tick):
            try:
                enqueue_due_periodic(self._jobs)
            except Exception:
                log.exception("could not enqueue periodic jobs")
