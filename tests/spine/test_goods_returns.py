"""Goods handed back after shipping (退货) go back to stock at the cost they left with, separately from
the money; a later full refund returns only what is still out."""

from __future__ import annotations

from typing import Any

import pytest

from backend.inventory.models import StockLevel
from backend.kernel.models import OrderLine
from store import services as sales
from store.errors import InvalidReturn, InvalidTransition
from tests.helpers import journal_entries as _entries
from tests.spine.conftest import breaks, snapshot


def _level(shop: Any) -> tuple[int, int, int]:
    level = StockLevel.get((StockLevel.sku == shop.sku.id) & (StockLevel.warehouse == shop.warehouse.id))
    return level.on_hand, level.reserved, level.value_fen


def test_returns_bring_stock_and_cost_back_and_a_full_refund_does_not_return_twice(shop: Any) -> None:
    order = sales.counter_cash_sale(
        None, [(shop.sku.id, 3)], reference="cash-1"
    )  # 3 x 1130, cost 700 each, handed over
    assert _level(shop) == (7, 0, 4900)
    (line,) = OrderLine.select().where(OrderLine.order == order.id)

    sales.return_goods(order.id, [{"line_id": line.id, "quantity": 1}], reference="rt-1")
    sales.return_goods(order.id, [{"line_id": line.id, "quantity": 1}], reference="rt-1")  # a repeat: no-op
    assert _level(shop) == (8, 0, 5600)
    assert _entries("order.goods_returned") == [[("1405", 700, 0), ("5401", 0, 700)]]
    line = OrderLine.get_by_id(line.id)
    assert (line.returned_quantity, line.returned_cost_fen) == (1, 700)

    sales.refund_order(order.id, 1130, reference="money-1")  # the money for that unit, in cash
    assert _level(shop) == (8, 0, 5600)  # a partial money refund moves no stock

    sales.refund_order(order.id, reference="money-rest")  # everything else: the two units still out
    assert _level(shop) == (10, 0, 7000)
    assert _entries("order.returned") == [[("1405", 1400, 0), ("5401", 0, 1400)]]
    line = OrderLine.get_by_id(line.id)
    assert (line.returned_quantity, line.returned_cost_fen) == (3, 2100)
    assert breaks() == []


def test_the_last_unit_back_takes_the_cost_left_to_the_fen(shop: Any) -> None:
    from backend.inventory.services import receive_purchase

    receive_purchase(shop.sku.id, shop.warehouse.id, 1, 701, reference="PO-odd")  # average now 700.09…
    order = sales.counter_cash_sale(None, [(shop.sku.id, 3)], reference="cash-2")
    (line,) = OrderLine.select().where(OrderLine.order == order.id)
    cost = line.cost_fen
    for n in range(3):
        sales.return_goods(order.id, [{"line_id": line.id, "quantity": 1}], reference=f"rt-{n}")
    line = OrderLine.get_by_id(line.id)
    assert (line.returned_quantity, line.returned_cost_fen) == (3, cost)
    assert breaks() == []


def test_returns_that_cannot_be_change_nothing(shop: Any, unchanged: Any) -> None:
    unshipped = sales.counter_cash_sale(None, [(shop.sku.id, 2)], reference="cash-3", deliver_later=True)
    (line,) = OrderLine.select().where(OrderLine.order == unshipped.id)
    with unchanged(), pytest.raises(InvalidTransition):
        sales.return_goods(unshipped.id, [{"line_id": line.id, "quantity": 1}], reference="early")
    sales.fulfil_order(unshipped.id)
    for bad in (
        [{"line_id": line.id, "quantity": 3}],  # more than shipped
        [{"line_id": line.id, "quantity": 1}, {"line_id": line.id, "quantity": 2}],  # the same, split
        [{"line_id": line.id, "quantity": 0}],
        [{"line_id": line.id + 999, "quantity": 1}],
        [],
    ):
        with unchanged(), pytest.raises(InvalidReturn):
            sales.return_goods(unshipped.id, bad, reference="bad")


def test_staff_return_goods_over_http(client: Any, shop: Any, make_user: Any, login: Any) -> None:
    order = sales.counter_cash_sale(None, [(shop.sku.id, 2)], reference="cash-4")
    (line,) = OrderLine.select().where(OrderLine.order == order.id)
    staff = {**login(make_user("staff")), "Idempotency-Key": "return-1"}
    body = {"lines": [{"line_id": line.id, "quantity": 1}]}
    response = client.post(f"/api/orders/{order.id}/returns", json=body, headers=staff)
    assert response.status_code == 201, response.json
    assert response.json["lines"][0]["returned_quantity"] == 1
    assert client.post(f"/api/orders/{order.id}/returns", json=body, headers=staff).json == response.json
    assert _level(shop) == (9, 0, 6300)
    before = snapshot()
    too_many = client.post(
        f"/api/orders/{order.id}/returns",
        json={"lines": [{"line_id": line.id, "quantity": 2}]},
        headers={**staff, "Idempotency-Key": "return-2"},
    )
    assert (too_many.status_code, too_many.json["error"]["code"]) == (422, "invalid_return")
    assert snapshot() == before
