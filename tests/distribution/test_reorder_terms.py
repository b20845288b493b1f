"""再来一单 when the trade terms changed since the past order, over HTTP: each line goes into the cart
rounded up to today's case size and minimum and is reported as adjusted; a SKU no longer on sale is
left out and reported; an order with nothing left on sale changes nothing."""

from __future__ import annotations

from tests.payments.conftest import checks_clean
from tests.platform.test_errors import assert_error


def _post(client, path, body, headers, key):
    return client.post(path, json=body, headers={**headers, "Idempotency-Key": key})


def _terms(client, trade, sku, case_size, minimum):
    response = client.put(
        f"/api/skus/{sku.id}/trade-terms",
        json={"case_size": case_size, "min_order_quantity": minimum},
        headers=trade.staff,
    )
    assert response.status_code == 200, response.json


def test_reorder_rounds_up_to_todays_terms_and_reports_each_line(client, trade, distributor, unchanged):
    from backend.kernel.models import Product, Sku
    from store import catalog

    a = distributor("甲酒行")
    rose = catalog.create_sku(trade.red.product_id, name="桃红 750ml", price_fen=7000)
    from backend.inventory.services import receive_purchase

    receive_purchase(rose.id, trade.main.id, 30, 3500, reference="PO-ROSE")
    _terms(client, trade, trade.red, 6, 6)
    for sku, quantity, key in ((trade.red, 18, "c-1"), (trade.white, 5, "c-2"), (rose, 4, "c-3")):
        added = _post(
            client, "/api/distributor/cart/items", {"sku_id": sku.id, "quantity": quantity}, a.headers, key
        )
        assert added.status_code == 201, added.json
    placed = _post(client, "/api/distributor/orders", {"pay_with": "on_account"}, a.headers, "o-1")
    assert placed.status_code == 201, placed.json

    # since then: red comes in cases of 12 from 24, white in cases of 6, rose is no longer sold
    _terms(client, trade, trade.red, 12, 24)
    _terms(client, trade, trade.white, 6, 6)
    Sku.update(active=False).where(Sku.id == rose.id).execute()

    again = _post(client, f"/api/distributor/orders/{placed.json['id']}/reorder", {}, a.headers, "re-1")
    assert again.status_code == 201, again.json
    assert [(i["sku_id"], i["quantity"], i["total_fen"]) for i in again.json["items"]] == [
        (trade.red.id, 24, 192000),
        (trade.white.id, 6, 36000),
    ]
    assert again.json["skipped_sku_ids"] == [rose.id]
    assert again.json["adjusted"] == [
        {"sku_id": trade.red.id, "ordered": 18, "added": 24, "case_size": 12, "min_order_quantity": 24},
        {"sku_id": trade.white.id, "ordered": 5, "added": 6, "case_size": 6, "min_order_quantity": 6},
    ]
    # reordering again adds to the cart lines already there, still in whole cases
    more = _post(client, f"/api/distributor/orders/{placed.json['id']}/reorder", {}, a.headers, "re-2")
    assert [(i["sku_id"], i["quantity"]) for i in more.json["items"]] == [
        (trade.red.id, 48),
        (trade.white.id, 12),
    ]
    assert more.json["adjusted"] == [
        {"sku_id": trade.red.id, "ordered": 18, "added": 24, "case_size": 12, "min_order_quantity": 24},
        {"sku_id": trade.white.id, "ordered": 5, "added": 6, "case_size": 6, "min_order_quantity": 6},
    ]
    # the replay of the same request answers the same, and adds nothing
    replay = _post(client, f"/api/distributor/orders/{placed.json['id']}/reorder", {}, a.headers, "re-2")
    assert replay.json == more.json
    assert [
        (i["sku_id"], i["quantity"])
        for i in client.get("/api/distributor/cart", headers=a.headers).json["items"]
    ] == [
        (trade.red.id, 48),
        (trade.white.id, 12),
    ]
    placed_again = _post(client, "/api/distributor/orders", {"pay_with": "on_account"}, a.headers, "o-2")
    assert (placed_again.status_code, placed_again.json["total_fen"]) == (201, 48 * 8000 + 12 * 6000)

    # an order with nothing left on sale: refused, nothing changes
    only_rose = catalog.create_sku(trade.red.product_id, name="甜白 500ml", price_fen=5000)
    receive_purchase(only_rose.id, trade.main.id, 10, 2000, reference="PO-SWEET")
    _post(client, "/api/distributor/cart/items", {"sku_id": only_rose.id, "quantity": 2}, a.headers, "c-4")
    sweet = _post(client, "/api/distributor/orders", {"pay_with": "on_account"}, a.headers, "o-3")
    Product.update(on_sale=True).execute()
    Sku.update(active=False).where(Sku.id == only_rose.id).execute()
    with unchanged():
        assert_error(
            _post(client, f"/api/distributor/orders/{sweet.json['id']}/reorder", {}, a.headers, "re-3"),
            422,
            "off_sale",
        )
    assert checks_clean() == []
