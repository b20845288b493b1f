"""Small helpers shared by test packages."""

from __future__ import annotations


def journal_entries(event: str) -> list[list[tuple[str, int, int]]]:
    """The lines (account, debit, credit) of every voucher of one event, oldest first."""
    from backend.ledger.models import JournalEntry
    from backend.ledger.services import entry_lines

    return [
        entry_lines(e.id)
        for e in JournalEntry.select().where(JournalEntry.event == event).order_by(JournalEntry.id)
    ]
