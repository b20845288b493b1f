"""backend.db: nested transactions join, savepoints undo alone, prepared statements, the pool."""

from __future__ import annotations

import datetime as dt
import logging
from typing import Any

import pytest

from backend import clock
from backend.db import Param, Prepared, db, savepoint, transaction
from backend.kernel.models import Warehouse


class Boom(Exception):
    pass


def codes() -> list[str]:
    return [w.code for w in Warehouse.select().order_by(Warehouse.id)]


def test_a_failure_in_a_nested_transaction_undoes_the_whole_event(app: Any) -> None:
    with pytest.raises(Boom), transaction():
        Warehouse.create(code="OUTER", name="外")
        with transaction():
            Warehouse.create(code="INNER", name="内")
            raise Boom()
    assert codes() == []


def test_a_nested_transaction_joins_without_a_savepoint_round_trip(app: Any) -> None:
    statements: list[str] = []

    class Capture(logging.Handler):
        def emit(self, record: logging.LogRecord) -> None:
            statements.append(str(record.msg[0]) if isinstance(record.msg, tuple) else str(record.msg))

    logger, handler = logging.getLogger("peewee"), Capture()
    level = logger.level
    logger.addHandler(handler)
    logger.setLevel(logging.DEBUG)
    try:
        with transaction():
            Warehouse.create(code="OUTER", name="外")
            with transaction(), transaction():
                Warehouse.create(code="INNER", name="内")
    finally:
        logger.removeHandler(handler)
        logger.setLevel(level)
    assert codes() == ["OUTER", "INNER"]
    assert [s.split()[0] for s in statements if "warehouse" in s] == ["INSERT", "INSERT"]
    assert not [s for s in statements if "SAVEPOINT" in s.upper()]


def test_a_savepoint_undoes_only_its_own_writes_and_the_caller_goes_on(app: Any) -> None:
    with transaction():
        Warehouse.create(code="OUTER", name="外")
        try:
            with savepoint():
                Warehouse.create(code="INNER", name="内")
                Warehouse.create(code="OUTER", name="重复")  # unique code: IntegrityError
        except Exception:
            pass
        Warehouse.create(code="AFTER", name="后")
    assert codes() == ["OUTER", "AFTER"]


_BY_CODE = Prepared(lambda: Warehouse.select().where(Warehouse.code == Param("code")))
_RENAME = Prepared(
    lambda: Warehouse.update(name=Param("name")).where(Warehouse.code == Param("code")).returning(Warehouse)
)
_INSERT_MANY = Prepared(
    lambda count: Warehouse.insert_many(
        [
            {"code": Param((n, "code")), "name": Param("name"), "created_at": Param("now")}
            for n in range(count)
        ]
    )
)


def test_a_prepared_statement_runs_again_with_new_values(app: Any) -> None:
    at = dt.datetime(2026, 3, 1, 9, 30, 15, 250000)
    with transaction():
        _INSERT_MANY.execute({(0, "code"): "A", (1, "code"): "B", "name": "仓", "now": at}, 2)
        _INSERT_MANY.execute({(0, "code"): "C", "name": "仓", "now": clock.now()}, 1)
    assert codes() == ["A", "B", "C"]
    (b,) = _BY_CODE.rows({"code": "B"})
    assert (b.code, b.name, b.created_at) == ("B", "仓", at)
    assert _BY_CODE.rows({"code": "nope"}) == []
    (renamed,) = _RENAME.rows({"code": "C", "name": "新仓"})
    assert (renamed.code, renamed.name) == ("C", "新仓")
    assert Warehouse.get(Warehouse.code == "C").name == "新仓"


def test_a_prepared_statement_refuses_a_frozen_timestamp(app: Any) -> None:
    frozen = Prepared(lambda: Warehouse.insert(code=Param("code"), name="x"))  # created_at defaults to now()
    with pytest.raises(TypeError, match="date or time literal"), transaction():
        frozen.execute({"code": "X"})
    assert codes() == []


@pytest.mark.pg
def test_the_pool_skips_the_liveness_ping_only_for_a_connection_just_handed_back(
    app: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    pool = db.obj
    pings: list[Any] = []
    original = pool._adapter.is_connection_closed
    monkeypatch.setattr(
        pool._adapter, "is_connection_closed", lambda conn: pings.append(conn) or original(conn)
    )
    pool.close_all()
    pool.connect()
    pool.close()  # handed back just now
    pool.connect()
    assert pings == []
    pool.close()
    monkeypatch.setattr(type(pool), "TRUST_SECONDS", 0.0)
    pool.connect()  # handed back longer ago than we trust: pinged first
    assert len(pings) == 1
    pool.close()
