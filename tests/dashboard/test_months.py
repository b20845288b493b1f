"""Monthly roll-ups: long ranges and top lists read whole months from the month tables and the days
around them from the day tables, and equal what the journal itself sums, for any range; a top list
that the leaders' bound cannot settle sums everyone; `yecai check` names a month or a rank that is off."""

from __future__ import annotations

import datetime as dt
import random
from collections import defaultdict

import pytest

from backend import checks, clock
from backend.dashboard import figures, rollup
from backend.dashboard import services as dashboard
from backend.dashboard.generate import Plan, generate
from backend.dashboard.models import DayCustomer, MonthCustomer, RolledDay, RolledMonth

D = dt.date


def _journal_top_customers(first: D, last: D, limit: int) -> list[tuple[int, int, int]]:
    totals: dict[int, list[int]] = defaultdict(lambda: [0, 0])
    for row in figures.customers(first, last):
        totals[row.customer_id][0] += row.revenue_fen + row.vat_fen
        totals[row.customer_id][1] += row.orders
    ranked = sorted(totals.items(), key=lambda kv: (-kv[1][0], kv[0]))[:limit]
    return [(c, f, n) for c, (f, n) in ranked]


def _journal_top_products(first: D, last: D, limit: int) -> list[tuple[int, int, int]]:
    totals: dict[int, list[int]] = defaultdict(lambda: [0, 0])
    for row in figures.products(first, last):
        totals[row.sku_id][0] += row.quantity
        totals[row.sku_id][1] += row.sales_fen
    ranked = sorted(totals.items(), key=lambda kv: (-kv[1][1], kv[0]))[:limit]
    return [(s, q, f) for s, (q, f) in ranked]


def _journal_split(first: D, last: D, key: str) -> dict[str, list[int]]:
    out: dict[str, list[int]] = defaultdict(lambda: [0, 0, 0, 0])
    for row in figures.sales(first, last):
        if key == "method" and not row.method:
            continue
        entry = out[getattr(row, key)]
        for n, amount in enumerate((row.revenue_fen, row.vat_fen, row.cogs_fen, row.orders)):
            entry[n] += amount
    return {k: v for k, v in out.items() if any(v)}


@pytest.mark.pg
def test_every_range_equals_the_journal_over_months_of_history(client) -> None:
    generate(Plan(orders=6_000, days=100, products=5, members=400, distributors=8), echo=lambda _: None)
    today = clock.today()
    earliest = today - dt.timedelta(days=100)
    whole_months = []
    month = rollup.month_of(earliest)
    while rollup.month_end(month) < today:
        whole_months.append(month)
        month = rollup.month_end(month) + dt.timedelta(days=1)
    assert (
        sorted(figures.as_date(m) for (m,) in RolledMonth.select(RolledMonth.month).tuples()) == whole_months
    )
    assert len(whole_months) >= 2

    rng = random.Random(7)
    ranges = [(earliest, today), (whole_months[0], rollup.month_end(whole_months[-1]))]
    ranges += [
        (whole_months[1], today),
        (earliest + dt.timedelta(days=3), whole_months[1] + dt.timedelta(days=4)),
    ]
    for _ in range(12):
        a = earliest + dt.timedelta(days=rng.randrange(0, 100))
        ranges.append((a, min(today, a + dt.timedelta(days=rng.randrange(0, 100)))))
    for first, last in ranges:
        report = dashboard.sales_range(first, last)
        for key, splits in (("channel", report.by_channel), ("method", report.by_method)):
            shown = {
                s.key: [s.revenue_fen, s.vat_fen, s.cogs_fen, s.orders]
                for s in splits
                if any((s.revenue_fen, s.vat_fen, s.cogs_fen, s.orders))
            }
            assert shown == _journal_split(first, last, key), (first, last, key)
        for limit in (1, 3, 10):
            customers = dashboard.top_customers(first, last, limit)
            assert [(c.customer_id, c.sales_fen, c.orders) for c in customers] == _journal_top_customers(
                first, last, limit
            ), (first, last, limit)
            products = dashboard.top_products(first, last, limit)
            assert [(p.sku_id, p.quantity, p.sales_fen) for p in products] == _journal_top_products(
                first, last, limit
            ), (first, last, limit)
    assert {r.name: r.problems for r in checks.run_all() if r.problems} == {}


