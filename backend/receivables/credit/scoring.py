"""Credit scoring: each night every credit customer gets a score 0-100 and a grade A-E from their own
history, with each factor's contribution, so the owner sees why; and a proposed limit change (raise,
lower, hold) the owner accepts or dismisses in the approvals inbox.

Factors (the year to the scoring day; points taken from a base of 95, plus up to 5 for age):
- lateness: days beyond terms, weighted by amount (paid invoices by the day they were cleared, open
  ones up to today): -1 point per weighted day, at most -30
- on time: the share of invoiced amount cleared by its due date: up to -20 for none
- utilisation: exposure over limit: nothing to 50%, then up to -15 at 100% and beyond
- longest overdue: the oldest invoice open past its due date: -1 per 3 days, at most -20
- broken promises to pay: -5 each, at most -10
- age of the relationship: +5 from two years, less for newer customers (0 under three months)
Grades: A from 85, B from 70, C from 55, D from 40, E below.
"""

from __future__ import annotations

import datetime as dt
import json
from dataclasses import dataclass
from typing import Any

import peewee as pw

from backend import clock
from backend.approvals import services as approvals
from backend.approvals.errors import AlreadyRequested
from backend.approvals.models import ApprovalRequest
from backend.db import savepoint, transaction
from backend.kernel.models import Customer
from backend.ledger.services import tuples
from backend.receivables import advances
from backend.receivables.credit import profiles
from backend.receivables.credit.models import CreditScore, InterestCharge, PromiseToPay
from backend.receivables.models import ArEntry, Invoice

LIMIT_PROPOSAL = "credit_limit_proposal"
GRADES = ((85, "A"), (70, "B"), (55, "C"), (40, "D"), (0, "E"))
LIMIT_STEP_FEN = 10_000  # proposals are rounded to ¥100
BATCH = 2000


def grade_of(score: int) -> str:
    return next(grade for floor, grade in GRADES if score >= floor)


@dataclass
class History:
    limit_fen: int
    exposure_fen: int
    created_on: dt.date
    invoiced_fen: int = 0
    on_time_fen: int = 0
    late_fen_days: int = 0
    longest_overdue_days: int = 0
    broken_promises: int = 0


