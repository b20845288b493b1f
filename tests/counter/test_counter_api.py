"""Looking up goods and customers at the counter, and printing receipts and delivery notes."""

from __future__ import annotations

import datetime as dt
from typing import Any

from backend import clock


def test_goods_by_barcode_or_name_at_the_customers_price(client: Any, shop: Any) -> None:
    found = client.get("/api/counter/skus?barcode=6900000000011", headers=shop.staff)
    assert found.status_code == 200
    assert found.json["items"] == [
        {
            "sku_id": shop.tea.id,
            "name": "龙井 250g",
            "product_name": "茶叶",
            "barcode": "6900000000011",
            "unit": "件",
            "list_price_fen": 1130,
            "unit_price_fen": 1130,
            "available": 10,
        }
    ]
    dealer = client.get(f"/api/counter/skus?q=龙井&customer_id={shop.dealer.id}", headers=shop.staff)
    assert [(i["name"], i["unit_price_fen"]) for i in dealer.json["items"]] == [("龙井 250g", 900)]
    by_name = client.get("/api/counter/skus?q=茶", headers=shop.staff)
    assert [i["name"] for i in by_name.json["items"]] == ["红茶 100g", "龙井 250g"]
    assert client.get("/api/counter/skus?q=100%", headers=shop.staff).json["items"] == []
    assert client.get("/api/counter/skus?barcode=0000", headers=shop.staff).json["items"] == []


def test_a_customers_balance_headroom_and_overdue(client: Any, shop: Any, login: Any) -> None:
    sold = client.post(
        "/api/orders",
        json={
            "items": [{"sku_id": shop.tea.id, "quantity": 10}],
            "customer_id": shop.dealer.id,
            "on_account": True,
        },
        headers={**shop.staff, "Idempotency-Key": "on-account-1"},
    )
    assert sold.status_code == 201, sold.json
    fresh = client.get(f"/api/counter/customers/{shop.dealer.id}", headers=shop.staff).json
    assert (fresh["balance_fen"], fresh["headroom_fen"], fresh["overdue_fen"], fresh["oldest_due_on"]) == (
        9000,
        91000,
        0,
        None,
    )
    clock.travel_to(clock.now() + dt.timedelta(days=33))
    staff = login(shop.staff_user)  # a week-long session has ended meanwhile
    late = client.get("/api/counter/customers?q=城南", headers=staff).json["items"]
    due = (clock.today() - dt.timedelta(days=3)).isoformat()
    assert [(c["name"], c["overdue_fen"], c["overdue_days"], c["oldest_due_on"]) for c in late] == [
        ("城南批发", 9000, 3, due)
    ]
    assert (
        client.get("/api/counter/customers?q=1390000", headers=staff).json["items"][0]["id"] == shop.dealer.id
    )


def test_the_counter_is_for_staff(client: Any, shop: Any, make_user: Any, login: Any) -> None:
    customer = login(make_user("distributor"))
    assert client.get("/api/counter/skus?q=茶", headers=customer).status_code == 403
    assert client.get("/api/counter/customers", headers=customer).status_code == 403
    assert client.get("/api/counter/customers/999999", headers=shop.staff).status_code == 404


def test_a_collection_settles_the_chosen_invoices(client: Any, shop: Any) -> None:
    from backend.receivables.models import Invoice, Payment

    for n, quantity in enumerate([1, 2]):
        placed = client.post(
            "/api/orders",
            json={
                "items": [{"sku_id": shop.tea.id, "quantity": quantity}],
                "customer_id": shop.dealer.id,
                "on_account": True,
            },
            headers={**shop.staff, "Idempotency-Key": f"acct-{n}"},
        )
        assert placed.status_code == 201, placed.json
    first, second = Invoice.select().order_by(Invoice.id)
    # More allocated to the chosen invoice than it has open is refused, and nothing changes.
    too_much = client.post(
        "/api/collections",
        json={
            "customer_id": shop.dealer.id,
            "amount_fen": 1000,
            "method": "cash",
            "allocations": [{"invoice_id": first.id, "amount_fen": 1000}],
        },
        headers={**shop.staff, "Idempotency-Key": "c-0"},
    )
    assert too_much.status_code == 409, too_much.json
    assert too_much.json["error"]["code"] == "allocation_exceeds_open"
    assert Payment.select().where(Payment.direction == "in").count() == 0
    collected = client.post(
        "/api/collections",
        json={
            "customer_id": shop.dealer.id,
            "amount_fen": 1800,
            "method": "cash",
            "invoice_ids": [second.id],
        },
        headers={**shop.staff, "Idempotency-Key": "c-1"},
    )
    assert collected.status_code == 201, collected.json
    assert collected.json["balance_fen"] == 900
    assert [(i.id, i.open_fen) for i in Invoice.select().order_by(Invoice.id)] == [
        (first.id, 900),
        (second.id, 0),
    ]
