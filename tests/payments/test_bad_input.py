"""Bad input gets a clear error and changes nothing."""

from __future__ import annotations

from tests.payments.conftest import snapshot


def _error(response):
    return response.status_code, response.json["error"]["code"]


def test_checkout_of_an_unknown_or_someone_elses_order_is_404(client, shop, wechat_buyer, place):
    owner = wechat_buyer()
    stranger = wechat_buyer("李先生")
    order_id = place(owner, [(shop.sku.id, 1)])
    before = snapshot()
    assert _error(client.post("/api/orders/99999/wechat-checkout", headers=owner.headers)) == (
        404,
        "order_not_found",
    )
    assert _error(client.post(f"/api/orders/{order_id}/wechat-checkout", headers=stranger.headers)) == (
        404,
        "order_not_found",
    )
    assert snapshot() == before


def test_checkout_of_an_order_not_pending_is_409(client, shop, wechat_buyer, place):
    from store import services as sales

    buyer = wechat_buyer()
    order_id = place(buyer, [(shop.sku.id, 1)])
    sales.capture_payment(order_id, 1130, "cash", "cash-1")
    before = snapshot()
    response = client.post(f"/api/orders/{order_id}/wechat-checkout", headers=buyer.headers)
    assert _error(response) == (409, "order_not_payable")
    assert response.json["error"]["details"] == {"order_id": order_id, "status": "paid"}
    assert snapshot() == before


def test_checkout_needs_a_customer_login(client, shop, wechat_buyer, place, make_user, login):
    buyer = wechat_buyer()
    order_id = place(buyer, [(shop.sku.id, 1)])
    staff = login(make_user("staff"))
    before = snapshot()
    assert client.post(f"/api/orders/{order_id}/wechat-checkout").status_code == 401
    assert _error(client.post(f"/api/orders/{order_id}/wechat-checkout", headers=staff)) == (403, "forbidden")
    assert snapshot() == before


def test_refunds_that_cannot_be_are_409_and_change_nothing(
    client, shop, wechat_buyer, place, wechat_sandbox, make_user, login
):
    from store import services as sales

    sb = wechat_sandbox
    staff = {**login(make_user("staff"))}
    buyer = wechat_buyer()
    cash_order = place(buyer, [(shop.sku.id, 1)], key="cash")
    sales.capture_payment(cash_order, 1130, "cash", "cash-2")
    pending_order = place(buyer, [(shop.sku2.id, 1)], key="pending")
    paid_order = place(buyer, [(shop.sku2.id, 2)], key="paid")
    checkout = client.post(f"/api/orders/{paid_order}/wechat-checkout", headers=buyer.headers).json
    sb.approve(checkout["request_payment"]["package"][10:], buyer.openid)
    sb.deliver_due()

    before = snapshot()
    cases = [
        (99999, {"amount_fen": 1}, (404, "order_not_found")),
        (cash_order, {"amount_fen": 100}, (409, "no_wechat_payment")),
        (pending_order, {}, (409, "no_wechat_payment")),
        (paid_order, {"amount_fen": 1131}, (409, "refund_exceeds_paid")),
        (paid_order, {"amount_fen": 0}, (422, "invalid_amount")),
        (paid_order, {"amount_fen": -5}, (422, "invalid_amount")),
    ]
    for i, (order_id, body, expected) in enumerate(cases):
        response = client.post(
            f"/api/orders/{order_id}/wechat-refunds",
            json=body,
            headers={**staff, "Idempotency-Key": f"bad-{i}"},
        )
        assert _error(response) == expected, (order_id, body)
    customer_try = client.post(
        f"/api/orders/{paid_order}/wechat-refunds",
        json={"amount_fen": 1},
        headers={**buyer.headers, "Idempotency-Key": "cust"},
    )
    assert _error(customer_try) == (403, "forbidden")
    assert snapshot() == before


def test_wechat_money_never_enters_or_leaves_by_hand(
    client, shop, wechat_buyer, place, wechat_sandbox, make_user, login
):
    """A WeChat-paid order is refunded only through WeChat, and staff cannot key in a WeChat receipt:
    every 1012 movement must have a WeChat transaction behind it for reconciliation."""
    from backend.kernel.models import Order

    buyer = wechat_buyer()
    order_id = place(buyer, [(shop.sku.id, 1)])
    checkout = client.post(f"/api/orders/{order_id}/wechat-checkout", headers=buyer.headers).json
    wechat_sandbox.approve(checkout["request_payment"]["package"][len("prepay_id=") :], buyer.openid)
    wechat_sandbox.deliver_due()
    assert Order.get_by_id(order_id).status == "paid"

    staff = {**login(make_user("staff")), "Idempotency-Key": "by-hand"}
    before = snapshot()
    response = client.post(f"/api/orders/{order_id}/refunds", json={"amount_fen": 100}, headers=staff)
    assert (response.status_code, response.json["error"]["code"]) == (409, "refund_through_wechat")
    keyed = client.post(
        "/api/collections",
        json={"customer_id": Order.get_by_id(order_id).customer_id, "amount_fen": 100, "method": "wechat"},
        headers={**staff, "Idempotency-Key": "keyed-wechat"},
    )
    assert (keyed.status_code, keyed.json["error"]["code"]) == (422, "validation_failed")
    assert snapshot() == before
