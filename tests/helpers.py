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
