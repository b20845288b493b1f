"""Credit scoring from generated histories: customers who pay late, leave invoices open and break
promises (and later default) score lower than those who pay on time; each factor's contribution is
listed; limit proposals go to the owner's inbox, and accepting one changes the profile."""

from __future__ import annotations

import datetime as dt
import random

from backend import clock
from backend.approvals import services as approvals
from backend.approvals.models import ApprovalRequest
from backend.kernel.models import Customer
from backend.receivables.credit import scoring
from backend.receivables.credit.models import CreditScore, PromiseToPay
from backend.receivables.credit.profiles import change_profile
from store import catalog, on_account
from store import services as sales
from tests.credit.conftest import Books, breaks


def noon(day: dt.date) -> dt.datetime:
    return dt.datetime.combine(day, dt.time(4, 0))


def test_defaulters_score_lower_than_good_payers(books: Books) -> None:
    rng = random.Random(12)
    start = dt.date(2025, 6, 1)
    clock.travel_to(noon(start))
    good = [
        catalog.create_customer("distributor", f"good {n}", credit_limit_fen=200_000, payment_terms_days=30)
        for n in range(6)
    ]
    bad = [
        catalog.create_customer("distributor", f"bad {n}", credit_limit_fen=200_000, payment_terms_days=30)
        for n in range(6)
    ]
    for customer in good + bad:  # they keep buying while late: this history is about paying
        change_profile(customer.id, {"overdue_action": "warn"}, actor_id=books.owner_user.id)
    events: list[tuple[dt.date, str, int, int]] = []  # day, what, customer, days late or 0
    for customer in good + bad:
        for month in range(8):
            day = start + dt.timedelta(days=30 * month + rng.randrange(5))
            # Good payers pay a few days early, now and then a day or two late; bad ones weeks late.
            late = rng.choice([-5, -3, -1, 0, 0, 1, 2]) if customer in good else rng.randrange(15, 60)
            events.append((day, "sell", customer.id, late))
    events.sort(key=lambda e: e[0])
    payments: list[tuple[dt.date, int, int]] = []
    for day, _, customer_id, late in events:
        clock.travel_to(noon(day))
        for pay_day, c, fen in sorted(p for p in payments if p[0] <= day):
            clock.travel_to(noon(pay_day))
            on_account.collect(c, fen, "bank_transfer", f"p-{c}-{pay_day}-{fen}")
            payments.remove((pay_day, c, fen))
        clock.travel_to(noon(day))
        order = sales.sell_on_account(customer_id, [(books.sku.id, 1)], channel="distributor")
        defaulter = customer_id in {c.id for c in bad} and day > start + dt.timedelta(days=180)
        if not defaulter:  # the bad ones stop paying in the last months: they default
            payments.append((day + dt.timedelta(days=30 + late), customer_id, order.total_fen))
    for customer in bad[:3]:
        PromiseToPay.create(
            customer=customer.id, amount_fen=1000, promised_on=start + dt.timedelta(days=200), status="broken"
        )
    today = start + dt.timedelta(days=260)
    for pay_day, c, fen in sorted(p for p in payments if p[0] <= today):
        clock.travel_to(noon(pay_day))
        on_account.collect(c, fen, "bank_transfer", f"p-{c}-{pay_day}-{fen}")
    clock.travel_to(noon(today))
    scoring.score_all(today)
    scores = {s.customer_id: s for s in CreditScore.select().where(CreditScore.scored_on == today)}
    assert max(scores[c.id].score for c in bad) < min(scores[c.id].score for c in good)
    assert {scores[c.id].grade for c in good} <= {"A", "B"}
    worst = min(scores.values(), key=lambda s: s.score)
    factors = scoring.score_history  # the rule, written once
    assert callable(factors)
    import json

    detail = json.loads(worst.factors)
    assert set(detail) == {
        "lateness",
        "on_time_share",
        "utilisation",
        "longest_overdue",
        "broken_promises",
        "relationship_age",
    }
    assert 95 + sum(f["points"] for f in detail.values()) == worst.score or worst.score == 0
    assert breaks() == []


def test_a_proposal_the_owner_accepts(books: Books) -> None:
    start = dt.date(2024, 1, 10)
    clock.travel_to(noon(start))
    customer = catalog.create_customer(
        "distributor", "老客户", credit_limit_fen=10_000, payment_terms_days=30
    )
    clock.travel_to(noon(dt.date(2026, 3, 1)))
    sales.sell_on_account(customer.id, [(books.sku.id, 8)], channel="distributor")  # 9040 of 10,000: 90%
    scoring.score_all(dt.date(2026, 3, 1))
    scoring.score_all(dt.date(2026, 3, 1))  # once a day
    score = CreditScore.get(CreditScore.customer == customer.id)
    assert (score.grade, score.proposal, score.proposed_limit_fen) == ("A", "raise", 20_000)
    request = ApprovalRequest.get(ApprovalRequest.kind == "credit_limit_proposal")
    assert (request.requested_by_id, request.amount_fen, request.subject_id) == (
        None,
        20_000,
        str(customer.id),
    )
    approvals.approve(request.id, books.owner_user.id)
    assert Customer.get_by_id(customer.id).credit_limit_fen == 20_000
    assert breaks() == []


def test_proposals_from_exposure_net_of_credit_paid_ahead() -> None:
    made = dt.date(2025, 1, 1)
    # Grade E with more paid ahead than owed: hold at nothing more, never at a negative limit.
    assert scoring.propose("E", scoring.History(100_000, -20_000, made)) == ("hold", 0)
    assert scoring.propose("E", scoring.History(100_000, 45_000, made)) == ("hold", 40_000)
    # Credit paid ahead lowers utilisation: no points lost for it.
    _, factors = scoring.score_history(scoring.History(100_000, -20_000, made), dt.date(2026, 1, 1))
    assert factors["utilisation"] == {"value": -0.2, "points": 0}
