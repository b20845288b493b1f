"""A distributor restocks over HTTP: the catalogue at their price with stock per warehouse, trade
terms, favourites, the cart, quick reorder, the order on account (credit checked) or paid by WeChat
QR, and their invoice paid by QR; other distributors' things are 404 and bad quantities change
nothing."""

from __future__ import annotations

from tests.payments.conftest import checks_clean
from tests.platform.test_errors import assert_error


def _post(client, path, body, headers, key):
    return client.post(path, json=body, headers={**headers, "Idempotency-Key": key})


def _terms(client, trade):
    response = client.put(
        f"/api/skus/{trade.red.id}/trade-terms",
        json={"case_size": 6, "min_order_quantity": 12},
        headers=trade.staff,
    )
    assert response.status_code == 200, response.json


def test_catalogue_cart_reorder_and_on_account(client, trade, distributor, unchanged):
    from store.distribution import price_lists as pl

    _terms(client, trade)
    a = distributor("甲酒行", grade=trade.grade_a)
    pl.create_price_list(
        "一级价",
        "grade",
        grade_id=trade.grade_a.id,
        items=[
            {"sku_id": trade.red.id, "price_fen": 7500},
            {"sku_id": trade.red.id, "min_quantity": 24, "price_fen": 7200},
        ],
    )
    listed = client.get("/api/distributor/catalog", headers=a.headers)
    assert listed.status_code == 200, listed.json
    red = next(i for i in listed.json["items"] if i["sku_id"] == trade.red.id)
    assert (
        red["your_price_fen"],
        red["rule"],
        red["case_size"],
        red["min_order_quantity"],
        red["favourite"],
    ) == (
        7500,
        "grade_list",
        6,
        12,
        False,
    )
    assert [(s["code"], s["available"]) for s in red["stock"]] == [("MAIN", 120), ("NORTH", 24)]

    assert (
        _post(client, "/api/distributor/favourites", {"sku_id": trade.red.id}, a.headers, "fav-1").status_code
        == 201
    )
    favs = client.get("/api/distributor/catalog?favourites=true", headers=a.headers).json["items"]
    assert [(i["sku_id"], i["favourite"]) for i in favs] == [(trade.red.id, True)]

    with unchanged():
        assert_error(
            _post(
                client,
                "/api/distributor/cart/items",
                {"sku_id": trade.red.id, "quantity": 7},
                a.headers,
                "c-bad",
            ),
            422,
            "case_multiple",
        )
        assert_error(
            _post(
                client,
                "/api/distributor/cart/items",
                {"sku_id": trade.red.id, "quantity": 6},
                a.headers,
                "c-min",
            ),
            422,
            "below_minimum_order",
        )
        assert_error(
            client.put(
                f"/api/skus/{trade.red.id}/trade-terms",
                json={"case_size": 6, "min_order_quantity": 10},
                headers=trade.staff,
            ),
            422,
            "invalid_trade_terms",
        )
    added = _post(
        client, "/api/distributor/cart/items", {"sku_id": trade.red.id, "quantity": 24}, a.headers, "c-1"
    )
    assert added.status_code == 201, added.json
    assert [(i["quantity"], i["unit_price_fen"], i["rule"], i["total_fen"]) for i in added.json["items"]] == [
        (24, 7200, "grade_list", 172800)
    ]
    with unchanged():
        line = added.json["items"][0]["id"]
        assert_error(
            client.patch(f"/api/distributor/cart/items/{line}", json={"quantity": 25}, headers=a.headers),
            422,
            "case_multiple",
        )

    placed = _post(client, "/api/distributor/orders", {"pay_with": "on_account"}, a.headers, "o-1")
    assert placed.status_code == 201, placed.json
    assert (placed.json["status"], placed.json["channel"], placed.json["total_fen"]) == (
        "on_account",
        "distributor",
        172800,
    )
    assert client.get("/api/distributor/cart", headers=a.headers).json["items"] == []
    account = client.get("/api/my/account", headers=a.headers).json
    assert (account["balance_fen"], [i["open_fen"] for i in account["open_items"]]) == (172800, [172800])

    again = _post(client, f"/api/distributor/orders/{placed.json['id']}/reorder", {}, a.headers, "re-1")
    assert again.status_code == 201, again.json
    assert [(i["sku_id"], i["quantity"], i["unit_price_fen"]) for i in again.json["items"]] == [
        (trade.red.id, 24, 7200)
    ]

    b = distributor("乙酒行")
    with unchanged():
        assert_error(
            _post(client, f"/api/distributor/orders/{placed.json['id']}/reorder", {}, b.headers, "re-b"),
            404,
            "order_not_found",
        )
        assert_error(
            client.get(f"/api/orders/{placed.json['id']}", headers=b.headers), 404, "order_not_found"
        )
        invoice_id = account["open_items"][0]["id"]
        assert_error(
            client.post(f"/api/my/invoices/{invoice_id}/wechat-qr", headers=b.headers),
            404,
            "invoice_not_found",
        )
        assert_error(
            client.post(f"/api/my/orders/{placed.json['id']}/wechat-qr", headers=b.headers),
            404,
            "order_not_found",
        )
        assert_error(
            _post(client, "/api/distributor/orders", {"pay_with": "on_account"}, b.headers, "o-b"),
            422,
            "empty_cart",
        )
    assert checks_clean() == []


