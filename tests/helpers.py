"""Small helpers shared by test packages."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import AbstractContextManager, contextmanager


def journal_entries(event: str) -> list[list[tuple[str, int, int]]]:
    """The lines (account, debit, credit) of every voucher of one event, oldest first."""
    from backend.ledger.models import JournalEntry
    from backend.ledger.services import entry_lines

    return [
        entry_lines(e.id)
        for e in JournalEntry.select().where(JournalEntry.event == event).order_by(JournalEntry.id)
    ]


def unchanged_by(snapshot: Callable[[], object]) -> Callable[[], AbstractContextManager[None]]:
    """`with guard():` around something that must be refused: `snapshot()` is equal before and after.

    Each test package defines what its snapshot covers and exposes this as its `unchanged` fixture."""

    @contextmanager
    def guard() -> Iterator[None]:
        before = snapshot()
        yield
        assert snapshot() == before

    return guard


def at_once(clients: int, work: Callable[[int], str]) -> list[str]:
    """`clients` threads start `work(n)` together (a barrier), each on its own database connection;
    their answers, sorted. `work` turns the refusals the test expects into answers; anything else it
    raises fails the test."""
    import threading

    from backend.db import db

    db.close()
    start = threading.Barrier(clients)
    outcomes: list[str] = []
    errors: list[BaseException] = []
    lock = threading.Lock()

    def client(n: int) -> None:
        try:
            start.wait()
            outcome = work(n)
            with lock:
                outcomes.append(outcome)
        except BaseException as exc:
            errors.append(exc)
        finally:
            if not db.is_closed():
                db.close()

    threads = [threading.Thread(target=client, args=(n,)) for n in range(clients)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(120)
    assert errors == []
    return sorted(outcomes)
