"""Counting attempts over time, for login lockouts and rate limits.

Counts live in Redis when one is configured, so every app server behind nginx shares them, and in
this process's memory on the embedded default (which runs one process). Written here rather than
taken from flask-limiter because a lockout is not a rate limit (only failures count, a success
clears them, the lock outlasts the window), because the login rules are domain code that must not
import Flask, and because time must come from `backend.clock` so tests move it like every other
deadline. Redis's own key expiry only collects old keys; it never decides an answer.

Windows are fixed: a count belongs to the window `now // seconds`, and the caller is told how many
seconds are left of it.
"""

from __future__ import annotations

import math
import threading
from dataclasses import dataclass
from typing import Any, Protocol

from backend import clock

# Old keys are dropped a while after their window or lock ended (garbage collection only).
_GRACE_SECONDS = 60


def _now() -> float:
    return clock.now().timestamp()


@dataclass(frozen=True)
class Window:
    count: int  # attempts counted in the current window, this one included
    seconds_left: int  # until the window ends, at least 1


def _window(seconds: int) -> tuple[int, int]:
    """The current window's index and the whole seconds left of it."""
    now = _now()
    index = int(now // seconds)
    return index, max(1, math.ceil((index + 1) * seconds - now))


class Store(Protocol):
    def incr(self, key: str, ttl: int) -> int: ...
    def get(self, key: str) -> float: ...
    def put(self, key: str, value: float, ttl: int) -> None: ...
    def delete(self, key: str) -> None: ...


class MemoryStore:
    """One process's counts (the embedded default); expired keys are swept as new ones arrive."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._items: dict[str, tuple[float, float]] = {}  # key -> (value, expires at)

    def _live(self, key: str, now: float) -> float:
        value, expires = self._items.get(key, (0.0, 0.0))
        return value if expires > now else 0.0

    def _sweep(self, now: float) -> None:
        if len(self._items) > 10_000:
            self._items = {k: v for k, v in self._items.items() if v[1] > now}

    def incr(self, key: str, ttl: int) -> int:
        now = _now()
        with self._lock:
            self._sweep(now)
            value = self._live(key, now) + 1
            self._items[key] = (value, now + ttl)
            return int(value)

    def get(self, key: str) -> float:
        with self._lock:
            return self._live(key, _now())

    def put(self, key: str, value: float, ttl: int) -> None:
        now = _now()
        with self._lock:
            self._sweep(now)
            self._items[key] = (value, now + ttl)

    def delete(self, key: str) -> None:
        with self._lock:
            self._items.pop(key, None)


class RedisStore:
    """Counts shared by every process through Redis; `prefix` keeps one installation's keys apart."""

    def __init__(self, redis: Any, prefix: str) -> None:
        self._redis = redis
        self._prefix = prefix

    def incr(self, key: str, ttl: int) -> int:
        pipe = self._redis.pipeline()
        pipe.incr(self._prefix + key)
        pipe.expire(self._prefix + key, ttl)
        count, _ = pipe.execute()
        return int(count)

    def get(self, key: str) -> float:
        raw = self._redis.get(self._prefix + key)
        return float(raw) if raw is not None else 0.0

    def put(self, key: str, value: float, ttl: int) -> None:
        self._redis.set(self._prefix + key, repr(value), ex=ttl)

    def delete(self, key: str) -> None:
        self._redis.delete(self._prefix + key)


class Counters:
    """Attempts per key in fixed windows, and locks held until a time."""

    def __init__(self, store: Store) -> None:
        self._store = store

    def hit(self, key: str, window_seconds: int) -> Window:
        """Count one attempt against `key` in the current window."""
        index, left = _window(window_seconds)
        count = self._store.incr(f"{key}:{index}", window_seconds + _GRACE_SECONDS)
        return Window(count, left)

    def count(self, key: str, window_seconds: int) -> Window:
        """The attempts counted so far in the current window, without adding one."""
        index, left = _window(window_seconds)
        return Window(int(self._store.get(f"{key}:{index}")), left)

    def clear(self, key: str, window_seconds: int) -> None:
        index, _ = _window(window_seconds)
        self._store.delete(f"{key}:{index}")

    def lock(self, key: str, seconds: int) -> None:
        """Lock `key` for `seconds` from the start of this second (Retry-After is whole seconds)."""
        self._store.put(f"{key}:until", math.floor(_now()) + seconds, seconds + _GRACE_SECONDS)

    def locked_for(self, key: str) -> int:
        """Whole seconds the lock on `key` still holds; 0 when there is none."""
        left = self._store.get(f"{key}:until") - _now()
        return max(0, math.ceil(left))

    def unlock(self, key: str) -> None:
        self._store.delete(f"{key}:until")
