"""A seeded simulation with a moved clock: distributors ordering on account and paying at random
(some on time, some late, some partly, a few never), the credit night run every day. It proves:
every dunning step went out at most once per invoice and never after the invoice was paid, each
month's late interest equals an independent day-by-day calculation to the fen, and `yecai check` is
clean at the end of every simulated day.

The suite runs a short version (20 distributors, 100 days, a few minutes on SQLite and PostgreSQL).
The full year for 500 distributors:

    YECAI_SIM_CUSTOMERS=500 YECAI_SIM_DAYS=365 .venv/bin/pytest tests/credit/test_simulation.py -k sqlite -s --timeout 0

(see the figures printed at the end; it took 889 s on 2026-12-01, see bench/README.md).
"""

from __future__ import annotations

import contextlib
import datetime as dt
import os
import random
import time
from collections import defaultdict
from decimal import ROUND_HALF_UP, Decimal
from typing import Any

from backend import clock
from backend.auth.models import WechatIdentity
from backend.receivables.credit import jobs
from backend.receivables.credit.errors import CreditHold
from backend.receivables.credit.models import DunningStep, InterestCharge
from backend.receivables.credit.profiles import change_profile
from backend.receivables.errors import CreditLimitExceeded
from backend.receivables.models import ArEntry, Invoice
from store import catalog, on_account
from store import services as sales
from tests.credit.conftest import Books, breaks

CUSTOMERS = int(os.environ.get("YECAI_SIM_CUSTOMERS", "20"))
DAYS = int(os.environ.get("YECAI_SIM_DAYS", "100"))
START = dt.date(2026, 1, 1)


def noon(day: dt.date) -> dt.datetime:
    return dt.datetime.combine(day, dt.time(4, 0))


def expected_interest(charge: InterestCharge, entries: list[tuple[dt.date, int]]) -> int:
    """Independently: walk the days, what was outstanding at each day's end times the rate, in Decimal."""
    total = Decimal(0)
    day = charge.period_from
    while day <= charge.period_to:
        outstanding = sum(amount for when, amount in entries if when <= day)
        total += Decimal(outstanding) * charge.rate_ppm / Decimal(1_000_000)
        day += dt.timedelta(days=1)
    return int(total.quantize(Decimal(1), rounding=ROUND_HALF_UP))


def test_a_seeded_stretch_of_credit_life(
    books: Books, make_user: Any, wechat_sandbox: Any, drain_jobs: Any
) -> None:
    began = time.perf_counter()
    rng = random.Random(2026)
    clock.travel_to(noon(START))
    from backend.inventory.services import receive_purchase

    receive_purchase(books.sku.id, books.warehouse.id, 10**6, 700, reference="PO-SIM")
    people = []
    for n in range(CUSTOMERS):
        user = make_user("distributor")
        openid = f"o-sim-{n}"
        WechatIdentity.create(openid=openid, user=user)
        customer = catalog.create_customer(
            "distributor", f"经销商 {n}", user_id=user.id, credit_limit_fen=200_000, payment_terms_days=30
        )
        change_profile(
            customer.id,
            {
                "limit_fen": 300_000,
                "late_interest_ppm": rng.choice([0, 300, 500]),
                "grace_days": rng.choice([0, 5]),
                "overdue_action": rng.choice(["hold", "warn"]),
            },
            actor_id=books.owner_user.id,
        )
        wechat_sandbox.subscribe(openid, "TPL_DUNNING", count=rng.randrange(0, 8))
        habit = rng.choice(["early", "on_time", "late", "partial", "never"])
        people.append((customer.id, habit))
    paid_at: dict[int, dt.date] = {}
    for n in range(DAYS):
        day = START + dt.timedelta(days=n)
        clock.travel_to(noon(day))
        for customer_id, habit in people:
            if rng.random() < 0.08:
                with contextlib.suppress(CreditLimitExceeded, CreditHold):  # refused: another day
                    sales.sell_on_account(
                        customer_id, [(books.sku.id, rng.randrange(1, 20))], channel="distributor"
                    )
            if habit == "never":
                continue
            for invoice in Invoice.select().where((Invoice.customer == customer_id) & (Invoice.open_fen > 0)):
                lateness = {"early": -5, "on_time": 0, "late": 20, "partial": 10}[habit]
                if day >= invoice.due_on + dt.timedelta(days=lateness) and rng.random() < 0.5:
                    part = invoice.open_fen if habit != "partial" else max(1, invoice.open_fen // 2)
                    on_account.collect(
                        customer_id,
                        part,
                        "bank_transfer",
                        f"sim-{invoice.id}-{day}",
                        invoice_ids=[invoice.id],
                    )
                    if part == invoice.open_fen:
                        paid_at[invoice.id] = day
        clock.travel_to(noon(day) + dt.timedelta(hours=14))  # 02:00 the next night in Beijing
        jobs.run_day(day + dt.timedelta(days=1))
        drain_jobs()
        assert breaks() == [], day
    steps = list(DunningStep.select())
    per_step: dict[tuple[int, int, str], int] = defaultdict(int)
    for step in steps:
        per_step[step.invoice_id, step.offset_days, step.channel] += 1
        if step.status == "sent":
            assert (
                step.invoice_id not in paid_at
                or clock.business_date(step.sent_at) <= paid_at[step.invoice_id]
            )
    assert max(per_step.values(), default=1) == 1
    entries: dict[int, list[tuple[dt.date, int]]] = defaultdict(list)
    for entry in ArEntry.select():
        entries[entry.invoice_id].append((clock.business_date(entry.created_at), entry.amount_fen))
    charges = list(InterestCharge.select())
    for charge in charges:
        assert charge.amount_fen == expected_interest(charge, entries[charge.invoice_id]), charge.id
    sent = sum(1 for s in steps if s.status == "sent")
    print(
        f"\n{CUSTOMERS} distributors, {DAYS} days: {Invoice.select().count()} invoices, {len(steps)} dunning steps "
        f"({sent} sent), {len(charges)} interest charges ({sum(c.amount_fen for c in charges)} fen), "
        f"{time.perf_counter() - began:.0f} s"
    )
    assert sent > 0 and any(c.amount_fen for c in charges)
