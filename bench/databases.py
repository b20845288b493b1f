"""What the benchmarks share: a PostgreSQL database of their own, created once and kept between runs
(generating a million orders takes many minutes), and timing a call after one warm-up."""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import Any


def ensure_database(admin_url: str, name: str, fresh: bool) -> bool:
    """Create the database if missing (or `fresh`); True when it must be generated."""
    import psycopg2

    conn = psycopg2.connect(admin_url)
    conn.autocommit = True
    with conn.cursor() as cur:
        if fresh:
            cur.execute(f'DROP DATABASE IF EXISTS "{name}"')
        cur.execute("SELECT 1 FROM pg_database WHERE datname = %s", (name,))
        exists = cur.fetchone() is not None
        if not exists:
            cur.execute(f'CREATE DATABASE "{name}"')
    conn.close()
    return not exists


def timed(fn: Callable[[], Any], rounds: int) -> tuple[list[float], Any]:
    """`rounds` timings of `fn` in milliseconds, after one warm-up call (plans cached, pages in memory,
    as on a shop that is open), and its last result."""
    fn()
    times, result = [], None
    for _ in range(rounds):
        started = time.perf_counter()
        result = fn()
        times.append((time.perf_counter() - started) * 1000)
    return times, result
