"""The database handle, the one way to open a transaction, and after-commit callbacks.

Every business event runs in exactly one `transaction()`. Nested calls join the outer
transaction, so a service can call another service and both commit together; a caller that
catches a failure and carries on marks that block with `savepoint()`.
Work that must only happen once the data is durable (relaying outbox rows to the job queue)
is registered with `on_commit()` and runs after the outermost block commits; it is dropped on
rollback.
"""

from __future__ import annotations

import datetime as dt
import threading
import time
from collections.abc import Callable, Hashable, Iterator, Mapping
from contextlib import contextmanager
from typing import TYPE_CHECKING, Any
from urllib.parse import unquote, urlparse

import peewee
import psycopg2.extensions
from playhouse.pool import PooledPostgresqlDatabase

db = peewee.DatabaseProxy()

_local = threading.local()


class BaseModel(peewee.Model):
    id = peewee.AutoField()  # declared (not implicit) so the type checker knows every row has one

    if TYPE_CHECKING:
        # peewee's stubs do not know foreign-key `*_id` accessors or backrefs; let the checker
        # accept them on rows instead of sprinkling ignores over every model access.
        def __getattr__(self, name: str) -> Any: ...

    class Meta:
        database = db
        legacy_table_names = False


class _Pool(PooledPostgresqlDatabase):
    """peewee's pool, without a `SELECT 1` round trip for a connection that was just handed back.

    The stock pool pings every idle connection it hands out, one extra round trip per request.
    A connection checked in moments ago by a request that ended cleanly (idle, not in a
    transaction) is handed out as it is; one idle for longer is pinged first, as before, so a
    database restart is still noticed before a request uses a dead connection.
    """

    TRUST_SECONDS = 2.0

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        # id(connection) -> when it was last handed back. An entry is taken out when the pool hands
        # that connection out again, so one only ever describes the latest check-in.
        self._returned_at: dict[int, float] = {}

    def close(self) -> bool:
        if not self.is_closed():
            self._returned_at[id(self.connection())] = time.monotonic()
        return bool(super().close())

    # The one private hook left: peewee's pool calls `_is_closed(conn)` on each idle connection it
    # is about to hand out, and the PostgreSQL pool's answer costs a `SELECT 1`; no public setting
    # skips it, and skipping it is worth a round trip per request (bench/README.md).
    # tests/platform/test_db.py pins its name, signature and that peewee still calls it.
    def _is_closed(self, conn: Any) -> bool:
        returned = self._returned_at.pop(id(conn), None)
        if (
            returned is not None
            and time.monotonic() - returned < self.TRUST_SECONDS
            and not conn.closed
            and conn.get_transaction_status() == psycopg2.extensions.TRANSACTION_STATUS_IDLE
        ):
            return False
        return bool(super()._is_closed(conn))


def make_database(url: str, pool_size: int = 20) -> peewee.Database:
    """Build a peewee database from a URL: `sqlite:///path` or `postgresql://user@host:port/name`."""
    parsed = urlparse(url)
    if parsed.scheme == "sqlite":
        # sqlite:///relative/path, sqlite:////absolute/path, sqlite:///:memory:
        path = unquote(url[len("sqlite:///") :]) if url.startswith("sqlite:///") else ":memory:"
        return peewee.SqliteDatabase(
            path,
            pragmas={
                "journal_mode": "wal",
                "foreign_keys": 1,
                "busy_timeout": 10000,
                "synchronous": "normal",
            },
            check_same_thread=False,
        )
    if parsed.scheme in ("postgres", "postgresql"):
        return _Pool(
            unquote(parsed.path.lstrip("/")),
            user=unquote(parsed.username) if parsed.username else None,
            password=unquote(parsed.password) if parsed.password else None,
            host=parsed.hostname or "127.0.0.1",
            port=parsed.port or 5432,
            max_connections=pool_size,
            stale_timeout=300,
            timeout=10,
        )
    raise ValueError(f"unsupported database URL scheme: {parsed.scheme!r}")


def release_connection() -> None:
    """Hand this thread's connection back (to the pool, on PostgreSQL) after a unit of work: a request,
    a job. The next use takes one from the pool, which drops a connection that died meanwhile."""
    if not db.is_closed():
        db.close()


def bind(database: peewee.Database) -> None:
    db.initialize(database)


def is_postgres() -> bool:
    return isinstance(db.obj, peewee.PostgresqlDatabase)


def _state() -> threading.local:
    if not hasattr(_local, "depth"):
        _local.depth = 0
        _local.after_commit = []
    return _local


