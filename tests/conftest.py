"""Fixtures: every test that uses `app` runs twice, on the embedded SQLite default and on the real
PostgreSQL + Redis services. Schemas are always built by the migrations.

With CI=true a missing PostgreSQL or Redis fails the run instead of skipping the PostgreSQL half.
"""

from __future__ import annotations

import os
import shutil
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import peewee
import pytest

from backend import clock, migrate
from backend.config import Settings, load_settings
from backend.db import db, make_database

PG_ADMIN_URL = os.environ.get("YECAI_TEST_PG_ADMIN", "postgresql://postgres@127.0.0.1:5432/test")
REDIS_URL = os.environ.get("YECAI_TEST_REDIS_URL", "redis://127.0.0.1:6379/0")
IN_CI = os.environ.get("CI", "").lower() in {"1", "true", "yes"}


def _pg_admin_connection() -> Any:
    import psycopg2

    conn = psycopg2.connect(PG_ADMIN_URL.replace("postgresql://", "postgres://"), connect_timeout=3)
    conn.autocommit = True
    return conn


def _services_problem() -> str | None:
    try:
        _pg_admin_connection().close()
    except Exception as exc:
        return f"PostgreSQL at {PG_ADMIN_URL} is not reachable: {exc}"
    try:
        from redis import Redis

        Redis.from_url(REDIS_URL, socket_connect_timeout=3).ping()
    except Exception as exc:
        return f"Redis at {REDIS_URL} is not reachable: {exc}"
    return None


@pytest.fixture(scope="session")
def pg_url() -> Iterator[str]:
    problem = _services_problem()
    if problem:
        if IN_CI:
            pytest.fail(f"CI requires PostgreSQL and Redis: {problem}", pytrace=False)
        pytest.skip(problem)
    name = f"yecai_test_{uuid.uuid4().hex[:10]}"
    admin = _pg_admin_connection()
    admin.cursor().execute(f'CREATE DATABASE "{name}"')
    url = PG_ADMIN_URL.rsplit("/", 1)[0] + "/" + name
    database = make_database(url, pool_size=4)
    migrate.upgrade(database)
    database.close_all()  # type: ignore[attr-defined]
    yield url
    db.obj.close_all() if hasattr(db.obj, "close_all") else None
    admin.cursor().execute(
        "SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = %s AND pid <> pg_backend_pid()",
        (name,),
    )
    admin.cursor().execute(f'DROP DATABASE IF EXISTS "{name}"')
    admin.close()


@pytest.fixture(scope="session")
def sqlite_template(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("sqlite") / "template.sqlite3"
    database = make_database(f"sqlite:///{path}")
    migrate.upgrade(database)
    database.execute_sql("PRAGMA wal_checkpoint(TRUNCATE)")
    database.close()
    return path


@pytest.fixture(scope="session")
def wechat_sandbox() -> Iterator[Any]:
    """One WeChat simulator for the whole run, over real HTTP, speaking WeChat's protocol."""
    from payments.sandbox.testing import running_sandbox

    with running_sandbox() as sandbox:
        yield sandbox


@pytest.fixture(params=["sqlite", "pg"])
def db_kind(request: pytest.FixtureRequest) -> str:
    if request.param == "sqlite" and request.node.get_closest_marker("pg"):
        pytest.skip("PostgreSQL-only test")
    return request.param


@pytest.fixture
def settings(db_kind: str, request: pytest.FixtureRequest, tmp_path: Path, wechat_sandbox: Any) -> Settings:
    env = dict(wechat_sandbox.credentials.to_env())
    base: dict[str, Any] = {
        "secret_key": "test-secret-key-not-for-production",
        "instance_dir": str(tmp_path),
        "testing": True,
        "wechat_api_base": wechat_sandbox.wx_base,
        "wechatpay_base": wechat_sandbox.pay_base,
    }
    if db_kind == "pg":
        base["database_url"] = request.getfixturevalue("pg_url")
        base["redis_url"] = REDIS_URL
        base["rq_queue"] = f"yecai-test-{uuid.uuid4().hex[:8]}"
    else:
        target = tmp_path / "yecai.sqlite3"
        shutil.copy(request.getfixturevalue("sqlite_template"), target)
        base["database_url"] = f"sqlite:///{target}"
    return load_settings(environ=env, **base)


def _truncate_all(database: peewee.Database) -> None:
    tables = [t for t in database.get_tables() if t != "schema_migration"]
    if tables:
        database.execute_sql("TRUNCATE " + ", ".join(f'"{t}"' for t in tables) + " RESTART IDENTITY CASCADE")


@pytest.fixture
def app(settings: Settings) -> Iterator[Any]:
    from backend import create_app

    application = create_app(settings)
    clock.reset()
    yield application
    clock.reset()
    if settings.is_postgres:
        _truncate_all(db.obj)
        db.obj.close_all()  # type: ignore[attr-defined]
        from redis import Redis

        conn = Redis.from_url(settings.redis_url)
        for key in conn.scan_iter(f"rq:*{settings.rq_queue}*"):
            conn.delete(key)
    else:
        db.obj.close()


@pytest.fixture
def client(app: Any) -> Any:
    return app.test_client()


@pytest.fixture
def drain_jobs(settings: Settings) -> Any:
    """Run queued rq jobs to completion (PostgreSQL + Redis runs); in-process runs need nothing."""

    def drain() -> None:
        from backend.jobs import dispatch

        if not dispatch.uses_rq():
            dispatch.relay_due()
            return
        from rq import SimpleWorker

        dispatch.relay_due()
        worker = SimpleWorker(
            [dispatch.rq_queue()],
            connection=dispatch.redis_connection(),
            serializer=dispatch.rq_queue().serializer,
        )
        worker.work(burst=True, with_scheduler=False)

    return drain


@pytest.fixture
def make_user(app: Any) -> Any:
    from backend.auth import services

    counter = iter(range(1, 10_000))

    def make(role: str = "staff", password: str = "correct horse 1", **fields: Any) -> Any:
        n = next(counter)
        fields.setdefault("username", f"{role}{n}")
        return services.create_user(role, password=password, **fields)

    return make


@pytest.fixture
def login(client: Any) -> Any:
    """login(user) -> Authorization headers for a password user."""

    def do(user: Any, password: str = "correct horse 1") -> dict[str, str]:
        response = client.post(
            "/api/auth/password-login", json={"login": user.username, "password": password}
        )
        assert response.status_code == 200, response.json
        return {"Authorization": f"Bearer {response.json['token']}"}

    return do
