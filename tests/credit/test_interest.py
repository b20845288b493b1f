"""Late interest: a year of one invoice with several partial payments, posted month by month, equals
to the fen an independent day-by-day calculation (Decimal, rounded half up once per month); posted as
its own receivable with its voucher (Dr 1122 / Cr 5301); waived by reversal; never on a dispute."""

from __future__ import annotations

import datetime as dt
from decimal import ROUND_HALF_UP, Decimal
from typing import Any

import pytest

from backend import clock
from backend.approvals import services as approvals
from backend.kernel.models import Customer
from backend.ledger.services import account_balance
from backend.receivables.credit import interest
from backend.receivables.credit.errors import InvoiceDisputed, NothingToWaive
from backend.receivables.credit.models import InterestCharge
from backend.receivables.credit.profiles import change_profile
from backend.receivables.models import Invoice
from store import on_account
from store import services as sales
from tests.credit.conftest import Books, breaks
from tests.helpers import journal_entries

RATE_PPM = 500  # 日万分之五
PAYMENTS = {  # business day -> fen, on an invoice of 113,000 fen due 2026-02-09
    dt.date(2026, 3, 10): 30_000,
    dt.date(2026, 5, 5): 20_001,
    dt.date(2026, 8, 20): 25_000,
    dt.date(2026, 11, 30): 37_999,  # the rest: paid off
}


def noon(day: dt.date) -> dt.datetime:
    """Noon in Beijing, as stored (naive UTC)."""
    return dt.datetime.combine(day, dt.time(4, 0))


def independent(amount: int, due: dt.date, through: dt.date) -> dict[tuple[int, int], int]:
    """Month -> interest, counted day by day in Decimal, each month rounded half up to the fen."""
    months: dict[tuple[int, int], Decimal] = {}
    outstanding = Decimal(amount)
    day = due + dt.timedelta(days=1)
    while day <= through:
        outstanding -= PAYMENTS.get(day, 0)  # a payment stops interest on what it paid from its day
        key = (day.year, day.month)
        months[key] = months.get(key, Decimal(0)) + outstanding * RATE_PPM / Decimal(1_000_000)
        day += dt.timedelta(days=1)
    return {k: int(v.quantize(Decimal(1), rounding=ROUND_HALF_UP)) for k, v in months.items() if v > 0}


def test_a_year_of_partial_payments_to_the_fen(books: Books) -> None:
    change_profile(
        books.distributor.id,
        {"limit_fen": 500_000, "late_interest_ppm": RATE_PPM},
        actor_id=books.owner_user.id,
    )
    clock.travel_to(noon(dt.date(2026, 1, 10)))
    order = sales.sell_on_account(
        books.distributor.id, [(books.sku.id, 100)], channel="distributor"
    )  # 113,000
    invoice = Invoice.get(Invoice.order == order.id)
    assert (invoice.amount_fen, invoice.due_on) == (113_000, dt.date(2026, 2, 9))
    day = dt.date(2026, 1, 11)
    while day <= dt.date(2027, 1, 1):
        clock.travel_to(noon(day))
        if day in PAYMENTS:
            on_account.collect(
                books.distributor.id, PAYMENTS[day], "bank_transfer", f"pay-{day}", invoice_ids=[invoice.id]
            )
        if day.day == 1:  # the nightly run's interest, for the month just ended
            month_end = day - dt.timedelta(days=1)
            interest.post_interest(month_end, since=month_end.replace(day=1))
            interest.post_interest(month_end, since=month_end.replace(day=1))  # twice: nothing more
        day += dt.timedelta(days=1)
    expected = independent(113_000, invoice.due_on, dt.date(2026, 12, 31))
    charges = list(
        InterestCharge.select().where(InterestCharge.invoice == invoice.id).order_by(InterestCharge.period_to)
    )
    assert {(c.period_to.year, c.period_to.month): c.amount_fen for c in charges if c.amount_fen} == expected
    total = sum(expected.values())
    assert total == sum(c.amount_fen for c in charges)
    assert (charges[0].period_from, charges[-1].period_to) == (dt.date(2026, 2, 10), dt.date(2026, 11, 30))
    # Each month's interest is a receivable of its own with its voucher.
    assert account_balance("5301") == -total
    vouchers = journal_entries("credit.late_interest")
    assert len(vouchers) == len(expected)
    assert vouchers[0] == [("1122", expected[(2026, 2)], 0), ("5301", 0, expected[(2026, 2)])]
    assert (
        Customer.get_by_id(books.distributor.id).balance_fen == total
    )  # the goods are paid, interest is not
    assert breaks() == []


