"""After-sales approval refunds the way the order was paid, by one test of "paid through WeChat"."""

from __future__ import annotations

from tests.payments.conftest import checks_clean, order_entries
from tests.store.conftest import add_to_cart, checkout


def test_a_shop_order_paid_in_cash_at_the_counter_is_refunded_in_cash(
    client, shop, shopper, make_user, login, wechat_sandbox, drain_jobs
):
    """Regression: a shop order the staff took cash for has a (cash) payment record; approving its
    after-sales request used to take that for a WeChat payment and fail with 409 no_wechat_payment."""
    from backend.audit import AuditEntry
    from backend.kernel.models import Order
    from payments.models import PaymentRecord, RefundRecord

    staff = login(make_user("staff"))
    buyer = shopper()
    add_to_cart(client, buyer, shop.sku.id, 2)
    body = checkout(client, buyer, "co-cash")  # a JSAPI prepay is opened, never paid
    order_id = body["order"]["id"]
    paid = client.post(
        f"/api/orders/{order_id}/offline-payments",
        json={"method": "cash", "amount_fen": 2260},
        headers={**staff, "Idempotency-Key": "cash-1"},
    )
    assert paid.status_code == 201, paid.json
    line_id = body["order"]["lines"][0]["id"]
    asked = client.post(
        f"/api/shop/orders/{order_id}/aftersales",
        json={"lines": [{"line_id": line_id, "quantity": 1}], "reason": "多买了"},
        headers={**buyer.headers, "Idempotency-Key": "as-cash"},
    ).json
    assert asked["amount_fen"] == 1130

    approved = client.post(f"/api/aftersales/{asked['id']}/approve", json={}, headers=staff)
    assert approved.status_code == 200, approved.json
    assert approved.json["status"] == "approved"
    drain_jobs()

    order = Order.get_by_id(order_id)
    assert (order.status, order.paid_fen, order.refunded_fen, order.refunded_vat_fen) == (
        "partially_refunded",
        2260,
        1130,
        130,
    )
    assert order_entries(order_id) == [
        ("order.paid", [("1001", 2260, 0), ("5001", 0, 2000), ("2221", 0, 260)]),
        ("order.refunded", [("5001", 1000, 0), ("2221", 130, 0), ("1001", 0, 1130)]),
    ]
    assert RefundRecord.select().count() == 0  # nothing went to WeChat
    assert [(r.method, r.status, r.outcome) for r in PaymentRecord.select().order_by(PaymentRecord.id)] == [
        ("wechat_jsapi", "pending", ""),
        ("cash", "succeeded", "captured"),
    ]
    (audit,) = AuditEntry.select().where(AuditEntry.action == "aftersale.approve")
    assert (audit.target_id, audit.detail) == (
        str(asked["id"]),
        f'{{"amount_fen": 1130, "goods_returned": false, "order_id": {order_id}, "refund": "spine"}}',
    )
    assert checks_clean() == []
