"""The HTTP surface of the sale spine: thin endpoints over the sale events, exact figures, scoping."""

from __future__ import annotations

import datetime as dt
import itertools
from typing import Any

import pytest

from backend import clock
from backend.ledger.models import JournalEntry
from backend.ledger.services import entry_lines
from tests.spine.conftest import breaks

_keys = itertools.count(1)


def post(client: Any, url: str, headers: dict[str, str], body: Any = None) -> Any:
    return client.post(url, json=body or {}, headers={**headers, "Idempotency-Key": f"k-{next(_keys)}"})


@pytest.fixture
def staff(make_user: Any, login: Any) -> dict[str, str]:
    return login(make_user("staff"))


@pytest.fixture
def catalog_ids(client: Any, staff: dict[str, str]) -> dict[str, int]:
    warehouse = post(client, "/api/warehouses", staff, {"code": "MAIN", "name": "门店仓"})
    assert warehouse.status_code == 201, warehouse.json
    product = post(client, "/api/products", staff, {"name": "茶叶"}).json
    sku = post(
        client, "/api/skus", staff, {"product_id": product["id"], "name": "龙井", "price_fen": 1130}
    ).json
    assert (sku["price_fen"], sku["vat_rate_bp"]) == (1130, 1300)
    receipt = post(
        client,
        "/api/stock-receipts",
        staff,
        {"sku_id": sku["id"], "warehouse_id": warehouse.json["id"], "quantity": 10, "unit_cost_fen": 700},
    )
    assert receipt.status_code == 201, receipt.json
    assert {k: receipt.json[k] for k in ("on_hand", "reserved", "available", "value_fen")} == {
        "on_hand": 10,
        "reserved": 0,
        "available": 10,
        "value_fen": 7000,
    }
    return {"warehouse": warehouse.json["id"], "sku": sku["id"]}


def voucher(order_id: int, event: str) -> list[tuple[str, int, int]]:
    entry = JournalEntry.get((JournalEntry.source_id == order_id) & (JournalEntry.event == event))
    return entry_lines(entry.id)


def test_counter_sale_over_http(client: Any, staff: dict[str, str], catalog_ids: dict[str, int]) -> None:
    placed = post(client, "/api/orders", staff, {"items": [{"sku_id": catalog_ids["sku"], "quantity": 2}]})
    assert placed.status_code == 201, placed.json
    order = placed.json
    assert (order["status"], order["channel"], order["total_fen"], order["vat_fen"]) == (
        "pending_payment",
        "counter",
        2260,
        260,
    )
    assert [(li["unit_price_fen"], li["net_fen"], li["vat_fen"]) for li in order["lines"]] == [
        (1130, 2000, 260)
    ]

    wrong = post(client, f"/api/orders/{order['id']}/cash-payment", staff, {"amount_fen": 2000})
    assert (wrong.status_code, wrong.json["error"]["code"]) == (409, "amount_mismatch")
    paid = post(client, f"/api/orders/{order['id']}/cash-payment", staff, {"amount_fen": 2260})
    # Paid at the counter, handed over at the counter: stock out and its cost booked with the cash.
    assert (paid.status_code, paid.json["status"], paid.json["paid_fen"]) == (200, "shipped", 2260)
    # Cash taken for an order has a payment record with a status, like every other way money comes in.
    assert _records(order["id"]) == [("cash", "succeeded", "captured", 2260)]
    assert voucher(order["id"], "order.paid") == [("1001", 2260, 0), ("5001", 0, 2000), ("2221", 0, 260)]
    assert voucher(order["id"], "order.shipped") == [("5401", 1400, 0), ("1405", 0, 1400)]
    assert _levels(client, staff, catalog_ids) == [(8, 0, 5600)]
    again = client.post(f"/api/orders/{order['id']}/fulfil", headers=staff)
    assert (again.status_code, again.json["error"]["code"]) == (409, "invalid_transition")

    # Staff may take the money now and deliver later: the goods stay reserved until /fulfil.
    later = post(
        client, "/api/orders", staff, {"items": [{"sku_id": catalog_ids["sku"], "quantity": 1}]}
    ).json
    paid = post(
        client, f"/api/orders/{later['id']}/cash-payment", staff, {"amount_fen": 1130, "deliver_later": True}
    )
    assert (paid.status_code, paid.json["status"]) == (200, "paid")
    assert _levels(client, staff, catalog_ids) == [(8, 1, 5600)]
    shipped = client.post(f"/api/orders/{later['id']}/fulfil", headers=staff)
    assert shipped.json["status"] == "shipped"
    assert voucher(later["id"], "order.shipped") == [("5401", 700, 0), ("1405", 0, 700)]
    assert _levels(client, staff, catalog_ids) == [(7, 0, 4900)]
    assert breaks() == []


