"""The credit check: every path that raises what a customer owes goes through `open_receivable` (an
invoice on account, an adjustment that adds to a debt) or `accept_order` (an on-account order
accepted now and invoiced later).

Refused when the customer is held (an invoice overdue beyond grace, on a profile that holds) or when
exposure (open items + accepted orders not yet invoiced - credit paid ahead and not yet applied) would
pass the limit. The customer row is locked first and the limit decided by one conditional UPDATE of
it, so two parallel orders cannot both use the last of it: the second waits for the first's lock and
then sees its amount, and the credit it reads after the lock is what the first left (the first's new
invoice may have taken some; taking credit lowers what is owed by as much, and needs this lock too).

The owner can let one through: `override()` around the call (an approved over-limit order, or the
owner's own one-off override), or a one-off allowance granted ahead (`allowances.py`) that the next
sale needing it uses up. Every override is audited.
"""

from __future__ import annotations

import contextvars
import datetime as dt
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass

import peewee as pw

from backend import audit, clock
from backend.kernel.models import Customer
from backend.receivables import advances
from backend.receivables.credit.errors import CreditHold
from backend.receivables.credit.profiles import Terms, current_terms
from backend.receivables.credit.standing import hold_cutoff
from backend.receivables.customer_lock import lock_customer
from backend.receivables.errors import CreditLimitExceeded
from backend.receivables.models import Invoice


@dataclass(frozen=True)
class Override:
    by: int  # the owner who let it through
    reason: str
    approval_id: int | None = None


_override: contextvars.ContextVar[Override | None] = contextvars.ContextVar("credit_override", default=None)


@contextmanager
def override(by: int, reason: str, approval_id: int | None = None) -> Iterator[Override]:
    """Within this block, the credit check lets sales through over the limit or a hold (audited)."""
    granted = Override(by, reason, approval_id)
    token = _override.set(granted)
    try:
        yield granted
    finally:
        _override.reset(token)


def held_fen(customer_id: int, terms: Terms, today: dt.date) -> int:
    """What is open on invoices overdue beyond the grace days (0: not held)."""
    cutoff = hold_cutoff(today, terms.grace_days)
    total = (
        Invoice.select(pw.fn.COALESCE(pw.fn.SUM(Invoice.open_fen), 0))
        .where((Invoice.customer == customer_id) & (Invoice.open_fen > 0) & (Invoice.due_on < cutoff))
        .scalar()
    )
    return int(total or 0)


def _raise_within_limit(customer_id: int, column: pw.Field, amount_fen: int, credit_fen: int) -> bool:
    raised = (
        Customer.update({column: column + amount_fen})
        .where(
            (Customer.id == customer_id)
            & (
                Customer.balance_fen + Customer.uninvoiced_fen + amount_fen - credit_fen
                <= Customer.credit_limit_fen
            )
        )
        .execute()
    )
    return raised == 1


def _raise_regardless(customer_id: int, column: pw.Field, amount_fen: int) -> None:
    Customer.update({column: column + amount_fen}).where(Customer.id == customer_id).execute()


def _take(customer_id: int, column: pw.Field, amount_fen: int, what: str) -> Terms:
    from backend.receivables.credit import allowances  # allowances records its use through this module

    customer = lock_customer(customer_id)
    credit_fen = advances.balance_of(customer_id)
    terms = current_terms(customer)
    granted = _override.get()
    today = clock.today()
    held = held_fen(customer_id, terms, today) if terms.overdue_action == "hold" else 0
    if held and granted is None:
        raise CreditHold(details={"customer_id": customer_id, "held_fen": held, "requested_fen": amount_fen})
    if not held and _raise_within_limit(customer_id, column, amount_fen, credit_fen):
        return terms
    if granted is None:
        # Over the limit: a one-off allowance granted ahead may cover it (it locks the customer row).
        if allowances.use_for(customer_id, amount_fen, what):
            _raise_regardless(customer_id, column, amount_fen)
            return terms
        current = Customer.get_by_id(customer_id)
        raise CreditLimitExceeded(
            details={
                "credit_limit_fen": current.credit_limit_fen,
                "balance_fen": current.balance_fen,
                "credit_fen": credit_fen,
                "requested_fen": amount_fen,
            }
        )
    _raise_regardless(customer_id, column, amount_fen)
    current = Customer.get_by_id(customer_id)
    audit.record(
        granted.by,
        "credit.override",
        "customer",
        customer_id,
        what=what,
        amount_fen=amount_fen,
        reason=granted.reason,
        approval_id=granted.approval_id,
        held_fen=held,
        limit_fen=current.credit_limit_fen,
        exposure_fen=current.balance_fen + current.uninvoiced_fen - credit_fen,
    )
    return terms


def open_receivable(customer_id: int, amount_fen: int, what: str) -> Terms:
    """Raise the customer's balance by `amount_fen` after the credit check; returns the terms in force.
    Call inside the transaction that writes the receivable."""
    return _take(customer_id, Customer.balance_fen, amount_fen, what)


def accept_order(customer_id: int, amount_fen: int, what: str) -> Terms:
    """An on-account order accepted now, invoiced later: it counts against the limit from now on."""
    return _take(customer_id, Customer.uninvoiced_fen, amount_fen, what)


def release_accepted(customer_id: int, amount_fen: int) -> None:
    """An accepted order cancelled before its invoice: its amount no longer counts."""
    Customer.update(uninvoiced_fen=Customer.uninvoiced_fen - amount_fen).where(
        Customer.id == customer_id
    ).execute()


def invoice_accepted(customer_id: int, amount_fen: int) -> Terms:
    """An accepted order's invoice: the amount moves from accepted to owed, already checked at acceptance."""
    Customer.update(
        uninvoiced_fen=Customer.uninvoiced_fen - amount_fen, balance_fen=Customer.balance_fen + amount_fen
    ).where(Customer.id == customer_id).execute()
    return current_terms(Customer.get_by_id(customer_id))
