"""Checkout refuses bad input with a clear error and changes nothing: no order, no reservation, no
points or coupon spent, the cart as it was. Coupons: amount off over a threshold, per-customer
limit, validity window; a cancelled unpaid order gives points and coupon back."""

from __future__ import annotations

import datetime as dt

from tests.platform.test_errors import assert_error
from tests.store.conftest import add_to_cart, checks_clean


def _coupon(client, staff, key, **fields):
    from backend import clock

    body = {
        "name": "满20减5",
        "amount_off_fen": 500,
        "threshold_fen": 2000,
        "per_customer_limit": 1,
        "valid_from": clock.rfc3339(clock.now() - dt.timedelta(minutes=1)),
        "valid_until": clock.rfc3339(clock.now() + dt.timedelta(days=30)),
        **fields,
    }
    response = client.post("/api/coupons", json=body, headers={**staff, "Idempotency-Key": key})
    assert response.status_code == 201, response.json
    return response.json["id"]


def _claim(client, buyer, coupon_id, key=None):
    return client.post(
        f"/api/coupons/{coupon_id}/claim",
        headers={**buyer.headers, "Idempotency-Key": key or f"claim-{buyer.user_id}-{coupon_id}"},
    )


def _checkout(client, buyer, key, **fields):
    return client.post(
        "/api/checkout",
        json={"address_id": buyer.address_id, **fields},
        headers={**buyer.headers, "Idempotency-Key": key},
    )


def test_bad_checkouts_change_nothing_and_leave_no_stock_reserved(client, shop, shopper, unchanged):
    from backend import clock
    from backend.inventory.models import StockLevel
    from backend.kernel.models import Order
    from store import members

    alice, bob = shopper("王小姐"), shopper("李先生")
    members._points_entry(alice.customer.id, "earn", 100, None, "seed-alice")
    coupon = _coupon(client, shop.staff, "coupon-1")
    short = _coupon(
        client,
        shop.staff,
        "coupon-short",
        name="限时券",
        valid_until=clock.rfc3339(clock.now() + dt.timedelta(hours=1)),
    )
    big = _coupon(client, shop.staff, "coupon-big", name="满20减28", amount_off_fen=2800)
    mine = _claim(client, alice, coupon).json["id"]
    soon_expired = _claim(client, alice, short).json["id"]
    huge = _claim(client, alice, big).json["id"]
    bobs = _claim(client, bob, coupon).json["id"]
    assert_error(_claim(client, alice, coupon, key="claim-again"), 409, "coupon_limit_reached")

    with unchanged():
        assert_error(_checkout(client, alice, "empty"), 422, "empty_cart")
    add_to_cart(client, alice, shop.sku.id, 2)
    add_to_cart(client, alice, shop.sku2.id, 1)  # goods 2260 + 565 = 2825

    with unchanged():
        assert_error(_checkout(client, alice, "too-many-points", points=101), 409, "not_enough_points")
        assert_error(_checkout(client, alice, "negative-points", points=-1), 422, "invalid_points")
        assert_error(_checkout(client, alice, "bobs-coupon", customer_coupon_id=bobs), 404, "not_found")
        assert_error(_checkout(client, alice, "no-coupon", customer_coupon_id=99999), 404, "not_found")
        assert_error(
            _checkout(client, alice, "too-much-off", customer_coupon_id=huge, points=100),
            409,
            "discount_too_large",
        )
        assert_error(_checkout(client, alice, "bobs-address", address_id=bob.address_id), 404, "not_found")
        assert_error(
            _checkout(client, alice, "over-balance", pay_with="stored_value"), 409, "not_enough_stored_value"
        )
        assert_error(_checkout(client, alice, "set-total", total_fen=1), 422, "validation_failed")
        assert_error(_checkout(client, alice, "set-status", status="paid"), 422, "validation_failed")

    clock.advance(2 * 3600)
    with unchanged():
        assert_error(
            _checkout(client, alice, "expired", customer_coupon_id=soon_expired), 409, "coupon_not_usable"
        )

    client.patch(f"/api/products/{shop.wine.id}", json={"on_sale": False}, headers=shop.staff)
    with unchanged():
        assert_error(_checkout(client, alice, "off-sale"), 422, "off_sale")
    client.patch(f"/api/products/{shop.wine.id}", json={"on_sale": True}, headers=shop.staff)

    cart_item = client.get("/api/cart", headers=alice.headers).json["items"][0]["id"]
    client.patch(f"/api/cart/items/{cart_item}", json={"quantity": 11}, headers=alice.headers)
    with unchanged():
        assert_error(_checkout(client, alice, "short-stock"), 409, "insufficient_stock")
    client.patch(
        f"/api/cart/items/{cart_item}", json={"quantity": 1}, headers=alice.headers
    )  # goods 1130 + 565
    with unchanged():
        assert_error(
            _checkout(client, alice, "below-threshold", customer_coupon_id=mine), 409, "coupon_not_usable"
        )
    assert [(lv.on_hand, lv.reserved) for lv in StockLevel.select().order_by(StockLevel.sku)] == [
        (10, 0),
        (5, 0),
    ]
    assert Order.select().count() == 0

    # A good checkout, then the same key again: the same answer, one order.
    add_to_cart(client, alice, shop.sku.id, 1)  # goods 2260 + 565 = 2825
    first = _checkout(client, alice, "good", customer_coupon_id=mine, points=100)
    assert first.status_code == 201, first.json
    assert (first.json["order"]["total_fen"], first.json["order"]["discount_fen"]) == (2225, 600)
    with unchanged():
        again = _checkout(client, alice, "good", customer_coupon_id=mine, points=100)
        assert again.json == first.json and again.headers["Idempotent-Replayed"] == "true"
        assert_error(
            _checkout(client, alice, "another-key", customer_coupon_id=mine, points=100), 422, "empty_cart"
        )
    assert Order.select().count() == 1
    coupons = {
        c["id"]: (c["status"], c["order_id"])
        for c in client.get("/api/me/coupons", headers=alice.headers).json["items"]
    }
    order_id = first.json["order"]["id"]
    assert coupons[mine] == ("used", order_id)
    assert client.get("/api/me/member", headers=alice.headers).json["points"] == 0

    # The customer cancels: stock released, the 100 points and the coupon come back.
    with unchanged():
        assert_error(
            client.post(f"/api/shop/orders/{order_id}/cancel", headers=bob.headers), 404, "order_not_found"
        )
    cancelled = client.post(f"/api/shop/orders/{order_id}/cancel", headers=alice.headers)
    assert cancelled.status_code == 200, cancelled.json
    assert cancelled.json["status"] == "cancelled"
    assert client.get("/api/me/member", headers=alice.headers).json["points"] == 100
    coupons = {
        c["id"]: (c["status"], c["order_id"])
        for c in client.get("/api/me/coupons", headers=alice.headers).json["items"]
    }
    assert coupons[mine] == ("available", None)
    assert [(lv.on_hand, lv.reserved) for lv in StockLevel.select().order_by(StockLevel.sku)] == [
        (10, 0),
        (5, 0),
    ]
    assert checks_clean() == []
