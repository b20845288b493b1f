"""Invariants of credit control, run by `yecai check`."""

from __future__ import annotations

import peewee as pw

from backend.checks import invariant
from backend.kernel.models import Customer
from backend.ledger import chart
from backend.ledger.models import JournalEntry, JournalLine
from backend.ledger.services import tuples
from backend.receivables.credit.models import (
    CreditProfile,
    DunningStep,
    InterestCharge,
    PromiseToPay,
    WriteOff,
)
from backend.receivables.models import ArEntry


def _booked(event: str, account: str) -> int:
    """Net debit of `account` over every voucher of `event`."""
    total = (
        JournalLine.select(pw.fn.COALESCE(pw.fn.SUM(JournalLine.debit_fen - JournalLine.credit_fen), 0))
        .join(JournalEntry, on=(JournalLine.entry == JournalEntry.id))
        .where((JournalEntry.event == event) & (JournalLine.account_code == account))
        .scalar()
    )
    return int(total or 0)


def _entries(kind: str) -> dict[int, int]:
    return {
        int(i): int(t)
        for i, t in tuples(
            ArEntry.select(ArEntry.invoice, pw.fn.SUM(ArEntry.amount_fen))
            .where(ArEntry.kind == kind)
            .group_by(ArEntry.invoice)
        )
    }


@invariant("credit: profile caches on each customer equal the profile in force")
def profile_caches() -> list[str]:
    newest = CreditProfile.select(
        CreditProfile.customer, pw.fn.MAX(CreditProfile.version).alias("v")
    ).group_by(CreditProfile.customer)
    rows = (
        CreditProfile.select(CreditProfile, Customer)
        .join(
            newest,
            on=((CreditProfile.customer == newest.c.customer_id) & (CreditProfile.version == newest.c.v)),
        )
        .switch(CreditProfile)
        .join(Customer)
    )
    problems = [
        f"customer {row.customer.id}: limit {row.customer.credit_limit_fen} / terms {row.customer.payment_terms_days} "
        f"but profile v{row.version} says {row.limit_fen} / {row.terms_days}"
        for row in rows
        if (row.customer.credit_limit_fen, row.customer.payment_terms_days) != (row.limit_fen, row.terms_days)
    ]
    problems += [
        f"customer {c} has negative accepted-not-invoiced {u}"
        for c, u in tuples(
            Customer.select(Customer.id, Customer.uninvoiced_fen).where(Customer.uninvoiced_fen < 0)
        )
    ]
    return problems


@invariant("credit: late interest equals its invoices, entries and vouchers (Cr 5301), waivers reverse it")
def interest_is_booked() -> list[str]:
    problems = []
    posted = _entries("interest")
    waived = _entries("waiver")
    charged = waived_total = 0
    for charge in InterestCharge.select():
        charged += charge.amount_fen
        waived_total += charge.waived_fen
        if charge.amount_fen == 0:
            if charge.interest_invoice_id is not None:
                problems.append(f"interest charge {charge.id} of nothing has an invoice")
            continue
        invoice_id = charge.interest_invoice_id
        if posted.get(invoice_id) != charge.amount_fen:
            problems.append(
                f"interest charge {charge.id}: {charge.amount_fen} fen but its invoice's entry is {posted.get(invoice_id)}"
            )
        if -waived.get(invoice_id, 0) != charge.waived_fen or (charge.status == "waived") != (
            charge.waived_fen > 0
        ):
            problems.append(
                f"interest charge {charge.id}: waived {charge.waived_fen} ({charge.status}) but entries say {-waived.get(invoice_id, 0)}"
            )
    if -_booked("credit.late_interest", chart.NON_OPERATING_INCOME) != charged:
        problems.append(
            f"late interest charged {charged} fen but 5301 was credited {-_booked('credit.late_interest', chart.NON_OPERATING_INCOME)}"
        )
    if _booked("credit.interest_waived", chart.NON_OPERATING_INCOME) != waived_total:
        problems.append(
            f"interest waived {waived_total} fen but 5301 was debited {_booked('credit.interest_waived', chart.NON_OPERATING_INCOME)}"
        )
    return problems


@invariant(
    "credit: write-offs equal their entries and vouchers (Dr 5711), recoveries (Cr 5301), once per invoice"
)
def write_offs_are_booked() -> list[str]:
    problems = []
    written = _entries("write_off")
    recovered = _entries("recovery")
    total = recovered_total = 0
    for row in WriteOff.select():
        total += row.amount_fen
        recovered_total += row.recovered_fen
        if -written.get(row.invoice_id, 0) != row.amount_fen:
            problems.append(
                f"write-off {row.id}: {row.amount_fen} fen but entries say {-written.get(row.invoice_id, 0)}"
            )
        if recovered.get(row.invoice_id, 0) != row.recovered_fen:
            problems.append(
                f"write-off {row.id}: recovered {row.recovered_fen} fen but entries say {recovered.get(row.invoice_id, 0)}"
            )
    stray = set(written) - {w.invoice_id for w in WriteOff.select(WriteOff.invoice)}
    problems += [f"invoice {i} has write-off entries without a write-off" for i in sorted(stray)]
    if _booked("credit.write_off", chart.BAD_DEBT) != total:
        problems.append(
            f"write-offs {total} fen but 5711 was debited {_booked('credit.write_off', chart.BAD_DEBT)}"
        )
    if -_booked("credit.bad_debt_recovered", chart.NON_OPERATING_INCOME) != recovered_total:
        problems.append(
            f"recoveries {recovered_total} fen but 5301 was credited {-_booked('credit.bad_debt_recovered', chart.NON_OPERATING_INCOME)}"
        )
    return problems


@invariant("credit: no reminder went out for an invoice already paid; kept promises were paid")
def dunning_and_promises() -> list[str]:
    owed_then = ArEntry.select(pw.fn.COALESCE(pw.fn.SUM(ArEntry.amount_fen), 0)).where(
        (ArEntry.invoice == DunningStep.invoice) & (ArEntry.created_at <= DunningStep.sent_at)
    )
    late = tuples(
        DunningStep.select(DunningStep.id, DunningStep.invoice).where(
            (DunningStep.status == "sent") & (owed_then == 0)
        )
    )
    problems = [f"reminder {s} for invoice {i} was sent after the invoice was paid" for s, i in late]
    problems += [
        f"promise {p} is kept but only {c} of {a} fen came in"
        for p, c, a in tuples(
            PromiseToPay.select(PromiseToPay.id, PromiseToPay.collected_fen, PromiseToPay.amount_fen).where(
                (PromiseToPay.status == "kept") & (PromiseToPay.collected_fen < PromiseToPay.amount_fen)
            )
        )
    ]
    return problems
