"""backend.db: nested transactions join, savepoints undo alone, prepared statements, the pool."""

from __future__ import annotations

import datetime as dt
import inspect
import logging
from typing import Any

import peewee
import psycopg2.extensions
import pytest
from playhouse.pool import PooledPostgresqlDatabase

from backend import clock
from backend.db import Param, Prepared, make_database, savepoint, transaction
from backend.kernel.models import Product, Sku, Warehouse


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


class _CountingCursor(psycopg2.extensions.cursor):
    def execute(self, query: Any, vars: Any = None) -> Any:
        _STATEMENTS.append(query)
        return super().execute(query, vars)


class _CountingConnection(psycopg2.extensions.connection):
    def cursor(self, *args: Any, **kwargs: Any) -> Any:
        kwargs.setdefault("cursor_factory", _CountingCursor)
        return super().cursor(*args, **kwargs)


_STATEMENTS: list[Any] = []


def test_the_private_peewee_hooks_we_depend_on_are_still_there() -> None:
    """backend.db overrides the pool's `_is_closed(conn)` and calls a query's `_get_cursor_wrapper(cursor)`;
    a peewee upgrade that renames or reshapes either fails here first."""
    assert list(inspect.signature(PooledPostgresqlDatabase._is_closed).parameters) == ["self", "conn"]
    assert list(inspect.signature(peewee.ModelSelect._get_cursor_wrapper).parameters) == ["self", "cursor"]
    assert list(inspect.signature(peewee.ModelInsert._get_cursor_wrapper).parameters) == ["self", "cursor"]
    # The pool still asks `_is_closed` about each idle connection it hands out.
    assert "self._is_closed(conn)" in inspect.getsource(PooledPostgresqlDatabase._connect)


def test_prepared_rows_of_a_join_come_back_as_joined_models(app: Any) -> None:
    with transaction():
        product = Product.create(name="果汁")
        Sku.create(product=product, name="橙汁 1L", price_fen=1200)
    joined = Prepared(lambda: Sku.select(Sku, Product).join(Product).where(Sku.name == Param("name")))
    (sku,) = joined.rows({"name": "橙汁 1L"})
    assert (sku.name, sku.price_fen, sku.product.id, sku.product.name) == (
        "橙汁 1L",
        1200,
        product.id,
        "果汁",
    )


@pytest.mark.pg
def test_the_pool_pings_only_a_connection_idle_past_its_trust_window(settings: Any) -> None:
    """Counts the `SELECT 1` pings the PostgreSQL driver really receives."""
    pool = make_database(settings.database_url, pool_size=2)
    pool.init(pool.database, connection_factory=_CountingConnection)
    _STATEMENTS.clear()
    try:
        pool.connect()
        pool.close()  # handed back just now
        pool.connect()
        assert _STATEMENTS == []
        pool.execute_sql("SELECT 2")
        pool.close()
        pool.TRUST_SECONDS = 0.0  # handed back longer ago than the pool trusts
        pool.connect()
        assert _STATEMENTS == ["SELECT 2", "SELECT 1"]
        pool.close()
    finally:
        pool.close_all()