def test_one_step_counter_sale_and_refund(
    client: Any, staff: dict[str, str], catalog_ids: dict[str, int]
) -> None:
    sale = post(
        client, "/api/counter-sales", staff, {"items": [{"sku_id": catalog_ids["sku"], "quantity": 1}]}
    )
    assert (sale.status_code, sale.json["status"], sale.json["paid_fen"]) == (201, "shipped", 1130)
    assert [(line["sku_id"], line["quantity"]) for line in sale.json["lines"]] == [(catalog_ids["sku"], 1)]
    # Handed over at the counter: stock out at 700 and its cost booked in the same event.
    assert voucher(sale.json["id"], "order.shipped") == [("5401", 700, 0), ("1405", 0, 700)]
    assert _levels(client, staff, catalog_ids) == [(9, 0, 6300)]
    # The cash has its payment record like any other money taken.
    assert _records(sale.json["id"]) == [("cash", "succeeded", "captured", 1130)]
    too_much = post(client, f"/api/orders/{sale.json['id']}/refunds", staff, {"amount_fen": 1131})
    assert (too_much.status_code, too_much.json["error"]["code"]) == (409, "refund_exceeds_paid")
    refunded = post(client, f"/api/orders/{sale.json['id']}/refunds", staff, {})
    assert (refunded.status_code, refunded.json["status"], refunded.json["refunded_fen"]) == (
        200,
        "refunded",
        1130,
    )
    assert _levels(client, staff, catalog_ids) == [(10, 0, 7000)]  # the full refund took the goods back
    assert breaks() == []


def test_a_counter_sale_delivered_later_stays_reserved(
    client: Any, staff: dict[str, str], catalog_ids: dict[str, int]
) -> None:
    sale = post(
        client,
        "/api/counter-sales",
        staff,
        {"items": [{"sku_id": catalog_ids["sku"], "quantity": 2}], "deliver_later": True},
    )
    assert (sale.status_code, sale.json["status"], sale.json["paid_fen"]) == (201, "paid", 2260)
    assert not JournalEntry.select().where(JournalEntry.event == "order.shipped").exists()
    assert _levels(client, staff, catalog_ids) == [(10, 2, 7000)]
    assert _records(sale.json["id"]) == [("cash", "succeeded", "captured", 2260)]
    shipped = client.post(f"/api/orders/{sale.json['id']}/fulfil", headers=staff)
    assert (shipped.status_code, shipped.json["status"]) == (200, "shipped")
    assert voucher(sale.json["id"], "order.shipped") == [("5401", 1400, 0), ("1405", 0, 1400)]
    assert _levels(client, staff, catalog_ids) == [(8, 0, 5600)]
    assert breaks() == []


def _levels(client: Any, staff: dict[str, str], catalog_ids: dict[str, int]) -> list[tuple[int, int, int]]:
    levels = client.get(f"/api/stock-levels?sku_id={catalog_ids['sku']}", headers=staff).json["items"]
    return [(lv["on_hand"], lv["reserved"], lv["value_fen"]) for lv in levels]


