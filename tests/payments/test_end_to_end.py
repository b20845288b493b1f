"""From wx.login to a refunded order, over HTTP, with the WeChat sandbox as payer and notifier."""

from __future__ import annotations

import base64

from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import padding
from cryptography.hazmat.primitives.serialization import load_pem_public_key

from tests.payments.conftest import checks_clean, order_entries, snapshot


def _verify_pay_sign(sandbox, params) -> None:
    message = f"{params['appId']}\n{params['timeStamp']}\n{params['nonceStr']}\n{params['package']}\n"
    key = load_pem_public_key(sandbox.credentials.merchant_public_key_pem.encode())
    key.verify(base64.b64decode(params["paySign"]), message.encode(), padding.PKCS1v15(), hashes.SHA256())


def test_pay_and_refund_in_two_parts_through_http_and_the_sandbox(
    client, shop, wechat_buyer, place, wechat_sandbox, make_user, login, drain_jobs
):
    from backend.kernel.models import Order
    from payments.models import PaymentRecord, RefundRecord

    sb = wechat_sandbox
    buyer = wechat_buyer()
    order_id = place(buyer, [(shop.sku.id, 2)])

    first = client.post(f"/api/orders/{order_id}/wechat-checkout", headers=buyer.headers)
    again = client.post(f"/api/orders/{order_id}/wechat-checkout", headers=buyer.headers)
    assert first.status_code == again.status_code == 200
    params = first.json["request_payment"]
    assert params["appId"] == sb.credentials.appid
    assert params["signType"] == "RSA"
    assert params["package"] == again.json["request_payment"]["package"]  # the same prepay
    assert first.json["payment"]["id"] == again.json["payment"]["id"]
    assert (first.json["payment"]["amount_fen"], first.json["payment"]["status"]) == (2260, "pending")
    _verify_pay_sign(sb, params)
    _verify_pay_sign(sb, again.json["request_payment"])
    out_trade_no = first.json["payment"]["out_trade_no"]
    wx_order = sb.state.orders[out_trade_no]
    assert (wx_order.trade_type, wx_order.total, wx_order.payer_openid) == ("JSAPI", 2260, buyer.openid)

    sb.approve(params["package"].removeprefix("prepay_id="), buyer.openid)
    delivered = sb.deliver_due()
    assert [(a.kind, a.status_code) for a in delivered if a.out_trade_no == out_trade_no] == [
        ("genuine", 204)
    ]
    order = Order.get_by_id(order_id)
    assert (order.status, order.paid_fen) == ("paid", 2260)
    assert order_entries(order_id) == [
        ("order.paid", [("1012", 2260, 0), ("5001", 0, 2000), ("2221", 0, 260)])
    ]
    mine = client.get(f"/api/orders/{order_id}", headers=buyer.headers)
    assert (mine.json["status"], mine.json["paid_fen"]) == ("paid", 2260)

    staff = login(make_user("staff"))
    part = client.post(
        f"/api/orders/{order_id}/wechat-refunds",
        json={"amount_fen": 1000},
        headers={**staff, "Idempotency-Key": "refund-part-1"},
    )
    assert part.status_code == 201, part.json
    assert (part.json["amount_fen"], part.json["reason"]) == (1000, "order")

    # Too much while the first is in flight: 1261 > 2260 - 1000. Nothing changes.
    before = snapshot()
    too_much = client.post(
        f"/api/orders/{order_id}/wechat-refunds",
        json={"amount_fen": 1261},
        headers={**staff, "Idempotency-Key": "refund-too-much"},
    )
    assert too_much.status_code == 409
    assert too_much.json["error"]["code"] == "refund_exceeds_paid"
    assert too_much.json["error"]["details"] == {"amount_fen": 1261, "refundable_fen": 1260}
    assert snapshot() == before

    drain_jobs()  # the outbox job asks WeChat for the refund
    refund = RefundRecord.get_by_id(part.json["id"])
    assert refund.status == "processing"
    assert sb.state.refunds[refund.out_refund_no].refund == 1000
    sb.complete_refund(refund.out_refund_no)
    delivered = sb.deliver_due()
    assert [(a.event_type, a.status_code) for a in delivered if a.out_trade_no == out_trade_no] == [
        ("REFUND.SUCCESS", 204)
    ]
    order = Order.get_by_id(order_id)
    assert (order.status, order.refunded_fen, order.refunded_vat_fen) == ("partially_refunded", 1000, 115)

    rest = client.post(
        f"/api/orders/{order_id}/wechat-refunds", json={}, headers={**staff, "Idempotency-Key": "refund-rest"}
    )
    assert rest.status_code == 201, rest.json
    assert rest.json["amount_fen"] == 1260
    drain_jobs()
    sb.complete_refund(rest.json["out_refund_no"])
    assert [a.status_code for a in sb.deliver_due() if a.out_trade_no == out_trade_no] == [204]

    order = Order.get_by_id(order_id)
    assert (order.status, order.paid_fen, order.refunded_fen, order.refunded_vat_fen) == (
        "refunded",
        2260,
        2260,
        260,
    )
    assert order_entries(order_id) == [
        ("order.paid", [("1012", 2260, 0), ("5001", 0, 2000), ("2221", 0, 260)]),
        ("order.refunded", [("5001", 885, 0), ("2221", 115, 0), ("1012", 0, 1000)]),
        ("order.refunded", [("5001", 1115, 0), ("2221", 145, 0), ("1012", 0, 1260)]),
    ]
    record = PaymentRecord.get(PaymentRecord.out_trade_no == out_trade_no)
    assert (record.status, record.refunded_fen) == ("succeeded", 2260)
    assert sorted((r.amount_fen, r.status) for r in RefundRecord.select()) == [
        (1000, "succeeded"),
        (1260, "succeeded"),
    ]
    assert checks_clean() == []
