"""The benchmark generator (`yecai generate`) writes a history every check accepts: the dashboard, aging
and credit benchmarks read it, so a schema change that the generator misses fails here, not in a
benchmark run hours later."""

from __future__ import annotations

import peewee as pw
import pytest

from backend import checks
from backend.dashboard.generate import Plan, generate
from backend.dashboard.models import RolledDay
from backend.kernel.models import Customer, Order
from backend.receivables.models import Invoice


@pytest.mark.pg
def test_a_generated_history_passes_every_check(client) -> None:
    plan = generate(Plan(orders=3_000, days=40, products=4, members=300, distributors=6), echo=lambda _: None)

    assert Order.select().count() == 3_000
    assert Invoice.select().count() == 3_000
    assert Customer.select().where(Customer.kind == "distributor").count() == 6
    assert Customer.select().where(Customer.kind == "member").count() == 300
    assert RolledDay.select(pw.fn.COUNT(RolledDay.id)).scalar() == 40
    assert [name for name, _ in plan.timings][-1] == "analyze and roll up"
    assert {r.name: r.problems for r in checks.run_all() if r.problems} == {}


@pytest.mark.pg
def test_a_history_with_more_on_account_and_part_payments_passes_every_check(client) -> None:
    generate(
        Plan(orders=2_000, days=60, products=4, members=100, distributors=8, on_account=0.5, partial=0.4),
        echo=lambda _: None,
    )
    on_account = Order.select().where(Order.channel == "distributor").count()
    assert 850 < on_account < 1150
    part_paid = (
        Invoice.select().where((Invoice.open_fen > 0) & (Invoice.open_fen < Invoice.amount_fen)).count()
    )
    assert part_paid > 0
    assert {r.name: r.problems for r in checks.run_all() if r.problems} == {}
