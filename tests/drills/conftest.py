"""Fixtures of the drills: one private PostgreSQL cluster and one private Redis for the run, a
migrated template database, and per drill a fresh database, a fresh WeChat sandbox and the app's
processes (`Drill`). See tests/drills/README.md."""

from __future__ import annotations

import contextlib
import shutil
import tempfile
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.drills.shop import Drill, seed
from tests.drills.stack import PrivatePostgres, PrivateRedis

TEMPLATE = "drill_template"
# One line per drill (what was killed, requests sent/accepted/failed), printed at the end of the run.
REPORT: list[str] = []


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    for item in items:
        if "tests/drills/" in str(item.path):
            item.add_marker(pytest.mark.drill)


def pytest_terminal_summary(terminalreporter: pytest.TerminalReporter) -> None:
    if REPORT:
        terminalreporter.section("drills")
        for line in REPORT:
            terminalreporter.write_line(line)


@pytest.fixture(scope="session")
def drill_root() -> Iterator[Path]:
    root = Path(tempfile.mkdtemp(prefix="yecai-drills-"))
    yield root
    shutil.rmtree(root, ignore_errors=True)


@pytest.fixture(scope="session")
def private_pg(drill_root: Path) -> Iterator[PrivatePostgres]:
    pg = PrivatePostgres(drill_root)
    pg.start()
    from backend import migrate
    from backend.db import make_database

    pg.create_database(TEMPLATE)
    database = make_database(pg.url(TEMPLATE), pool_size=2)
    migrate.upgrade(database)
    database.close_all()  # type: ignore[attr-defined]
    yield pg
    with contextlib.suppress(Exception):
        pg.stop("immediate")


@pytest.fixture(scope="session")
def private_redis(drill_root: Path) -> Iterator[PrivateRedis]:
    redis = PrivateRedis(drill_root)
    redis.start()
    yield redis
    redis.kill()


@pytest.fixture
def drill(private_pg: PrivatePostgres, private_redis: PrivateRedis, drill_root: Path) -> Iterator[Drill]:
    """A fresh database from the template, seeded; a fresh sandbox. The drill starts its processes."""
    from payments.sandbox.testing import running_sandbox

    try:
        private_pg.execute("SELECT 1")
    except Exception:  # a drill before this one failed while its PostgreSQL was down
        private_pg.start()
    if private_redis.process is None:
        private_redis.start()
    name = f"drill_{uuid.uuid4().hex[:8]}"
    url = private_pg.create_database(name, TEMPLATE)
    folder = drill_root / name
    folder.mkdir()
    with running_sandbox() as sandbox:
        d = Drill(private_pg, private_redis, sandbox, url, folder, queue=f"yecai-{name}")
        seed(d)
        try:
            yield d
        finally:
            d.stop_all()
