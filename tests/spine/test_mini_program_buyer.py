"""A shopper who logs in with WeChat becomes a member on first use and sees only their own orders."""

from __future__ import annotations

from backend.kernel.models import Customer, Order
from tests.platform.test_errors import assert_error


def wechat_login(client, sandbox) -> dict[str, str]:
    code = sandbox.login_code().code
    response = client.post("/api/auth/wechat-login", json={"code": code})
    assert response.status_code == 200, response.json
    return {"Authorization": f"Bearer {response.json['token']}"}


def test_a_wechat_shopper_orders_as_a_new_member_and_others_cannot_see_it(client, shop, wechat_sandbox):
    alice, bob = wechat_login(client, wechat_sandbox), wechat_login(client, wechat_sandbox)
    members_before = Customer.select().where(Customer.kind == "member").count()
    placed = client.post(
        "/api/orders",
        json={"items": [{"sku_id": shop.sku.id, "quantity": 2}]},
        headers={**alice, "Idempotency-Key": "alice-1"},
    )
    assert placed.status_code == 201, placed.json
    order = Order.get_by_id(placed.json["id"])
    assert (order.channel, order.status, order.total_fen) == ("miniprogram", "pending_payment", 2260)
    assert order.customer.kind == "member" and order.customer.user_id is not None
    assert Customer.select().where(Customer.kind == "member").count() == members_before + 1

    assert client.get(f"/api/orders/{order.id}", headers=alice).status_code == 200
    assert_error(client.get(f"/api/orders/{order.id}", headers=bob), 404, "order_not_found")
    assert client.get("/api/orders", headers=bob).json["items"] == []
    before = Order.get_by_id(order.id).status
    assert_error(client.post(f"/api/orders/{order.id}/cancel", headers=bob), 404, "order_not_found")
    assert Order.get_by_id(order.id).status == before
