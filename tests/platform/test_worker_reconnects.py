"""`yecai worker` carries on after PostgreSQL restarts: each job hands its database connection back,
so a connection the restart killed is dropped by the pool instead of failing every later job.
tests/drills/test_postgres_restart.py does this to a real worker process and a real restart."""

from __future__ import annotations

import pytest

from tests.conftest import _pg_admin_connection


def read_database() -> int:
    from backend.db import db

    return int(db.execute_sql("SELECT 1").fetchone()[0])


@pytest.mark.pg
def test_jobs_after_the_database_dropped_every_connection_still_run(app, monkeypatch):
    from backend.db import db
    from backend.jobs import dispatch
    from backend.jobs.rq_worker import Worker

    monkeypatch.setattr(db.obj, "TRUST_SECONDS", 0)  # the pool checks every connection it hands out
    db.close()
    queue = dispatch.rq_queue()
    worker = Worker([queue], connection=dispatch.redis_connection(), serializer=queue.serializer)
    before = queue.enqueue(read_database)
    worker.work(burst=True, with_scheduler=False)
    assert before.get_status(refresh=True) == "finished"

    # What a PostgreSQL restart does to every connection the worker's pool holds.
    admin = _pg_admin_connection()
    admin.cursor().execute(  # only this test's own database
        "SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = %s", (db.obj.database,)
    )
    admin.close()

    after = queue.enqueue(read_database)
    worker.work(burst=True, with_scheduler=False)
    assert (after.get_status(refresh=True), after.return_value()) == ("finished", 1)
    db.obj.close_idle()  # the ones the termination killed, before the fixture cleans up
