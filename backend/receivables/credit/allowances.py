"""One-off overrides granted ahead: "let 城东 go up to ¥20,000 over the limit once, until Friday".

The owner grants one directly; a staff member asks and the owner approves. The first sale on account
that would pass the limit by no more than the allowance uses it up (audited with the sale); an
allowance is used once, whole, and lapses after its last day.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from backend import audit, clock
from backend.approvals import services as approvals
from backend.approvals.models import ApprovalRequest
from backend.auth.models import User
from backend.db import transaction
from backend.errors import PermissionDenied
from backend.kernel.models import Customer
from backend.receivables import advances
from backend.receivables.credit.errors import InvalidCreditTerms, NotACreditCustomer
from backend.receivables.credit.models import CreditAllowance
from backend.receivables.credit.profiles import MAX_LIMIT_FEN
from backend.receivables.customer_lock import lock_customer
from backend.receivables.errors import UnknownCustomer

ONE_OFF_OVERRIDE = "credit_one_off_override"
MAX_DAYS = 90


def _validated(customer_id: int, amount_fen: Any, until: Any) -> tuple[Customer, int, dt.date]:
    customer = Customer.get_or_none(Customer.id == customer_id)
    if customer is None:
        raise UnknownCustomer(details={"customer_id": customer_id})
    if customer.kind == "walk_in":
        raise NotACreditCustomer(details={"customer_id": customer_id})
    problems = {}
    if not isinstance(amount_fen, int) or isinstance(amount_fen, bool) or not 0 < amount_fen <= MAX_LIMIT_FEN:
        problems["amount_fen"] = f"must be a whole number from 1 to {MAX_LIMIT_FEN}"
    today = clock.today()
    if not isinstance(until, dt.date) or not today <= until <= today + dt.timedelta(days=MAX_DAYS):
        problems["until"] = f"must be a day from today to {MAX_DAYS} days ahead"
    if problems:
        raise InvalidCreditTerms(details={"fields": problems})
    return customer, amount_fen, until


def grant(
    customer_id: int, amount_fen: int, until: dt.date, *, actor_id: int, reason: str = ""
) -> CreditAllowance | ApprovalRequest:
    """The owner's grant applies at once; a staff member's request waits for the owner."""
    actor = User.get_or_none(User.id == actor_id)
    if actor is None or actor.role not in ("owner", "staff"):
        raise PermissionDenied()
    customer, amount_fen, until = _validated(customer_id, amount_fen, until)
    with transaction():
        if actor.role == "owner":
            return _create(customer.id, amount_fen, until, granted_by=actor_id, reason=reason)
        return approvals.request(
            ONE_OFF_OVERRIDE,
            subject_type="customer",
            subject_id=customer.id,
            payload={"until": until.isoformat()},
            amount_fen=amount_fen,
            reason=reason,
            requested_by=actor_id,
        )


def _create(
    customer_id: int,
    amount_fen: int,
    until: dt.date,
    *,
    granted_by: int,
    reason: str,
    approval_id: int | None = None,
) -> CreditAllowance:
    row = CreditAllowance.create(
        customer=customer_id,
        amount_fen=amount_fen,
        until=until,
        granted_by=granted_by,
        reason=reason,
        approval_id=approval_id,
    )
    audit.record(
        granted_by,
        "credit.allowance_grant",
        "customer",
        customer_id,
        allowance_id=row.id,
        amount_fen=amount_fen,
        until=until,
        reason=reason,
        approval_id=approval_id,
    )
    return row


def _approve(request: ApprovalRequest, decider_id: int) -> dict[str, Any]:
    until = dt.date.fromisoformat(approvals.payload_of(request)["until"])
    _, amount_fen, until = _validated(int(request.subject_id), request.amount_fen, until)
    row = _create(
        int(request.subject_id),
        amount_fen,
        until,
        granted_by=decider_id,
        reason=request.reason,
        approval_id=request.id,
    )
    return {"allowance_id": row.id}


approvals.register(
    approvals.Kind(ONE_OFF_OVERRIDE, "一次性超额度", "One-off credit override", approve=_approve)
)


def use_for(customer_id: int, amount_fen: int, what: str) -> bool:
    """Use up an allowance that covers this sale's excess over the limit; False if none does.

    The customer row is locked first, so the excess computed here cannot change under us. Only when
    there is an allowance at all: a refusal must not queue behind every other sale of this customer."""
    if not open_allowances(customer_id):
        return False
    customer = lock_customer(customer_id)
    exposure = customer.balance_fen + customer.uninvoiced_fen - advances.balance_of(customer_id)
    excess = exposure + amount_fen - customer.credit_limit_fen
    if excess <= 0:  # within the limit after all (a collection committed meanwhile)
        return True
    allowance = (
        CreditAllowance.select()
        .where(
            (CreditAllowance.customer == customer_id)
            & CreditAllowance.used_at.is_null()
            & (CreditAllowance.until >= clock.today())
            & (CreditAllowance.amount_fen >= excess)
        )
        .order_by(CreditAllowance.amount_fen, CreditAllowance.id)
        .first()
    )
    if allowance is None:
        return False
    CreditAllowance.update(used_at=clock.now(), used_for=what[:64]).where(
        CreditAllowance.id == allowance.id
    ).execute()
    audit.record(
        allowance.granted_by_id,
        "credit.override",
        "customer",
        customer_id,
        what=what,
        amount_fen=amount_fen,
        excess_fen=excess,
        allowance_id=allowance.id,
        reason=allowance.reason,
    )
    return True


def open_allowances(customer_id: int) -> list[CreditAllowance]:
    return list(
        CreditAllowance.select()
        .where(
            (CreditAllowance.customer == customer_id)
            & CreditAllowance.used_at.is_null()
            & (CreditAllowance.until >= clock.today())
        )
        .order_by(CreditAllowance.id)
    )
