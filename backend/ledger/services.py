"""Post vouchers. The only writer of journal entries; every business event calls `post_entry`."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any, NamedTuple

import peewee as pw

from backend import clock
from backend.db import Param, Prepared, transaction
from backend.ledger.chart import BY_CODE, CHART
from backend.ledger.errors import UnbalancedEntry, UnknownAccount
from backend.ledger.models import Account, JournalEntry, JournalLine

# Every business event posts a voucher (prepared: see backend.db.Prepared).
_INSERT_ENTRY = Prepared(
    lambda: JournalEntry.insert(
        event=Param("event"),
        memo=Param("memo"),
        source_type=Param("source_type"),
        source_id=Param("source_id"),
        posted_on=Param("today"),
        created_at=Param("now"),
    ).returning(JournalEntry.id)
)
_INSERT_LINES = Prepared(
    lambda count: JournalLine.insert_many(
        [
            {
                "entry": Param("entry"),
                "account_code": Param((n, "account")),
                "debit_fen": Param((n, "debit")),
                "credit_fen": Param((n, "credit")),
                "customer_id": Param((n, "customer")),
            }
            for n in range(count)
        ]
    )
)


class Line(NamedTuple):
    account: str
    debit_fen: int = 0
    credit_fen: int = 0
    customer_id: int | None = None


def Dr(account: str, amount_fen: int, customer_id: int | None = None) -> Line:
    return Line(account, amount_fen, 0, customer_id)


def Cr(account: str, amount_fen: int, customer_id: int | None = None) -> Line:
    return Line(account, 0, amount_fen, customer_id)


def validate(lines: Sequence[Line]) -> list[Line]:
    """Drop zero lines and refuse anything that is not a balanced, non-empty entry."""
    kept = [line for line in lines if line.debit_fen or line.credit_fen]
    for line in kept:
        if line.account not in BY_CODE:
            raise UnknownAccount(details={"account": line.account})
        if line.debit_fen < 0 or line.credit_fen < 0 or (line.debit_fen and line.credit_fen):
            raise UnbalancedEntry("A line needs exactly one positive side", details={"line": list(line)})
    debits = sum(line.debit_fen for line in kept)
    credits = sum(line.credit_fen for line in kept)
    if not kept or debits != credits:
        raise UnbalancedEntry(details={"debit_fen": debits, "credit_fen": credits})
    return kept


def post_entry(
    event: str,
    lines: Sequence[Line],
    *,
    memo: str = "",
    source_type: str = "",
    source_id: int | None = None,
) -> int:
    """Write one balanced voucher; returns its id. Joins the caller's transaction."""
    kept = validate(lines)
    values: dict[Any, Any] = {
        "event": event,
        "memo": memo[:255],
        "source_type": source_type,
        "source_id": source_id,
        "today": clock.today(),
        "now": clock.now(),
    }
    for n, line in enumerate(kept):
        values[n, "account"], values[n, "debit"] = line.account, line.debit_fen
        values[n, "credit"], values[n, "customer"] = line.credit_fen, line.customer_id
    with transaction():
        values["entry"] = entry_id = int(_INSERT_ENTRY.execute(values).fetchone()[0])
        _INSERT_LINES.execute(values, len(kept))
    return entry_id


def tuples(query: Any) -> list[tuple[Any, ...]]:
    """Rows of a select as plain tuples (peewee's `.tuples()` is not typed as iterable)."""
    return [tuple(row) for row in query.tuples()]


def account_balance(code: str) -> int:
    """Debit minus credit over all lines of an account (positive for assets and expenses)."""
    (row,) = tuples(
        JournalLine.select(
            pw.fn.COALESCE(pw.fn.SUM(JournalLine.debit_fen), 0),
            pw.fn.COALESCE(pw.fn.SUM(JournalLine.credit_fen), 0),
        ).where(JournalLine.account_code == code)
    )
    return int(row[0]) - int(row[1])


def entry_lines(entry_id: int) -> list[tuple[str, int, int]]:
    """(account, debit, credit) of one entry, in insertion order (for tests and reports)."""
    query = JournalLine.select().where(JournalLine.entry == entry_id).order_by(JournalLine.id)
    return [(line.account_code, line.debit_fen, line.credit_fen) for line in query]


def ensure_chart() -> int:
    """Insert any chart account missing from the table (the migration seeds it; a wiped table is refilled)."""
    with transaction():
        rows = [a._asdict() for a in CHART]
        return int(Account.insert_many(rows).on_conflict_ignore().as_rowcount().execute() or 0)