def _records(order_id: int) -> list[tuple[str, str, str, int]]:
    from payments.models import PaymentRecord

    return [
        (r.method, r.status, r.outcome, r.amount_fen)
        for r in PaymentRecord.select().where(PaymentRecord.order == order_id).order_by(PaymentRecord.id)
    ]


def test_client_prices_are_refused(client: Any, staff: dict[str, str], catalog_ids: dict[str, int]) -> None:
    from tests.spine.conftest import snapshot

    before = snapshot()
    body = {"items": [{"sku_id": catalog_ids["sku"], "quantity": 2, "unit_price_fen": 1}]}
    response = post(client, "/api/orders", staff, body)
    assert response.status_code == 422
    assert response.json["error"]["code"] == "validation_failed"
    assert "unit_price_fen" in str(response.json["error"]["details"])
    assert snapshot() == before


@pytest.mark.parametrize(
    ("item", "status", "code"),
    [
        ({"sku_id": 424242, "quantity": 1}, 422, "unknown_sku"),
        ({"quantity": 0}, 422, "invalid_quantity"),
        ({"quantity": -3}, 422, "invalid_quantity"),
        ({"quantity": 10**12}, 422, "invalid_quantity"),
        ({"quantity": 11}, 409, "insufficient_stock"),
        ({"quantity": "2"}, 422, "validation_failed"),
    ],
)
def test_bad_order_input_over_http(
    client: Any,
    staff: dict[str, str],
    catalog_ids: dict[str, int],
    item: dict[str, Any],
    status: int,
    code: str,
) -> None:
    from tests.spine.conftest import snapshot

    before = snapshot()
    response = post(client, "/api/orders", staff, {"items": [{"sku_id": catalog_ids["sku"], **item}]})
    assert (response.status_code, response.json["error"]["code"]) == (status, code)
    assert snapshot() == before


def test_out_of_order_events_over_http(
    client: Any, staff: dict[str, str], catalog_ids: dict[str, int]
) -> None:
    order = post(
        client, "/api/orders", staff, {"items": [{"sku_id": catalog_ids["sku"], "quantity": 1}]}
    ).json
    early = client.post(f"/api/orders/{order['id']}/fulfil", headers=staff)
    assert (early.status_code, early.json["error"]["code"]) == (409, "invalid_transition")
    sale = post(
        client, "/api/counter-sales", staff, {"items": [{"sku_id": catalog_ids["sku"], "quantity": 1}]}
    ).json
    late = client.post(f"/api/orders/{sale['id']}/cancel", headers=staff)
    assert (late.status_code, late.json["error"]["code"]) == (409, "invalid_transition")
    shown = client.get(f"/api/orders/{sale['id']}", headers=staff).json
    assert shown["status"] == "shipped"
    assert [(line["sku_id"], line["sku_name"], line["quantity"]) for line in shown["lines"]] == [
        (catalog_ids["sku"], "龙井", 1)
    ]


def test_customers_see_only_their_own_orders(
    client: Any, staff: dict[str, str], catalog_ids: dict[str, int], make_user: Any, login: Any
) -> None:
    alice, bob = make_user("customer"), make_user("customer")
    for user, name in ((alice, "Alice"), (bob, "Bob")):
        created = post(client, "/api/customers", staff, {"kind": "member", "name": name, "user_id": user.id})
        assert created.status_code == 201, created.json
    as_alice, as_bob = login(alice), login(bob)
    mine = post(client, "/api/orders", as_alice, {"items": [{"sku_id": catalog_ids["sku"], "quantity": 1}]})
    assert (mine.status_code, mine.json["channel"]) == (201, "miniprogram")
    post(client, "/api/orders", as_bob, {"items": [{"sku_id": catalog_ids["sku"], "quantity": 2}]})
    listed = client.get("/api/orders", headers=as_alice).json["items"]
    assert [o["id"] for o in listed] == [mine.json["id"]]
    assert client.get(f"/api/orders/{mine.json['id']}", headers=as_bob).status_code == 404
    assert client.post(f"/api/orders/{mine.json['id']}/cancel", headers=as_bob).status_code == 404
    forged = post(
        client,
        "/api/orders",
        as_bob,
        {"customer_id": 1, "items": [{"sku_id": catalog_ids["sku"], "quantity": 1}]},
    )
    assert (forged.status_code, forged.json["error"]["code"]) == (422, "customer_not_allowed")
    assert client.post(f"/api/orders/{mine.json['id']}/fulfil", headers=as_alice).status_code == 403
    cancelled = client.post(f"/api/orders/{mine.json['id']}/cancel", headers=as_alice)
    assert cancelled.json["status"] == "cancelled"


