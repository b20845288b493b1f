"""The resolution order, as a matrix: customer's own list, then grade, then channel, then the SKU's
own prices (distributor price, member prices), then retail; quantity breaks, validity windows,
inactive lists and priorities. Each case asserts the price and the rule that won."""

from __future__ import annotations

import datetime as dt

import pytest

NOW = dt.datetime(2026, 12, 1, 4, 0, 0)  # naive UTC, as stored


def _lists(trade, customer, *, own=True, grade=True, channel=True, expired=False, future=False):
    """Lists covering the red wine for this customer: own 7000 (from 12: 6500), grade 7500, channel
    7800; plus, when asked, an expired own list at 1000 and a future one at 2000."""
    from store.distribution import price_lists as pl

    red = trade.red.id
    if own:
        pl.create_price_list(
            "专属价",
            "customer",
            customer_id=customer.id,
            items=[
                {"sku_id": red, "min_quantity": 6, "price_fen": 7000},
                {"sku_id": red, "min_quantity": 12, "price_fen": 6500},
            ],
        )
    if grade:
        pl.create_price_list(
            "一级价", "grade", grade_id=trade.grade_a.id, items=[{"sku_id": red, "price_fen": 7500}]
        )
    if channel:
        pl.create_price_list(
            "经销渠道价", "channel", channel="distributor", items=[{"sku_id": red, "price_fen": 7800}]
        )
    if expired:
        pl.create_price_list(
            "旧促销",
            "customer",
            customer_id=customer.id,
            priority=5,
            valid_from=NOW - dt.timedelta(days=30),
            valid_to=NOW - dt.timedelta(days=1),
            items=[{"sku_id": red, "price_fen": 1000}],
        )
    if future:
        pl.create_price_list(
            "下月价",
            "customer",
            customer_id=customer.id,
            priority=5,
            valid_from=NOW + dt.timedelta(days=1),
            items=[{"sku_id": red, "price_fen": 2000}],
        )


# (lists present, quantity) -> (price, rule, min_quantity of the break)
MATRIX = [
    pytest.param({}, 12, (6500, "customer_list", 12), id="own list, top break"),
    pytest.param({}, 11, (7000, "customer_list", 6), id="own list, first break"),
    pytest.param({}, 5, (7500, "grade_list", 1), id="below own breaks: grade"),
    pytest.param({"own": False}, 12, (7500, "grade_list", 1), id="no own list: grade"),
    pytest.param({"own": False, "grade": False}, 1, (7800, "channel_list", 1), id="channel"),
    pytest.param(
        {"own": False, "grade": False, "channel": False},
        1,
        (8000, "distributor_price", None),
        id="sku distributor price",
    ),
    pytest.param({"expired": True}, 12, (6500, "customer_list", 12), id="expired list ignored"),
    pytest.param({"future": True}, 12, (6500, "customer_list", 12), id="future list ignored"),
    pytest.param(
        {"own": False, "grade": False, "channel": False, "expired": True},
        1,
        (8000, "distributor_price", None),
        id="only expired: sku price",
    ),
]


@pytest.mark.parametrize("present,quantity,expected", MATRIX)
def test_the_resolution_order(app, trade, distributor, present, quantity, expected):
    from store import pricing

    buyer = distributor(grade=trade.grade_a)
    _lists(trade, buyer.customer, **present)
    price = pricing.price_line(buyer.customer, "distributor", trade.red, quantity, at=NOW)
    assert (price.unit_price_fen, price.rule, price.min_quantity) == expected


def test_retail_and_a_grade_without_a_list(app, trade, distributor):
    from store import pricing

    buyer = distributor(grade=trade.grade_b)
    _lists(trade, buyer.customer, own=False, channel=False)  # grade A's list does not price grade B
    assert pricing.price_line(buyer.customer, "distributor", trade.white, 1, at=NOW) == pricing.Price(
        6000, "retail"
    )
    assert pricing.price_line(buyer.customer, "distributor", trade.red, 1, at=NOW) == pricing.Price(
        8000, "distributor_price"
    )


def test_priority_and_inactive_lists(app, trade, distributor):
    from store import pricing
    from store.distribution import price_lists as pl

    buyer = distributor(grade=trade.grade_a)
    low = pl.create_price_list(
        "常规", "grade", grade_id=trade.grade_a.id, items=[{"sku_id": trade.red.id, "price_fen": 7500}]
    )
    high = pl.create_price_list(
        "旺季",
        "grade",
        grade_id=trade.grade_a.id,
        priority=1,
        items=[{"sku_id": trade.red.id, "price_fen": 7300}],
    )
    price = pricing.price_line(buyer.customer, "distributor", trade.red, 1, at=NOW)
    assert (price.unit_price_fen, price.rule, price.price_list_id) == (7300, "grade_list", high.id)
    pl.update_price_list(high.id, active=False)
    price = pricing.price_line(buyer.customer, "distributor", trade.red, 1, at=NOW)
    assert (price.unit_price_fen, price.rule, price.price_list_id) == (7500, "grade_list", low.id)


def test_a_channel_list_prices_the_counter_but_not_distributors(app, trade, distributor):
    from store import catalog, pricing
    from store.distribution import price_lists as pl

    pl.create_price_list(
        "门店价", "channel", channel="counter", items=[{"sku_id": trade.white.id, "price_fen": 5800}]
    )
    walk_in = catalog.walk_in_customer()
    assert pricing.price_line(walk_in, "counter", trade.white, 1) == pricing.Price(
        5800, "channel_list", pl.get(1).id, 1
    )
    buyer = distributor()
    assert pricing.price_line(buyer.customer, "distributor", trade.white, 1).rule == "retail"


def test_a_whole_order_is_priced_in_two_queries(app, trade, distributor):
    from backend.db import db
    from store import pricing

    buyer = distributor(grade=trade.grade_a)
    _lists(trade, buyer.customer)
    lines = [(trade.red, q) for q in (1, 6, 12)] + [(trade.white, 3)] * 40
    executed = []
    real = db.obj.execute_sql

    def counting(sql, params=None, *args, **kwargs):
        executed.append(sql)
        return real(sql, params, *args, **kwargs)

    db.obj.execute_sql = counting
    try:
        prices = pricing.price_lines(buyer.customer, "distributor", lines, at=NOW)
    finally:
        db.obj.execute_sql = real
    assert len(executed) == 1  # a distributor has no member level prices to read
    assert [p.unit_price_fen for p in prices[:4]] == [7500, 7000, 6500, 6000]
