"""WeChat's trade bill covers a China (Beijing) day whatever the merchant's own time zone: a payment at
00:30 and one at 23:30 Beijing time are in that day's reconciliation, one at 00:30 the next day is not."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from typing import Any

import pytest

from backend import clock
from payments import reconciliation
from payments.models import ReconciliationReport

BEIJING = dt.timezone(dt.timedelta(hours=8))


@pytest.fixture(params=["Asia/Shanghai", "America/New_York"])
def settings(settings: Any, request: pytest.FixtureRequest) -> Iterator[Any]:
    yield settings.with_overrides(timezone=request.param)
    clock.use_zone(clock.DEFAULT_ZONE)


def _both_clocks_to(sb: Any, beijing_time: dt.datetime) -> None:
    """Move the sandbox (WeChat) and our clock to the same instant."""
    sb.advance(beijing_time.timestamp() - sb.clock.now())
    clock.travel_to(beijing_time.astimezone(dt.UTC).replace(tzinfo=None))


def test_a_beijing_days_bill_holds_its_00_30_and_23_30_payments(
    client, shop, wechat_buyer, place, wechat_sandbox, make_user, login
):
    sb = wechat_sandbox
    day = sb.clock.datetime().date() + dt.timedelta(days=1)  # a day with no earlier trades
    midnight = dt.datetime.combine(day, dt.time(), tzinfo=BEIJING)
    _both_clocks_to(sb, midnight)
    buyer = wechat_buyer()  # signed in at the day's start: the session outlives the test's two days
    for at, sku, key in (
        (midnight + dt.timedelta(minutes=30), shop.sku, "early"),  # 1130 fen
        (midnight + dt.timedelta(hours=23, minutes=30), shop.sku2, "late"),  # 565 fen
        (midnight + dt.timedelta(hours=24, minutes=30), shop.sku2, "next"),  # 565 fen
    ):
        _both_clocks_to(sb, at)
        order_id = place(buyer, [(sku.id, 1)], key=key)
        checkout = client.post(f"/api/orders/{order_id}/wechat-checkout", headers=buyer.headers).json
        sb.approve(checkout["request_payment"]["package"][10:], buyer.openid)
        sb.deliver_due()

    owner = login(make_user("owner"))
    report = client.post(
        "/api/payments/reconciliations", json={"bill_date": day.isoformat()}, headers=owner
    ).json
    assert (report["wechat_rows"], report["our_rows"], report["difference_count"]) == (2, 2, 0)
    assert (report["wechat_paid_fen"], report["wechat_refunded_fen"]) == (1130 + 565, 0)
    assert reconciliation.compare(day, reconciliation.download(day)) == ([], 2)

    # The periodic job reconciles the Beijing day before, once WeChat has published it (after 10:00).
    ReconciliationReport.delete().execute()
    _both_clocks_to(sb, midnight + dt.timedelta(days=1, hours=9, minutes=59))
    assert reconciliation.reconcile_yesterday() == 0
    assert not ReconciliationReport.select().exists()
    _both_clocks_to(sb, midnight + dt.timedelta(days=1, hours=10, minutes=1))
    assert reconciliation.reconcile_yesterday() == 0
    (stored,) = ReconciliationReport.select()
    assert (stored.bill_date, stored.wechat_rows, stored.our_rows) == (day, 2, 2)