def test_distributor_buys_on_account_and_staff_collects(
    client: Any, staff: dict[str, str], catalog_ids: dict[str, int], make_user: Any, login: Any
) -> None:
    from tests.spine.conftest import snapshot

    user = make_user("distributor")
    customer = post(
        client,
        "/api/customers",
        staff,
        {
            "kind": "distributor",
            "name": "城东批发部",
            "user_id": user.id,
            "credit_limit_fen": 3000,
            "payment_terms_days": 15,
        },
    ).json
    as_dist = login(user)
    sold = post(
        client,
        "/api/orders",
        as_dist,
        {"on_account": True, "items": [{"sku_id": catalog_ids["sku"], "quantity": 2}]},
    )
    assert (sold.status_code, sold.json["status"], sold.json["channel"]) == (201, "on_account", "distributor")
    assert voucher(sold.json["id"], "order.on_account") == [
        ("1122", 2260, 0),
        ("5001", 0, 2000),
        ("2221", 0, 260),
    ]
    account = client.get("/api/my/account", headers=as_dist).json
    due = (clock.today() + dt.timedelta(days=15)).isoformat()
    assert (account["balance_fen"], account["credit_limit_fen"]) == (2260, 3000)
    assert [(i["amount_fen"], i["open_fen"], i["due_on"]) for i in account["open_items"]] == [
        (2260, 2260, due)
    ]

    before = snapshot()
    over = post(
        client,
        "/api/orders",
        as_dist,
        {"on_account": True, "items": [{"sku_id": catalog_ids["sku"], "quantity": 1}]},
    )
    assert (over.status_code, over.json["error"]["code"]) == (409, "credit_limit_exceeded")
    assert snapshot() == before
    assert client.get(f"/api/customers/{customer['id']}/account", headers=as_dist).status_code == 403

    collected = post(
        client,
        "/api/collections",
        staff,
        {"customer_id": customer["id"], "amount_fen": 2000, "method": "bank_transfer"},
    )
    assert (collected.status_code, collected.json["balance_fen"]) == (201, 260)
    # The collection settles part of the order's invoice, and the order shows it as paid.
    assert client.get(f"/api/orders/{sold.json['id']}", headers=staff).json["paid_fen"] == 2000
    staff_view = client.get(f"/api/customers/{customer['id']}/account", headers=staff).json
    assert [(i["open_fen"]) for i in staff_view["open_items"]] == [260]
    too_much = post(
        client,
        "/api/collections",
        staff,
        {
            "customer_id": customer["id"],
            "amount_fen": 261,
            "method": "cash",
            "allocations": [{"invoice_id": staff_view["open_items"][0]["id"], "amount_fen": 261}],
        },
    )
    assert (too_much.status_code, too_much.json["error"]["code"]) == (409, "allocation_exceeds_open")
    staff_view = client.get(f"/api/customers/{customer['id']}/account", headers=staff).json
    assert [(i["open_fen"]) for i in staff_view["open_items"]] == [260]
    assert staff_view["advance_fen"] == 0
    assert breaks() == []
