"""From WeChat login to a received order over HTTP and the sandbox: browse, cart, checkout with
points, pay, notification, ship (subscribe message), receive; every ledger checked to the fen."""

from __future__ import annotations

from tests.payments.conftest import order_entries
from tests.store.conftest import add_to_cart, checks_clean


def test_login_browse_cart_checkout_with_points_pay_ship_receive(
    client, shop, shopper, wechat_sandbox, drain_jobs
):
    from backend.inventory.models import StockLevel, StockMove
    from backend.kernel.models import Order, OrderLine
    from backend.receivables.models import ArEntry, Invoice
    from store import members
    from store.shop_models import MessageLog, PointsEntry

    sb = wechat_sandbox
    buyer = shopper()
    staff = shop.staff
    # A gold member (2 points per yuan, 750ml at 1000) holding 500 points from earlier.
    assert (
        client.patch(
            f"/api/members/{buyer.customer.id}", json={"level_id": shop.gold.id}, headers=staff
        ).status_code
        == 200
    )
    members._points_entry(buyer.customer.id, "earn", 500, None, "earlier-purchases")

    found = client.get("/api/shop/products?q=干红", headers=buyer.headers).json["items"]
    assert [(s["id"], s["your_price_fen"], s["available"]) for s in found[0]["skus"]] == [
        (shop.sku.id, 1000, 10),
        (shop.sku2.id, 565, 5),
    ]
    assert add_to_cart(client, buyer, shop.sku.id, 2).status_code == 201
    assert add_to_cart(client, buyer, shop.sku2.id, 1).json["goods_fen"] == 2565

    placed = client.post(
        "/api/checkout",
        json={"address_id": buyer.address_id, "points": 300},
        headers={**buyer.headers, "Idempotency-Key": "checkout-1"},
    )
    assert placed.status_code == 201, placed.json
    order_id = placed.json["order"]["id"]
    replay = client.post(
        "/api/checkout",
        json={"address_id": buyer.address_id, "points": 300},
        headers={**buyer.headers, "Idempotency-Key": "checkout-1"},
    )
    assert replay.headers.get("Idempotent-Replayed") == "true" and replay.json == placed.json
    body = placed.json
    assert (body["order"]["status"], body["order"]["total_fen"], body["order"]["discount_fen"]) == (
        "pending_payment",
        2265,
        300,
    )
    # 300 fen of points spread over 2000 + 565 by largest remainder: 234 + 66.
    assert [
        (line["unit_price_fen"], line["quantity"], line["discount_fen"], line["total_fen"], line["vat_fen"])
        for line in body["order"]["lines"]
    ] == [
        (1000, 2, 234, 1766, 203),
        (565, 1, 66, 499, 57),
    ]
    assert body["order"]["checkout"] == {
        "ship_to": {
            "name": "王小姐",
            "phone": "13800000001",
            "region": "浙江省杭州市西湖区",
            "detail": "文三路 1 号",
        },
        "goods_fen": 2565,
        "points_used": 300,
        "points_discount_fen": 300,
        "coupon_discount_fen": 0,
        "pay_with": "wechat",
    }
    assert (body["payment"]["amount_fen"], body["payment"]["status"]) == (2265, "pending")
    assert client.get("/api/cart", headers=buyer.headers).json["items"] == []
    assert client.get("/api/me/member", headers=buyer.headers).json["points"] == 200
    assert [(lv.sku_id, lv.on_hand, lv.reserved) for lv in StockLevel.select().order_by(StockLevel.sku)] == [
        (shop.sku.id, 10, 2),
        (shop.sku2.id, 5, 1),
    ]

    prepay_id = body["request_payment"]["package"].removeprefix("prepay_id=")
    sb.approve(prepay_id, buyer.openid)
    out_trade_no = body["payment"]["out_trade_no"]
    assert [(a.kind, a.status_code) for a in sb.deliver_due() if a.out_trade_no == out_trade_no] == [
        ("genuine", 204)
    ]
    order = Order.get_by_id(order_id)
    assert (order.status, order.paid_fen, order.total_fen, order.vat_fen) == ("paid", 2265, 2265, 260)
    # 2265 fen paid = 22 whole yuan at 2 points a yuan.
    assert client.get("/api/me/member", headers=buyer.headers).json["points"] == 244

    sb.subscribe(buyer.openid, "TPL_ORDER_SHIPPED")
    shipped = client.post(
        f"/api/shop/orders/{order_id}/ship",
        json={"carrier": "顺丰", "tracking_no": "SF1234567890"},
        headers=staff,
    )
    assert shipped.status_code == 200, shipped.json
    assert shipped.json["status"] == "shipped"
    drain_jobs()
    (message,) = [m for m in sb.state.sent_messages if m.touser == buyer.openid]
    assert (message.template_id, message.data, message.page) == (
        "TPL_ORDER_SHIPPED",
        {
            "character_string1": {"value": str(order_id)},
            "thing2": {"value": "顺丰"},
            "character_string3": {"value": "SF1234567890"},
        },
        f"pages/order/detail?id={order_id}",
    )
    assert [(m.status, m.template_id) for m in MessageLog.select()] == [("sent", "TPL_ORDER_SHIPPED")]

    received = client.post(f"/api/shop/orders/{order_id}/receive", headers=buyer.headers)
    assert received.status_code == 200, received.json
    assert received.json["status"] == "completed"
    assert received.json["shipment"]["received_by"] == "customer"
    assert received.json["shipment"]["carrier"] == "顺丰"

    assert [
        (m.sku_id, m.kind, m.on_hand_delta, m.reserved_delta, m.value_delta_fen)
        for m in StockMove.select().where(StockMove.order_id == order_id).order_by(StockMove.id)
    ] == [
        (shop.sku.id, "reserve", 0, 2, 0),
        (shop.sku2.id, "reserve", 0, 1, 0),
        (shop.sku.id, "issue", -2, -2, -1400),
        (shop.sku2.id, "issue", -1, -1, -300),
    ]
    invoice = Invoice.get(Invoice.order == order_id)
    assert (invoice.amount_fen, invoice.open_fen) == (2265, 0)
    assert [
        (e.kind, e.amount_fen)
        for e in ArEntry.select().where(ArEntry.invoice == invoice.id).order_by(ArEntry.id)
    ] == [
        ("invoice", 2265),
        ("payment", -2265),
    ]
    assert order_entries(order_id) == [
        ("order.paid", [("1012", 2265, 0), ("5001", 0, 2005), ("2221", 0, 260)]),
        ("order.shipped", [("5401", 1700, 0), ("1405", 0, 1700)]),
    ]
    assert [
        (line.discount_fen, line.total_fen, line.net_fen, line.vat_fen, line.cost_fen)
        for line in OrderLine.select().where(OrderLine.order == order_id).order_by(OrderLine.id)
    ] == [
        (234, 1766, 1563, 203, 1400),
        (66, 499, 442, 57, 300),
    ]
    assert [(p.kind, p.points, p.order_id) for p in PointsEntry.select().order_by(PointsEntry.id)] == [
        ("earn", 500, None),
        ("redeem", -300, order_id),
        ("earn", 44, order_id),
    ]
    history = client.get("/api/me/points", headers=buyer.headers).json["items"]
    assert [(e["kind"], e["points"]) for e in history] == [("earn", 44), ("redeem", -300), ("earn", 500)]
    assert checks_clean() == []