def _rolled_days(sales: dict[D, dict[int, int]]) -> None:
    """Roll-up rows written directly: each day's customers and what they bought."""
    for day in sales:
        RolledDay.create(day=day)
    rows = [
        {"day": day, "customer_id": c, "revenue_fen": fen, "vat_fen": 0, "orders": 1}
        for day, buyers in sales.items()
        for c, fen in buyers.items()
    ]
    DayCustomer.insert_many(rollup.ranked(rows, "day")).execute()


def test_a_steady_buyer_who_never_leads_a_day_still_tops_the_range(client, monkeypatch) -> None:
    # Each day someone else buys the most, while customer 2 buys a little less every day: among each
    # day's single leader (LEADERS = 1) customer 2 never shows, and the bound sends the list to the
    # full sum.
    monkeypatch.setattr(dashboard, "LEADERS", 1)
    first = D(2026, 2, 3)
    days = [first + dt.timedelta(days=n) for n in range(3)]
    _rolled_days({day: {10 + n: 10_000, 2: 9_900} for n, day in enumerate(days)})

    top = dashboard.top_customers(days[0], days[-1], 1)
    assert [(c.customer_id, c.sales_fen, c.orders) for c in top] == [(2, 29_700, 3)]
    top = dashboard.top_customers(days[0], days[-1], 2)
    assert [(c.customer_id, c.sales_fen) for c in top] == [(2, 29_700), (10, 10_000)]


def test_a_list_the_leaders_settle_reads_no_one_else(client, monkeypatch) -> None:
    monkeypatch.setattr(dashboard, "LEADERS", 1)
    first = D(2026, 2, 3)
    days = [first + dt.timedelta(days=n) for n in range(3)]
    _rolled_days({day: {7: 10_000, 2: 100, 3: 90} for day in days})

    def everyone(*_: object) -> None:
        raise AssertionError("the leaders settle this list: no full sum")

    monkeypatch.setattr(dashboard, "_top_rolled", everyone)
    top = dashboard.top_customers(days[0], days[-1], 1)
    assert [(c.customer_id, c.sales_fen, c.orders) for c in top] == [(7, 30_000, 3)]


def test_check_names_a_month_that_differs_from_its_days_and_a_wrong_rank(client) -> None:
    days = {D(2026, 1, 1) + dt.timedelta(days=n): {1: 800 + n, 2: 700} for n in range(31)}
    _rolled_days(days)
    RolledDay.create(day=D(2026, 2, 1))
    assert rollup.roll_up_months() == 1
    assert rollup.roll_up_months() == 0  # once
    assert [
        (m.customer_id, m.revenue_fen, m.rank) for m in MonthCustomer.select().order_by(MonthCustomer.rank)
    ] == [
        (1, 31 * 800 + sum(range(31)), 1),
        (2, 31 * 700, 2),
    ]

    def problems(name: str) -> list[str]:
        return {r.name: r.problems for r in checks.run_all()}[name]

    assert problems("dashboard: every rolled-up month equals the sum of its days") == []
    assert problems("dashboard: customers are ranked within each day and month by what they bought") == []
    MonthCustomer.update(revenue_fen=MonthCustomer.revenue_fen + 1).where(
        MonthCustomer.customer_id == 2
    ).execute()
    DayCustomer.update(rank=1).where(
        (DayCustomer.day == D(2026, 1, 5)) & (DayCustomer.customer_id == 2)
    ).execute()
    assert problems("dashboard: every rolled-up month equals the sum of its days") == [
        f"customer 2026-01 2: month has {(31 * 700 + 1, 0, 31)}, its days sum to {(31 * 700, 0, 31)}"
    ]
    assert problems("dashboard: customers are ranked within each day and month by what they bought") == [
        "day 2026-01-05 customer 2: ranked 1, should be 2"
    ]
