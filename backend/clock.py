"""The one source of "now" for business logic, so tests can move time (auto-cancel, due dates).

Times are naive UTC datetimes throughout the database.
"""

from __future__ import annotations

import datetime as dt
import threading

_lock = threading.Lock()
_offset = dt.timedelta(0)


def now() -> dt.datetime:
    return dt.datetime.now(dt.UTC).replace(tzinfo=None) + _offset


def today() -> dt.date:
    return now().date()


def advance(seconds: float) -> None:
    """Move the clock forward (tests and the demo's time-travel only)."""
    global _offset
    with _lock:
        _offset += dt.timedelta(seconds=seconds)


def reset() -> None:
    global _offset
    with _lock:
        _offset = dt.timedelta(0)
