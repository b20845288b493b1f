"""Credit profiles: read the terms in force, validate new ones, and change them (a new version).

The owner changes a profile directly; a staff member's change is a request the owner approves, and
is applied by the approval itself. Either way the change is audited with the old and new values.
A customer who never had a profile row is on the terms they were created with (version 0).
"""

from __future__ import annotations

import calendar
import datetime as dt
from dataclasses import asdict, dataclass, replace
from typing import Any

from backend import audit
from backend.approvals import services as approvals
from backend.approvals.models import ApprovalRequest
from backend.auth.models import User
from backend.db import transaction
from backend.errors import PermissionDenied
from backend.kernel.models import Customer
from backend.receivables.credit.errors import InvalidCreditTerms, NoCreditChange, NotACreditCustomer
from backend.receivables.credit.models import OVERDUE_ACTIONS, TERMS_KINDS, CreditProfile
from backend.receivables.customer_lock import lock_customer

MAX_LIMIT_FEN = 10**11  # one billion yuan of credit for one customer: beyond that it is a typo
MAX_TERMS_DAYS = 365
MAX_GRACE_DAYS = 90
MAX_LATE_INTEREST_PPM = 1000  # 0.1% a day (36.5% a year): anything above is not a contract term

PROFILE_CHANGE = "credit_profile_change"


@dataclass(frozen=True)
class Terms:
    limit_fen: int
    terms_kind: str
    terms_days: int
    grace_days: int
    late_interest_ppm: int
    overdue_action: str
    version: int = 0

    def values(self) -> dict[str, Any]:
        values = asdict(self)
        values.pop("version")
        return values


FIELDS = ("limit_fen", "terms_kind", "terms_days", "grace_days", "late_interest_ppm", "overdue_action")


def due_date(terms: Terms, issued_on: dt.date) -> dt.date:
    """N days after the invoice, or (月结) N days after the end of the invoice's month."""
    if terms.terms_kind == "month_end":
        month_end = issued_on.replace(day=calendar.monthrange(issued_on.year, issued_on.month)[1])
        return month_end + dt.timedelta(days=terms.terms_days)
    return issued_on + dt.timedelta(days=terms.terms_days)


def _from_row(row: CreditProfile) -> Terms:
    return Terms(
        limit_fen=row.limit_fen,
        terms_kind=row.terms_kind,
        terms_days=row.terms_days,
        grace_days=row.grace_days,
        late_interest_ppm=row.late_interest_ppm,
        overdue_action=row.overdue_action,
        version=row.version,
    )


def current_terms(customer: Customer) -> Terms:
    row = (
        CreditProfile.select()
        .where(CreditProfile.customer == customer.id)
        .order_by(CreditProfile.version.desc())
        .first()
    )
    if row is not None:
        return _from_row(row)
    return Terms(
        limit_fen=customer.credit_limit_fen,
        terms_kind="days",
        terms_days=customer.payment_terms_days,
        grace_days=0,
        late_interest_ppm=0,
        overdue_action="hold",
    )


def history(customer_id: int) -> list[CreditProfile]:
    return list(
        CreditProfile.select()
        .where(CreditProfile.customer == customer_id)
        .order_by(CreditProfile.version.desc())
    )


def _int_in(values: dict[str, Any], field: str, low: int, high: int, problems: dict[str, str]) -> None:
    value = values[field]
    if not isinstance(value, int) or isinstance(value, bool) or not low <= value <= high:
        problems[field] = f"must be a whole number from {low} to {high}"


def proposed(current: Terms, changes: dict[str, Any]) -> Terms:
    """`current` with `changes` applied, checked; InvalidCreditTerms names every bad field."""
    unknown = sorted(set(changes) - set(FIELDS))
    if unknown:
        raise InvalidCreditTerms(details={"unknown_fields": unknown})
    values = {**current.values(), **changes}
    problems: dict[str, str] = {}
    _int_in(values, "limit_fen", 0, MAX_LIMIT_FEN, problems)
    _int_in(values, "terms_days", 0, MAX_TERMS_DAYS, problems)
    _int_in(values, "grace_days", 0, MAX_GRACE_DAYS, problems)
    _int_in(values, "late_interest_ppm", 0, MAX_LATE_INTEREST_PPM, problems)
    if values["terms_kind"] not in TERMS_KINDS:
        problems["terms_kind"] = f"must be one of {', '.join(TERMS_KINDS)}"
    if values["overdue_action"] not in OVERDUE_ACTIONS:
        problems["overdue_action"] = f"must be one of {', '.join(OVERDUE_ACTIONS)}"
    if problems:
        raise InvalidCreditTerms(details={"fields": problems})
    new = replace(current, **values)
    if new == current:
        raise NoCreditChange()
    return new


def _locked_customer(customer_id: int) -> Customer:
    customer = lock_customer(customer_id)
    if customer.kind == "walk_in":
        raise NotACreditCustomer(details={"customer_id": customer_id})
    return customer


def _apply(
    customer: Customer, new: Terms, *, actor_id: int | None, reason: str, approval_id: int | None = None
) -> CreditProfile:
    """Write the next version and its caches on the customer row (which is locked), audited."""
    old = current_terms(customer)
    version = old.version + 1
    row = CreditProfile.create(
        customer=customer.id,
        version=version,
        reason=reason,
        changed_by=actor_id,
        approval_id=approval_id,
        **new.values(),
    )
    Customer.update(credit_limit_fen=new.limit_fen, payment_terms_days=new.terms_days).where(
        Customer.id == customer.id
    ).execute()
    audit.record(
        actor_id,
        "credit.profile_change",
        "customer",
        customer.id,
        version=version,
        old=old.values(),
        new=new.values(),
        reason=reason,
        approval_id=approval_id,
    )
    return row


@dataclass(frozen=True)
class ProfileChange:
    """Either the new version (applied) or the request waiting for the owner."""

    profile: CreditProfile | None = None
    approval: ApprovalRequest | None = None


def change_profile(
    customer_id: int, changes: dict[str, Any], *, actor_id: int, reason: str = ""
) -> ProfileChange:
    """The owner's change applies now; a staff member's goes to the owner for approval."""
    actor = User.get_or_none(User.id == actor_id)
    if actor is None or actor.role not in ("owner", "staff"):
        raise PermissionDenied()
    with transaction():
        customer = _locked_customer(customer_id)
        current = current_terms(customer)
        new = proposed(current, changes)
        if actor.role == "owner":
            return ProfileChange(profile=_apply(customer, new, actor_id=actor_id, reason=reason))
        request = approvals.request(
            PROFILE_CHANGE,
            subject_type="customer",
            subject_id=customer_id,
            payload={"from_version": current.version, "old": current.values(), "new": new.values()},
            amount_fen=new.limit_fen,
            reason=reason,
            requested_by=actor_id,
        )
        return ProfileChange(approval=request)


def _approve_change(request: ApprovalRequest, decider_id: int) -> dict[str, Any]:
    payload = approvals.payload_of(request)
    customer = _locked_customer(int(request.subject_id))
    current = current_terms(customer)
    new = proposed(current, {k: v for k, v in payload["new"].items() if k in FIELDS})
    row = _apply(customer, new, actor_id=decider_id, reason=request.reason, approval_id=request.id)
    return {"profile_version": row.version}


approvals.register(
    approvals.Kind(
        PROFILE_CHANGE,
        "信用条件变更",
        "Credit profile change",
        approve=_approve_change,
        one_open_per_subject=True,
    )
)
