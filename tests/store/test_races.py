"""Races on PostgreSQL with real threads: a stored-value balance spent by parallel payments, the last
allowance of a coupon claimed in parallel, and points redeemed by parallel checkouts. Each is decided
by a conditional UPDATE or a unique key in the database, never by a number read into Python."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest

from backend.errors import DomainError
from tests.helpers import at_once
from tests.store.conftest import checks_clean, top_up

pytestmark = pytest.mark.pg

PARALLEL = 12


def race(attempt: Callable[[int], Any]) -> list[str]:
    """Run attempt(i) on PARALLEL threads released together; returns 'ok' or the error code of each."""

    def answer(i: int) -> str:
        try:
            attempt(i)
        except DomainError as exc:
            return exc.code
        return "ok"

    return at_once(PARALLEL, answer)


@pytest.fixture
def shop(shop: Any) -> Any:
    from backend.inventory.services import receive_purchase

    receive_purchase(shop.sku2.id, shop.warehouse.id, 50, 300, reference="PO-more")  # 55 on hand
    return shop


def test_parallel_payments_from_one_balance_never_overspend_it(client, shop, shopper, wechat_sandbox):
    from backend.kernel.models import Order
    from store import services as sales
    from store import stored_value
    from store.shop_models import MemberAccount, StoredValueEntry

    buyer = shopper()
    top_up(client, wechat_sandbox, buyer, 3000)  # enough for 5 orders of 565
    orders = [
        sales.place_order(buyer.customer.id, [(shop.sku2.id, 1)], channel="miniprogram").id
        for _ in range(PARALLEL)
    ]
    outcomes = race(lambda i: stored_value.pay_order(orders[i], buyer.customer.id))
    assert outcomes == ["not_enough_stored_value"] * (PARALLEL - 5) + ["ok"] * 5
    assert MemberAccount.get(MemberAccount.customer == buyer.customer.id).stored_value_fen == 3000 - 5 * 565
    assert StoredValueEntry.select().where(StoredValueEntry.kind == "pay").count() == 5
    assert Order.select().where(Order.status == "paid").count() == 5
    assert checks_clean() == []


def test_the_last_allowance_of_a_coupon_is_claimed_once(client, shop, shopper):
    import datetime as dt

    from backend import clock
    from store import promotions
    from store.shop_models import CustomerCoupon

    buyer = shopper()
    coupon = promotions.create_coupon(
        "满20减5",
        amount_off_fen=500,
        threshold_fen=2000,
        per_customer_limit=2,
        valid_from=clock.now() - dt.timedelta(minutes=1),
        valid_until=clock.now() + dt.timedelta(days=1),
    )
    outcomes = race(lambda i: promotions.claim(buyer.customer.id, coupon.id))
    assert outcomes == ["coupon_limit_reached"] * (PARALLEL - 2) + ["ok"] * 2
    assert sorted(c.seq for c in CustomerCoupon.select()) == [1, 2]


def test_parallel_checkouts_of_one_cart_make_one_order_and_spend_points_once(client, shop, shopper):
    from backend.inventory.models import StockLevel
    from backend.kernel.models import Order
    from store import cart, members
    from store import checkout as checkouts
    from store.shop_models import MemberAccount

    buyer = shopper()
    members._points_entry(buyer.customer.id, "earn", 300, None, "seed")
    cart.add(buyer.customer.id, shop.sku2.id, 2)
    outcomes = race(lambda i: checkouts.checkout(buyer.customer.id, address_id=buyer.address_id, points=200))
    assert outcomes == ["empty_cart"] * (PARALLEL - 1) + ["ok"]
    assert MemberAccount.get(MemberAccount.customer == buyer.customer.id).points == 100
    assert Order.select().count() == 1
    assert StockLevel.get(StockLevel.sku == shop.sku2.id).reserved == 2
    assert checks_clean() == []