def test_over_the_credit_limit_is_refused_and_nothing_changes(client, trade, distributor, unchanged):
    small = distributor("小酒行", credit_limit_fen=10000)
    _post(
        client, "/api/distributor/cart/items", {"sku_id": trade.red.id, "quantity": 2}, small.headers, "c-1"
    )
    with unchanged():
        refused = _post(client, "/api/distributor/orders", {"pay_with": "on_account"}, small.headers, "o-1")
        assert refused.status_code in (409, 422), refused.json
        assert refused.json["error"]["code"] in ("credit_limit_exceeded", "over_credit_limit"), refused.json


def test_pay_an_order_and_an_invoice_by_qr(client, trade, distributor, wechat_sandbox):
    from backend.kernel.models import Order
    from backend.receivables.models import Invoice

    sb = wechat_sandbox
    a = distributor("甲酒行")
    _post(client, "/api/distributor/cart/items", {"sku_id": trade.white.id, "quantity": 2}, a.headers, "c-1")
    order = _post(client, "/api/distributor/orders", {"pay_with": "wechat"}, a.headers, "o-1").json
    assert (order["status"], order["total_fen"]) == ("pending_payment", 12000)
    qr = client.post(f"/api/my/orders/{order['id']}/wechat-qr", headers=a.headers)
    assert qr.status_code == 200, qr.json
    png = client.get(qr.json["qr_png_url"], headers=a.headers)
    assert (png.status_code, png.data[:4]) == (200, b"\x89PNG")
    sb.scan_and_pay(qr.json["code_url"], sb.login_code().openid)
    sb.deliver_due()
    assert Order.get_by_id(order["id"]).status == "paid"

    _post(client, "/api/distributor/cart/items", {"sku_id": trade.white.id, "quantity": 1}, a.headers, "c-2")
    on_account = _post(client, "/api/distributor/orders", {"pay_with": "on_account"}, a.headers, "o-2").json
    invoice = Invoice.get(Invoice.order == on_account["id"])
    qr = client.post(f"/api/my/invoices/{invoice.id}/wechat-qr", headers=a.headers)
    assert qr.status_code == 200, qr.json
    assert qr.json["payment"]["amount_fen"] == 6000
    sb.scan_and_pay(qr.json["code_url"], sb.login_code().openid)
    sb.deliver_due()
    assert Invoice.get_by_id(invoice.id).open_fen == 0
    assert client.get("/api/my/account", headers=a.headers).json["balance_fen"] == 0
    assert checks_clean() == []


def test_pending_orders_expire_per_channel(app, trade, distributor, monkeypatch):
    from backend import clock, runtime
    from backend.kernel.models import Order
    from payments import auto_cancel
    from store import services as sales

    a = distributor("甲酒行")
    dist_order = sales.place_order(a.customer.id, [(trade.white.id, 1)], channel="distributor")
    counter_order = sales.place_order(None, [(trade.white.id, 1)], channel="counter")
    configured = runtime.settings().with_overrides(pending_order_expiry="distributor=7200,counter=600")
    monkeypatch.setitem(runtime._state, "settings", configured)
    assert auto_cancel.expiry_by_channel() == {"miniprogram": 1800, "distributor": 7200, "counter": 600}
    clock.advance(601)
    assert auto_cancel.cancel_unpaid() == 1
    assert (Order.get_by_id(counter_order.id).status, Order.get_by_id(dist_order.id).status) == (
        "cancelled",
        "pending_payment",
    )
    clock.advance(7200)
    assert auto_cancel.cancel_unpaid() == 1
    assert Order.get_by_id(dist_order.id).status == "cancelled"
    assert checks_clean() == []


def test_a_bad_expiry_setting_refuses_to_start():
    import pytest

    from backend.config import ConfigError, load_settings

    with pytest.raises(ConfigError):
        load_settings(environ={"YECAI_PENDING_ORDER_EXPIRY": "distributor=ten"}, secret_key="x" * 20)
