"""Invariants of receivables, run by `yecai check`."""

from __future__ import annotations

import peewee as pw

from backend.checks import invariant
from backend.kernel.models import Customer
from backend.ledger import chart
from backend.ledger.models import JournalEntry, JournalLine
from backend.ledger.services import tuples
from backend.receivables.models import Adjustment, ArEntry, Invoice


def _sums_by(field: pw.Field) -> dict[int, int]:
    return {
        int(key): int(total)
        for key, total in tuples(ArEntry.select(field, pw.fn.SUM(ArEntry.amount_fen)).group_by(field))
    }


@invariant("receivables: account 1122 equals open items, per customer and in total")
def control_account_matches_open_items() -> list[str]:
    problems = []
    open_by_customer = {
        int(c): int(total)
        for c, total in tuples(
            Invoice.select(Invoice.customer, pw.fn.SUM(Invoice.open_fen)).group_by(Invoice.customer)
        )
    }
    booked_by_customer = {
        int(c or 0): int(d) - int(cr)
        for c, d, cr in tuples(
            JournalLine.select(
                JournalLine.customer_id, pw.fn.SUM(JournalLine.debit_fen), pw.fn.SUM(JournalLine.credit_fen)
            )
            .where(JournalLine.account_code == chart.RECEIVABLES)
            .group_by(JournalLine.customer_id)
        )
    }
    for customer in sorted(set(open_by_customer) | set(booked_by_customer)):
        booked, open_ = booked_by_customer.get(customer, 0), open_by_customer.get(customer, 0)
        if booked != open_:
            problems.append(
                f"customer {customer}: account 1122 shows {booked} fen but open items sum to {open_}"
            )
    total_booked, total_open = sum(booked_by_customer.values()), sum(open_by_customer.values())
    if total_booked != total_open:
        problems.append(f"account 1122 应收账款 is {total_booked} fen but open items sum to {total_open} fen")
    return problems


@invariant("receivables: balances and open amounts equal the sums of their entries")
def caches_match_entries() -> list[str]:
    problems = []
    by_customer = _sums_by(ArEntry.customer)
    for customer in Customer.select(Customer.id, Customer.balance_fen):
        expected = by_customer.get(customer.id, 0)
        if customer.balance_fen != expected:
            problems.append(
                f"customer {customer.id} balance {customer.balance_fen} fen but entries sum to {expected}"
            )
    by_invoice = _sums_by(ArEntry.invoice)
    for invoice in Invoice.select(Invoice.id, Invoice.open_fen, Invoice.amount_fen):
        expected = by_invoice.get(invoice.id, 0)
        if invoice.open_fen != expected:
            problems.append(f"invoice {invoice.id} open {invoice.open_fen} fen but entries sum to {expected}")
        if not 0 <= invoice.open_fen <= invoice.amount_fen:
            problems.append(f"invoice {invoice.id} open {invoice.open_fen} outside 0..{invoice.amount_fen}")
    return problems


@invariant("receivables: adjustments equal their receivable entries and their vouchers, per invoice")
def adjustments_match_entries_and_vouchers() -> list[str]:
    problems = []
    entries = {
        int(invoice): int(total)
        for invoice, total in tuples(
            ArEntry.select(ArEntry.invoice, pw.fn.SUM(ArEntry.amount_fen))
            .where(ArEntry.kind == "adjustment")
            .group_by(ArEntry.invoice)
        )
    }
    adjusted = {
        int(invoice): int(total)
        for invoice, total in tuples(
            Adjustment.select(Adjustment.invoice, pw.fn.SUM(Adjustment.amount_fen)).group_by(
                Adjustment.invoice
            )
        )
    }
    for invoice in sorted(set(entries) | set(adjusted)):
        if entries.get(invoice, 0) != adjusted.get(invoice, 0):
            problems.append(
                f"invoice {invoice}: adjustments sum to {adjusted.get(invoice, 0)} fen "
                f"but its adjustment entries to {entries.get(invoice, 0)}"
            )
    # Each adjustment's voucher moves 1122 by exactly its amount (debit - credit = signed amount).
    booked = {
        int(source): int(d) - int(c)
        for source, d, c in tuples(
            JournalLine.select(
                JournalEntry.source_id, pw.fn.SUM(JournalLine.debit_fen), pw.fn.SUM(JournalLine.credit_fen)
            )
            .join(JournalEntry)
            .where(
                (JournalEntry.source_type == "adjustment") & (JournalLine.account_code == chart.RECEIVABLES)
            )
            .group_by(JournalEntry.source_id)
        )
    }
    for row in Adjustment.select(Adjustment.id, Adjustment.amount_fen, Adjustment.journal_entry_id):
        if booked.get(row.id) != row.amount_fen:
            problems.append(
                f"adjustment {row.id}: {row.amount_fen} fen but its voucher moves 1122 by {booked.get(row.id)}"
            )
    ids = {row.id for row in Adjustment.select(Adjustment.id)}
    for source in sorted(set(booked) - ids):
        problems.append(f"a voucher for adjustment {source}, which does not exist")
    total_entries, total_booked = sum(entries.values()), sum(booked.values())
    if total_entries != total_booked:
        problems.append(f"adjustment entries sum to {total_entries} fen but their vouchers to {total_booked}")
    return problems


@invariant("receivables: each customer's unapplied credit equals its movements and its 2203 vouchers")
def advances_match_movements_and_ledger() -> list[str]:
    from backend.ledger.models import JournalEntry
    from backend.receivables.advances import ADVANCE_EVENTS
    from backend.receivables.models import AdvanceAccount, AdvanceMovement

    problems = []
    moved = {
        int(c): int(t)
        for c, t in tuples(
            AdvanceMovement.select(AdvanceMovement.customer, pw.fn.SUM(AdvanceMovement.amount_fen)).group_by(
                AdvanceMovement.customer
            )
        )
    }
    held = {int(a.customer_id): int(a.balance_fen) for a in AdvanceAccount.select()}
    booked = {
        (int(c) if c is not None else None): int(cr) - int(d)
        for c, d, cr in tuples(
            JournalLine.select(
                JournalLine.customer_id, pw.fn.SUM(JournalLine.debit_fen), pw.fn.SUM(JournalLine.credit_fen)
            )
            .join(JournalEntry, on=(JournalLine.entry == JournalEntry.id))
            .where((JournalLine.account_code == chart.PREPAYMENTS) & JournalEntry.event.in_(ADVANCE_EVENTS))
            .group_by(JournalLine.customer_id)
        )
    }
    if None in booked:
        problems.append(
            f"customer advances: {booked.pop(None)} fen of 2203 advance vouchers name no customer"
        )
    for customer in sorted(set(moved) | set(held) | {c for c in booked if c is not None}):
        m, h, b = moved.get(customer, 0), held.get(customer, 0), booked.get(customer, 0)
        if not m == h == b:
            problems.append(
                f"customer {customer}: unapplied credit {h} fen, movements sum to {m}, account 2203 shows {b}"
            )
        if h < 0:
            problems.append(f"customer {customer}: unapplied credit is negative ({h} fen)")
    return problems
