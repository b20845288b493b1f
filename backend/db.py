"""The database handle, the one way to open a transaction, and after-commit callbacks.

Every business event runs in exactly one `transaction()`. Nested calls join the outer
transaction, so a service can call another service and both commit together; a caller that
catches a failure and carries on marks that block with `savepoint()`.
Work that must only happen once the data is durable (relaying outbox rows to the job queue)
is registered with `on_commit()` and runs after the outermost block commits; it is dropped on
rollback.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import TYPE_CHECKING, Any
from urllib.parse import unquote, urlparse

import peewee
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
        self._returned_at: dict[int, float] = {}

    def _close(self, conn: Any, close_conn: bool = False) -> None:
        if close_conn:
            self._returned_at.pop(self.conn_key(conn), None)
        else:
            self._returned_at[self.conn_key(conn)] = time.monotonic()
        super()._close(conn, close_conn)

    def _is_closed(self, conn: Any) -> bool:
        returned = self._returned_at.get(self.conn_key(conn))
        if (
            returned is not None
            and time.monotonic() - returned < self.TRUST_SECONDS
            and not conn.closed
            and conn.get_transaction_status() == 0  # psycopg2 TRANSACTION_STATUS_IDLE
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