@contextmanager
def transaction() -> Iterator[None]:
    """Open (or join) the transaction for one business event.

    A nested call simply joins: an error unwinds to the outermost block, which rolls everything
    back. Joining costs no round trip, where a savepoint per service call cost two (a counter sale
    calls a dozen services). A caller that catches an error and goes on must wrap the failing call
    in `savepoint()`, so that call's half-done writes are undone and the transaction stays usable.
    """
    state = _state()
    if state.depth > 0:
        state.depth += 1
        try:
            yield
        finally:
            state.depth -= 1
        return
    state.after_commit = []
    state.scratch = {}
    # SQLite: take the write lock up front so two writers never deadlock on lock upgrade.
    ctx = db.atomic("IMMEDIATE") if not is_postgres() else db.atomic()
    state.depth = 1
    try:
        with ctx:
            yield
    except BaseException:
        state.after_commit = []
        raise
    finally:
        state.depth = 0
    callbacks, state.after_commit = state.after_commit, []
    for callback in callbacks:
        callback()


@contextmanager
def savepoint() -> Iterator[None]:
    """A block that can fail alone inside a transaction: its writes roll back, the caller's stay.

    Written out wherever a caller catches a failure and carries on (a domain error it handles, an
    IntegrityError from a concurrent twin); PostgreSQL would otherwise abort the whole
    transaction. Outside a transaction it is one.
    """
    state = _state()
    if state.depth == 0:
        with transaction():
            yield
        return
    state.depth += 1
    try:
        with db.atomic():  # peewee nests this as SAVEPOINT / RELEASE
            yield
    finally:
        state.depth -= 1


def transaction_scratch() -> dict[str, Any]:
    """Per-transaction storage for after-commit work (e.g. the outbox ids this transaction wrote)."""
    state = _state()
    if state.depth == 0:
        raise RuntimeError("no transaction is open")
    return state.scratch


def in_transaction() -> bool:
    return _state().depth > 0


def on_commit(callback: Callable[[], None]) -> None:
    """Run `callback` after the current outermost transaction commits (now, if there is none)."""
    state = _state()
    if state.depth == 0:
        callback()
    elif callback not in state.after_commit:
        state.after_commit.append(callback)


def locked(query: peewee.ModelSelect[Any]) -> peewee.ModelSelect[Any]:
    """SELECT ... FOR UPDATE on PostgreSQL. SQLite has no row locks and needs none: `transaction()`
    takes its write lock up front (BEGIN IMMEDIATE), so writers are already serialised."""
    return query.for_update() if is_postgres() else query


class _Slot:
    """Where a Param's value goes in a rendered statement's parameter list."""

    __slots__ = ("key",)

    def __init__(self, key: Hashable) -> None:
        self.key = key


class Param(peewee.Node):
    """A named placeholder in a `Prepared` statement: filled in per execution, never rendered in."""

    def __init__(self, key: Hashable) -> None:
        super().__init__()
        self.key = key

    def __sql__(self, ctx: Any) -> Any:
        return ctx.value(_Slot(self.key), converter=False)


class Prepared:
    """A hot statement that peewee renders once per database kind, then runs with new values.

    Building a query and rendering its SQL costs peewee 100-200 µs of CPU per statement, more than
    PostgreSQL takes to run most of ours; a counter sale runs about fifteen. `build(*shape)`
    returns the peewee query with a `Param` wherever a value varies per call (the shape, say a
    number of rows, is part of the cache key). Literals left in the query are fixed for good, so a
    date or time literal, almost certainly a field default evaluated once, is refused: pass every
    timestamp as a Param. Values go to the driver as they are: give them as peewee's `db_value`
    would (plain ints, strings, None, datetimes).
    """

    def __init__(self, build: Callable[..., Any]) -> None:
        self._build = build
        self._compiled: dict[tuple[Any, ...], tuple[str, list[Any], Any]] = {}

    def _compile(self, shape: tuple[Any, ...]) -> tuple[str, list[Any], Any]:
        database = db.obj
        key = (type(database), *shape)
        compiled = self._compiled.get(key)
        if compiled is None:
            query = self._build(*shape)
            sql, params = database.get_sql_context().sql(query).query()
            for value in params:
                if isinstance(value, dt.date):
                    raise TypeError(f"a date or time literal in a prepared statement: {sql}")
            slots = [value if isinstance(value, _Slot) else _Fixed(value) for value in params]
            compiled = self._compiled[key] = (sql, slots, query)
        return compiled

    def execute(self, values: Mapping[Any, Any], *shape: Any) -> Any:
        """Run it; returns the driver's cursor (rowcount, fetchone)."""
        sql, slots, _ = self._compile(shape)
        params = [slot.value if type(slot) is _Fixed else values[slot.key] for slot in slots]
        return db.obj.execute_sql(sql, params)

    def rows(self, values: Mapping[Any, Any], *shape: Any) -> list[Any]:
        """Run it and read its rows the way the query would: model instances, tuples or dicts."""
        _, _, query = self._compile(shape)
        cursor = self.execute(values, *shape)
        # Private, and kept: peewee has no public way to read a cursor it did not run itself as the
        # query's rows (joined models included). tests/platform/test_db.py pins it.
        return list(query._get_cursor_wrapper(cursor))


class _Fixed:
    __slots__ = ("value",)

    def __init__(self, value: Any) -> None:
        self.value = value
