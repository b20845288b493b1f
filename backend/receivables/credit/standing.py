"""Where a customer stands on credit today: limit, exposure, headroom, what is overdue, and hold.

Exposure is what the limit has to cover: open receivables (`Customer.balance_fen`) plus on-account
orders accepted but not yet invoiced (`Customer.uninvoiced_fen`), less credit the customer paid ahead
and has not yet applied (`advances.balance_of`: their next invoice takes it). An invoice is overdue the day
after its due date; it holds new orders on account once it is overdue beyond the grace days, if the
profile says hold (otherwise the overdue is only a warning).
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any

import peewee as pw

from backend import clock
from backend.kernel.models import Customer
from backend.receivables import advances
from backend.receivables.credit.profiles import Terms, current_terms
from backend.receivables.errors import UnknownCustomer
from backend.receivables.models import Invoice


@dataclass(frozen=True)
class Standing:
    customer_id: int
    terms: Terms
    balance_fen: int
    uninvoiced_fen: int
    credit_fen: int  # paid ahead, not yet applied (预收)
    overdue_fen: int  # open on invoices past their due date
    overdue_days: int  # days the oldest overdue invoice is past due (0: none)
    held_fen: int  # open on invoices overdue beyond the grace days

    @property
    def limit_fen(self) -> int:
        return self.terms.limit_fen

    @property
    def exposure_fen(self) -> int:
        return self.balance_fen + self.uninvoiced_fen - self.credit_fen

    @property
    def headroom_fen(self) -> int:
        """What can still go on account; negative when already over the limit."""
        return self.limit_fen - self.exposure_fen

    @property
    def on_hold(self) -> bool:
        return self.terms.overdue_action == "hold" and self.held_fen > 0

    @property
    def hold_reason(self) -> str | None:
        if self.held_fen > 0:
            return "overdue_beyond_grace"
        return None


def hold_cutoff(today: dt.date, grace_days: int) -> dt.date:
    """Invoices due before this day are overdue beyond grace (due + grace < today)."""
    return today - dt.timedelta(days=grace_days)


def standing(customer_id: int, today: dt.date | None = None) -> Standing:
    today = today or clock.today()
    customer = Customer.get_or_none(Customer.id == customer_id)
    if customer is None:
        raise UnknownCustomer(details={"customer_id": customer_id})
    terms = current_terms(customer)
    cutoff = hold_cutoff(today, terms.grace_days)
    overdue = Invoice.select(
        pw.fn.COALESCE(pw.fn.SUM(Invoice.open_fen), 0),
        pw.fn.MIN(Invoice.due_on),
        pw.fn.COALESCE(pw.fn.SUM(pw.Case(None, [(Invoice.due_on < cutoff, Invoice.open_fen)], 0)), 0),
    ).where((Invoice.customer == customer_id) & (Invoice.open_fen > 0) & (Invoice.due_on < today))
    totals: Any = overdue.tuples().get()
    overdue_fen, oldest_due, held_fen = totals
    if isinstance(oldest_due, str):  # SQLite hands an aggregate's date back as text
        oldest_due = dt.date.fromisoformat(oldest_due)
    return Standing(
        customer_id=customer.id,
        terms=terms,
        balance_fen=customer.balance_fen,
        uninvoiced_fen=customer.uninvoiced_fen,
        credit_fen=advances.balance_of(customer.id),
        overdue_fen=int(overdue_fen),
        overdue_days=(today - oldest_due).days if oldest_due else 0,
        held_fen=int(held_fen),
    )
