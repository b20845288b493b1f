"""The rq worker `yecai worker` runs: rq's SimpleWorker (jobs in this process, no fork, so pooled
database connections stay valid), handing its database connection back after every job."""

from __future__ import annotations

from typing import Any

from rq import SimpleWorker

from backend.db import release_connection


class Worker(SimpleWorker):
    def execute_job(self, job: Any, queue: Any) -> Any:
        try:
            return super().execute_job(job, queue)
        finally:
            # As the web app does after each request. A connection kept for the worker's lifetime
            # dies with a PostgreSQL restart, and peewee would hand that dead one to every later
            # job; handed back, it is checked (or dropped) before the next job gets one.
            release_connection()
