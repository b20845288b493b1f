"""GET /api/orders: filters by status, channel, customer and the merchant's business days; a fixed
number of queries per page; the delivery address of a mini-program order for staff and its buyer."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from typing import Any

import pytest

from backend import clock
from tests.platform.test_errors import assert_error
from tests.store.conftest import add_to_cart, checkout

SHIP_TO = {"name": "王小姐", "phone": "13800000001", "region": "浙江省杭州市西湖区", "detail": "文三路 1 号"}


@pytest.fixture
def orders(client: Any, shop: Any, shopper: Any) -> Iterator[dict[str, Any]]:
    """A: counter order for a customer at 23:30 on 29 Nov in Beijing; B: walk-in counter sale at 00:30
    on 30 Nov in Beijing; M: the shopper's mini-program checkout, now (later than both)."""
    from store import catalog

    customer = catalog.create_customer("member", "李先生")
    items = [{"sku_id": shop.sku2.id, "quantity": 1}]
    clock.travel_to(dt.datetime(2026, 11, 29, 15, 30))
    a = client.post(
        "/api/orders",
        json={"items": items, "customer_id": customer.id},
        headers={**shop.staff, "Idempotency-Key": "order-a"},
    )
    assert a.status_code == 201, a.json
    clock.travel_to(dt.datetime(2026, 11, 29, 16, 30))
    b = client.post(
        "/api/counter-sales", json={"items": items}, headers={**shop.staff, "Idempotency-Key": "b"}
    )
    assert b.status_code == 201, b.json
    clock.reset()
    buyer = shopper()
    assert add_to_cart(client, buyer, shop.sku.id, 1).status_code == 201
    m = checkout(client, buyer, "checkout-m")["order"]
    yield {
        "A": a.json["id"],
        "B": b.json["id"],
        "M": m["id"],
        "B_status": b.json["status"],
        "customer": customer,
        "buyer": buyer,
    }
    clock.reset()


def _ids(client: Any, headers: dict[str, str], query: str) -> list[int]:
    response = client.get(f"/api/orders?{query}", headers=headers)
    assert response.status_code == 200, response.json
    assert response.json["next_cursor"] is None
    return [o["id"] for o in response.json["items"]]


def test_filters_return_exactly_the_matching_orders_newest_first(client, shop, orders):
    a, b, m, staff = orders["A"], orders["B"], orders["M"], shop.staff
    assert _ids(client, staff, "") == [m, b, a]
    assert _ids(client, staff, "status=pending_payment") == [m, a]
    assert _ids(client, staff, f"status={orders['B_status']}") == [b]
    assert _ids(client, staff, "status=refunded") == []
    assert _ids(client, staff, "channel=counter") == [b, a]
    assert _ids(client, staff, "channel=miniprogram") == [m]
    assert _ids(client, staff, f"customer_id={orders['customer'].id}") == [a]
    assert _ids(client, staff, f"customer_id={orders['buyer'].customer.id}") == [m]
    # Business days in Beijing: 23:30 on the 29th and 00:30 on the 30th are different days.
    assert _ids(client, staff, "created_to=2026-11-29") == [a]
    assert _ids(client, staff, "created_from=2026-11-30&created_to=2026-11-30") == [b]
    assert _ids(client, staff, "created_from=2026-11-29&created_to=2026-11-30") == [b, a]
    assert _ids(client, staff, "created_from=2026-11-30") == [m, b]
    assert _ids(client, staff, "channel=counter&created_from=2026-11-30") == [b]
    assert _ids(client, staff, "status=pending_payment&channel=counter&created_to=2026-11-29") == [a]
    # Paging through a filter keeps to it.
    first = client.get("/api/orders?channel=counter&limit=1", headers=staff).json
    assert [o["id"] for o in first["items"]] == [b]
    rest = client.get(
        f"/api/orders?channel=counter&limit=1&cursor={first['next_cursor']}", headers=staff
    ).json
    assert ([o["id"] for o in rest["items"]], rest["next_cursor"]) == ([a], None)


def test_a_customer_lists_only_their_own_orders_and_cannot_name_a_customer(client, shop, orders):
    buyer = orders["buyer"]
    assert _ids(client, buyer.headers, "") == [orders["M"]]
    assert _ids(client, buyer.headers, "channel=counter") == []
    assert _ids(client, buyer.headers, "status=pending_payment") == [orders["M"]]
    assert_error(
        client.get(f"/api/orders?customer_id={orders['customer'].id}", headers=buyer.headers),
        422,
        "customer_not_allowed",
    )


@pytest.mark.parametrize(
    ("query", "field"),
    [
        ("status=shipped_maybe", "status"),
        ("channel=wechat", "channel"),
        ("customer_id=abc", "customer_id"),
        ("created_from=2026-13-01", "created_from"),
        ("created_from=2026-11-30&created_to=2026-11-29", "created_to"),
        ("stauts=paid", "stauts"),
    ],
)
def test_a_bad_filter_is_a_422_naming_the_field(client, shop, query, field):
    error = assert_error(client.get(f"/api/orders?{query}", headers=shop.staff), 422, "validation_failed")
    assert list(error["details"]["fields"]["query"]) == [field]


def test_a_page_of_orders_costs_the_same_queries_however_many_orders(client, shop, orders, monkeypatch):
    from backend.db import db

    statements: list[str] = []
    execute = db.obj.execute_sql

    def counted(sql: str, *args: Any, **kwargs: Any) -> Any:
        statements.append(sql)
        return execute(sql, *args, **kwargs)

    monkeypatch.setattr(db.obj, "execute_sql", counted)

    def cost(query: str, expected: int) -> int:
        statements.clear()
        body = client.get(f"/api/orders?{query}", headers=shop.staff).json
        assert len(body["items"]) == expected
        return len(statements)

    assert cost("limit=1", 1) == cost("limit=3", 3)
    statements.clear()
    buyer = orders["buyer"]
    assert len(client.get("/api/shop/orders?limit=1", headers=buyer.headers).json["items"]) == 1
    one = len(statements)
    assert add_to_cart(client, buyer, shop.sku2.id, 1).status_code == 201
    checkout(client, buyer, "checkout-second")
    statements.clear()
    assert len(client.get("/api/shop/orders?limit=5", headers=buyer.headers).json["items"]) == 2
    assert len(statements) == one


def test_staff_see_a_mini_program_orders_delivery_address_its_buyer_sees_only_their_own(
    client, shop, shopper, orders
):
    m, a = orders["M"], orders["A"]
    detail = client.get(f"/api/orders/{m}", headers=shop.staff).json
    assert (detail["id"], detail["channel"], detail["ship_to"]) == (m, "miniprogram", SHIP_TO)
    assert client.get(f"/api/orders/{a}", headers=shop.staff).json["ship_to"] is None
    listed = client.get("/api/orders?channel=miniprogram", headers=shop.staff).json["items"]
    assert [(o["id"], o["ship_to"]) for o in listed] == [(m, SHIP_TO)]
    shop_view = client.get(f"/api/shop/orders/{m}", headers=shop.staff)
    assert shop_view.status_code == 200, shop_view.json
    assert shop_view.json["checkout"]["ship_to"] == SHIP_TO

    buyer = orders["buyer"]
    assert client.get(f"/api/orders/{m}", headers=buyer.headers).json["ship_to"] == SHIP_TO
    other = shopper("赵先生")
    assert_error(client.get(f"/api/orders/{m}", headers=other.headers), 404, "order_not_found")
    assert_error(client.get(f"/api/shop/orders/{m}", headers=other.headers), 404, "order_not_found")
    assert client.get("/api/orders", headers=other.headers).json["items"] == []
