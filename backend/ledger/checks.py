"""Invariants of the journal, run by `yecai check`."""

from __future__ import annotations

import peewee as pw

from backend.checks import invariant
from backend.ledger.chart import BY_CODE
from backend.ledger.models import JournalEntry, JournalLine
from backend.ledger.services import tuples


@invariant("ledger: every journal entry balances")
def entries_balance() -> list[str]:
    debit = pw.fn.COALESCE(pw.fn.SUM(JournalLine.debit_fen), 0)
    credit = pw.fn.COALESCE(pw.fn.SUM(JournalLine.credit_fen), 0)
    query = (
        JournalEntry.select(JournalEntry.id, JournalEntry.event, debit.alias("d"), credit.alias("c"))
        .join(JournalLine, pw.JOIN.LEFT_OUTER)
        .group_by(JournalEntry.id, JournalEntry.event)
        .having((debit != credit) | (pw.fn.COUNT(JournalLine.id) == 0))
    )
    return [
        f"journal entry {eid} ({event}) debits {d} != credits {c} fen" for eid, event, d, c in tuples(query)
    ]


@invariant("ledger: lines use known accounts and one side each")
def lines_well_formed() -> list[str]:
    problems = [
        f"journal line {line_id} uses unknown account {code!r}"
        for line_id, code in tuples(
            JournalLine.select(JournalLine.id, JournalLine.account_code).where(
                JournalLine.account_code.not_in(list(BY_CODE))
            )
        )
    ]
    problems += [
        f"journal line {line_id} has debit {d} and credit {c}"
        for line_id, d, c in tuples(
            JournalLine.select(JournalLine.id, JournalLine.debit_fen, JournalLine.credit_fen).where(
                (JournalLine.debit_fen < 0)
                | (JournalLine.credit_fen < 0)
                | ((JournalLine.debit_fen == 0) == (JournalLine.credit_fen == 0))
            )
        )
    ]
    return problems