def test_waiver_by_reversal_with_approval(client: Any, books: Books, unchanged: Any) -> None:
    from tests.credit.conftest import post

    change_profile(books.distributor.id, {"late_interest_ppm": 1000}, actor_id=books.owner_user.id)
    clock.travel_to(noon(dt.date(2026, 3, 1)))
    sales.sell_on_account(books.distributor.id, [(books.sku.id, 5)], channel="distributor")  # 5650, due 3-31
    clock.travel_to(noon(dt.date(2026, 5, 1)))
    interest.post_interest(dt.date(2026, 4, 30))
    charge = InterestCharge.get()
    assert (charge.fen_days, charge.amount_fen) == (5650 * 30, 170)  # 169.5 rounds half up
    staff = client.post(
        "/api/auth/password-login", json={"login": books.staff_user.username, "password": "correct horse 1"}
    ).json["token"]
    owner = client.post(
        "/api/auth/password-login", json={"login": books.owner_user.username, "password": "correct horse 1"}
    ).json["token"]
    asked = post(
        client,
        f"/api/interest-charges/{charge.id}/waiver",
        {"Authorization": f"Bearer {staff}"},
        {"reason": "老客户首次逾期"},
    )
    assert asked.status_code == 202, asked.json
    approvals.approve(asked.json["approval"]["id"], books.owner_user.id)
    waived = InterestCharge.get_by_id(charge.id)
    assert (waived.status, waived.waived_fen) == ("waived", 170)
    assert journal_entries("credit.interest_waived") == [[("5301", 170, 0), ("1122", 0, 170)]]
    assert account_balance("5301") == 0
    with unchanged(), pytest.raises(NothingToWaive):
        interest.waive(charge.id, actor_id=books.owner_user.id)
    again = post(client, f"/api/interest-charges/{charge.id}/waiver", {"Authorization": f"Bearer {owner}"})
    assert (again.status_code, again.json["error"]["code"]) == (409, "nothing_to_waive")
    assert breaks() == []


def test_no_interest_on_a_disputed_invoice(books: Books, unchanged: Any) -> None:
    change_profile(books.distributor.id, {"late_interest_ppm": 500}, actor_id=books.owner_user.id)
    clock.travel_to(noon(dt.date(2026, 3, 1)))
    order = sales.sell_on_account(books.distributor.id, [(books.sku.id, 5)], channel="distributor")
    invoice = Invoice.get(Invoice.order == order.id)
    clock.travel_to(noon(dt.date(2026, 5, 2)))
    in_dispute = {invoice.id}
    interest.register_dispute_source(lambda ids: in_dispute & set(ids))
    try:
        with unchanged(), pytest.raises(InvoiceDisputed):
            interest.charge_invoice(invoice.id, dt.date(2026, 4, 30), actor_id=books.owner_user.id)
        with unchanged():
            assert interest.post_interest(dt.date(2026, 4, 30)) == {"charges": 0, "posted_fen": 0}
        in_dispute.clear()  # settled: interest runs from the due date again
        charge = interest.charge_invoice(invoice.id, dt.date(2026, 4, 30), actor_id=books.owner_user.id)
        assert (charge.period_from, charge.amount_fen) == (
            dt.date(2026, 4, 1),
            85,
        )  # 5650 x 30 x 0.0005 = 84.75
    finally:
        interest._dispute_sources.clear()