def score_history(h: History, today: dt.date) -> tuple[int, dict[str, dict[str, Any]]]:
    """The score and each factor's value and points: the rule, written once."""
    weighted_late = h.late_fen_days / h.invoiced_fen if h.invoiced_fen else 0.0
    on_time = h.on_time_fen / h.invoiced_fen if h.invoiced_fen else 1.0
    utilisation = h.exposure_fen / h.limit_fen if h.limit_fen else (1.0 if h.exposure_fen else 0.0)
    age_days = (today - h.created_on).days
    factors: dict[str, dict[str, Any]] = {
        "lateness": {"value": round(weighted_late, 1), "points": -min(30, round(weighted_late))},
        "on_time_share": {"value": round(on_time, 3), "points": -round((1 - on_time) * 20)},
        "utilisation": {
            "value": round(utilisation, 3),
            "points": -min(15, max(0, round((utilisation - 0.5) * 30))),
        },
        "longest_overdue": {"value": h.longest_overdue_days, "points": -min(20, h.longest_overdue_days // 3)},
        "broken_promises": {"value": h.broken_promises, "points": -min(10, 5 * h.broken_promises)},
        "relationship_age": {"value": age_days, "points": min(5, max(0, (age_days - 90) * 5 // 640))},
    }
    score = 95 + sum(int(f["points"]) for f in factors.values())
    return max(0, min(100, score)), factors


def _round_limit(fen: float) -> int:
    return int(-(-int(fen) // LIMIT_STEP_FEN) * LIMIT_STEP_FEN)


def propose(grade: str, h: History) -> tuple[str, int] | None:
    """A limit change worth asking the owner about, if any."""
    if h.limit_fen <= 0:
        return None
    if grade == "A" and h.exposure_fen >= h.limit_fen * 0.8:
        return "raise", _round_limit(h.limit_fen * 1.25)
    if grade == "D":
        return "lower", _round_limit(h.limit_fen * 0.7)
    if grade == "E":
        # Hold at what is already used (credit paid ahead can make exposure negative: then nothing more).
        held = min(h.limit_fen, max(0, h.exposure_fen // LIMIT_STEP_FEN) * LIMIT_STEP_FEN)
        return "hold", held
    return None


def _histories(customers: list[Customer], today: dt.date) -> dict[int, History]:
    ids = [c.id for c in customers]
    credit = advances.balances_of(ids)  # paid ahead: their next invoice takes it
    histories = {
        c.id: History(
            c.credit_limit_fen,
            c.balance_fen + c.uninvoiced_fen - credit.get(c.id, 0),
            clock.business_date(c.created_at),
        )
        for c in customers
    }
    year_ago = today - dt.timedelta(days=365)
    interest = InterestCharge.select(InterestCharge.interest_invoice).where(
        InterestCharge.interest_invoice.is_null(False)
    )
    invoices = tuples(
        Invoice.select(
            Invoice.id, Invoice.customer, Invoice.amount_fen, Invoice.due_on, Invoice.open_fen
        ).where(
            Invoice.customer.in_(ids)
            & ((Invoice.issued_on >= year_ago) | (Invoice.open_fen > 0))
            & Invoice.id.not_in(interest)
        )
    )
    closed = [row[0] for row in invoices if row[4] == 0]
    cleared_at: dict[int, Any] = {}
    for start in range(0, len(closed), BATCH):
        chunk = closed[start : start + BATCH]
        cleared_at.update(
            tuples(
                ArEntry.select(ArEntry.invoice, pw.fn.MAX(ArEntry.created_at))
                .where(ArEntry.invoice.in_(chunk) & (ArEntry.amount_fen < 0))
                .group_by(ArEntry.invoice)
            )
        )
    for invoice_id, customer_id, amount, due_on, open_fen in invoices:
        if isinstance(due_on, str):
            due_on = dt.date.fromisoformat(due_on)
        h = histories[customer_id]
        if open_fen:
            late = max(0, (today - due_on).days)
            h.longest_overdue_days = max(h.longest_overdue_days, late)
            if due_on >= today:  # not due yet: says nothing about paying on time
                continue
        else:
            at = cleared_at.get(invoice_id)
            if isinstance(at, str):
                at = dt.datetime.fromisoformat(at)
            late = max(0, (clock.business_date(at) - due_on).days) if at else 0
        h.invoiced_fen += amount
        h.late_fen_days += amount * late
        if late == 0:
            h.on_time_fen += amount
    for customer_id, count in tuples(
        PromiseToPay.select(PromiseToPay.customer, pw.fn.COUNT(PromiseToPay.id))
        .where(
            PromiseToPay.customer.in_(ids)
            & (PromiseToPay.status == "broken")
            & (PromiseToPay.promised_on >= year_ago)
        )
        .group_by(PromiseToPay.customer)
    ):
        histories[customer_id].broken_promises = int(count)
    return histories


def credit_customers() -> pw.ModelSelect[Any]:
    return Customer.select().where((Customer.kind == "distributor") | (Customer.credit_limit_fen > 0))


def score_all(today: dt.date | None = None, *, propose_changes: bool = True) -> dict[str, int]:
    """Score every credit customer for `today` (once a day: a rerun leaves the day's scores as they are)."""
    today = today or clock.today()
    counts = {"scored": 0, "proposals": 0}
    last_id = 0
    while True:
        customers = list(credit_customers().where(Customer.id > last_id).order_by(Customer.id).limit(BATCH))
        if not customers:
            return counts
        last_id = customers[-1].id
        histories = _histories(customers, today)
        rows, proposals = [], []
        for customer_id, history in histories.items():
            score, factors = score_history(history, today)
            grade = grade_of(score)
            proposal = propose(grade, history)
            if proposal is not None and proposal[1] == history.limit_fen:
                proposal = None
            rows.append(
                {
                    "customer": customer_id,
                    "scored_on": today,
                    "score": score,
                    "grade": grade,
                    "factors": json.dumps(factors, sort_keys=True),
                    "proposal": proposal[0] if proposal else None,
                    "proposed_limit_fen": proposal[1] if proposal else None,
                }
            )
            if proposal is not None:
                proposals.append((customer_id, score, grade, proposal, history.limit_fen))
        with transaction():
            CreditScore.insert_many(rows).on_conflict_ignore().execute()
            counts["scored"] += len(rows)
            if propose_changes:
                for customer_id, score, grade, (kind, limit), old in proposals:
                    try:
                        with savepoint():
                            approvals.request(
                                LIMIT_PROPOSAL,
                                subject_type="customer",
                                subject_id=customer_id,
                                payload={
                                    "proposal": kind,
                                    "old_limit_fen": old,
                                    "score": score,
                                    "grade": grade,
                                },
                                amount_fen=limit,
                                reason=f"信用评分 {score} ({grade})",
                                requested_by=None,
                            )
                        counts["proposals"] += 1
                    except AlreadyRequested:
                        pass  # the owner has not decided the last one yet


def _accept(request: ApprovalRequest, decider_id: int) -> dict[str, Any]:
    change = profiles.change_profile(
        int(request.subject_id), {"limit_fen": request.amount_fen}, actor_id=decider_id, reason=request.reason
    )
    assert change.profile is not None  # the decider is an owner: applied at once
    return {"profile_version": change.profile.version}


approvals.register(
    approvals.Kind(
        LIMIT_PROPOSAL,
        "额度调整建议",
        "Proposed credit limit change",
        approve=_accept,
        one_open_per_subject=True,
    )
)


def latest(customer_id: int) -> CreditScore | None:
    return (
        CreditScore.select()
        .where(CreditScore.customer == customer_id)
        .order_by(CreditScore.scored_on.desc())
        .first()
    )


def scores_by_customer(customer_id: int, limit: int = 90) -> list[CreditScore]:
    return list(
        CreditScore.select()
        .where(CreditScore.customer == customer_id)
        .order_by(CreditScore.scored_on.desc())
        .limit(limit)
    )
