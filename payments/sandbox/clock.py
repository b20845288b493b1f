"""The sandbox's notion of "now".

Token lifetimes, payment times, refund completion and the notification retry schedule
all read this clock, so tests can jump hours ahead with ``advance()`` instead of sleeping.
Transport details (signature timestamps) deliberately use the wall clock instead: the app
checks those against its own real time.
"""

from __future__ import annotations

import threading
import time
from datetime import UTC, datetime, timedelta, timezone
from typing import Any

CHINA_TZ = timezone(timedelta(hours=8), "Asia/Shanghai")


class SandboxClock:
    """Real time plus an offset by default; ``frozen`` clocks move only when advanced."""

    def __init__(self, start: float | None = None, *, frozen: bool = False) -> None:
        self._lock = threading.Lock()
        self._frozen = frozen
        if frozen:
            self._value = time.time() if start is None else float(start)
            self._offset = 0.0
        else:
            self._value = 0.0
            self._offset = 0.0 if start is None else float(start) - time.time()

    @classmethod
    def frozen_at(cls, start: float | None = None) -> SandboxClock:
        return cls(start, frozen=True)

    @property
    def is_frozen(self) -> bool:
        return self._frozen

    def now(self) -> float:
        with self._lock:
            if self._frozen:
                return self._value
            return time.time() + self._offset

    def advance(self, seconds: float) -> float:
        """Move time forward (never backward: WeChat's clock does not rewind)."""
        if seconds < 0:
            raise ValueError("the sandbox clock only moves forward")
        with self._lock:
            if self._frozen:
                self._value += seconds
            else:
                self._offset += seconds
        return self.now()

    def reading(self) -> dict[str, Any]:
        """What a restarted sandbox needs to carry on from here (see ``resume``)."""
        with self._lock:
            return {"frozen": self._frozen, "value": self._value, "offset": self._offset}

    def resume(self, reading: dict[str, Any]) -> None:
        """Carry on from a saved ``reading`` without rewinding: a running clock keeps the lead it
        had over real time, a frozen one at least the value it had."""
        frozen, value, offset = bool(reading["frozen"]), float(reading["value"]), float(reading["offset"])
        with self._lock:
            if self._frozen:
                self._value = max(self._value, value if frozen else time.time() + offset)
            else:
                self._offset = max(self._offset, value - time.time() if frozen else offset)

    def datetime(self) -> datetime:
        return datetime.fromtimestamp(self.now(), tz=CHINA_TZ)


def rfc3339(ts: float) -> str:
    """WeChat's time format: ``2024-05-01T12:00:00+08:00``."""
    return datetime.fromtimestamp(int(ts), tz=CHINA_TZ).isoformat(timespec="seconds")


def parse_rfc3339(value: str) -> float:
    dt = datetime.fromisoformat(value)
    if dt.tzinfo is None:
        dt = dt.replace(tzinfo=UTC)
    return dt.timestamp()


def china_date(ts: float) -> str:
    return datetime.fromtimestamp(ts, tz=CHINA_TZ).strftime("%Y-%m-%d")
