"""WeChat's at-least-once delivery, forgeries and tampered amounts: money is applied exactly once."""

from __future__ import annotations

import threading
from typing import Any

import requests

from payments.sandbox.signing import signature_headers
from payments.wechat import NOTIFY_PATH
from tests.payments.conftest import checks_clean, order_entries, snapshot


def _checkout(client: Any, buyer: Any, order_id: int) -> dict[str, Any]:
    response = client.post(f"/api/orders/{order_id}/wechat-checkout", headers=buyer.headers)
    assert response.status_code == 200, response.json
    return response.json


def _post_all(url: str, sends: list[tuple[str, dict[str, str]]], concurrent: bool) -> list[int]:
    """POST every (body, headers); with `concurrent`, all threads start at once behind a barrier."""
    codes: list[int] = [0] * len(sends)

    def post(i: int, body: str, headers: dict[str, str], barrier: threading.Barrier | None) -> None:
        if barrier is not None:
            barrier.wait()
        codes[i] = requests.post(url, data=body.encode(), headers=headers, timeout=10).status_code

    if not concurrent:
        for i, (body, headers) in enumerate(sends):
            post(i, body, headers, None)
        return codes
    barrier = threading.Barrier(len(sends))
    threads = [threading.Thread(target=post, args=(i, b, h, barrier)) for i, (b, h) in enumerate(sends)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    return codes


def _headers(key: Any, key_id: str, body: str) -> dict[str, str]:
    return {**signature_headers(key, key_id, body), "Content-Type": "application/json"}


def test_one_payment_from_sixteen_deliveries_with_forged_and_wrong_amount_copies(
    client, shop, wechat_buyer, place, wechat_sandbox, live, db_kind
):
    from backend.kernel.models import Order
    from backend.receivables.models import Payment
    from payments.models import PaymentRecord, WechatNotification

    sb = wechat_sandbox
    buyer = wechat_buyer()
    order_id = place(buyer, [(shop.sku.id, 2)])
    checkout = _checkout(client, buyer, order_id)
    out_trade_no = checkout["payment"]["out_trade_no"]
    prepay_id = checkout["request_payment"]["package"].removeprefix("prepay_id=")
    concurrent = db_kind == "pg"

    # First round from the sandbox: the genuine message, 3 more copies (at once on PostgreSQL),
    # a forged copy and two correctly signed copies with a tampered amount.
    sb.inject_fault("duplicate", out_trade_no, copies=4, concurrent=concurrent)
    sb.inject_fault("forged", out_trade_no)
    sb.inject_fault("wrong_amount", out_trade_no, total=1)
    sb.inject_fault("wrong_amount", out_trade_no, total=2259)
    sb.approve(prepay_id, buyer.openid)
    first = sb.deliver_due()
    kinds = sorted((a.kind, a.status_code) for a in first if a.out_trade_no == out_trade_no)
    assert kinds == [
        ("duplicate", 204),
        ("duplicate", 204),
        ("duplicate", 204),
        ("forged", 401),
        ("genuine", 204),
        ("wrong_amount", 400),
        ("wrong_amount", 400),
    ]

    # WeChat's 15 retries would re-send the same body, freshly signed: replay the remaining 12 of
    # the 16 deliveries ourselves, mixed with more forgeries, all at once on PostgreSQL.
    (notification,) = sb.state.notifications_for(out_trade_no, "TRANSACTION.SUCCESS")
    key_id = sb.credentials.wechatpay_public_key_id
    genuine = [(notification.body, _headers(sb.state.wechatpay_private_key, key_id, notification.body))] * 12
    forged = [(notification.body, _headers(sb.state.forger_key, key_id, notification.body))] * 3
    tampered_body = notification.body.replace('"summary":"支付成功"', '"summary":"x"')
    tampered = [(tampered_body, _headers(sb.state.wechatpay_private_key, key_id, notification.body))] * 2
    codes = _post_all(live + NOTIFY_PATH, genuine + forged + tampered, concurrent)
    assert codes == [204] * 12 + [401] * 3 + [401] * 2

    transaction_id = sb.state.orders[out_trade_no].transaction_id
    order = Order.get_by_id(order_id)
    assert (order.status, order.paid_fen, order.total_fen) == ("paid", 2260, 2260)
    record = PaymentRecord.get(PaymentRecord.out_trade_no == out_trade_no)
    assert (record.status, record.outcome, record.transaction_id, record.amount_fen) == (
        "succeeded",
        "captured",
        transaction_id,
        2260,
    )
    money = [
        (p.reference, p.direction, p.method, p.amount_fen)
        for p in Payment.select().where(Payment.order == order_id)
    ]
    assert money == [(transaction_id, "in", "wechat", 2260)]
    assert order_entries(order_id) == [
        ("order.paid", [("1012", 2260, 0), ("5001", 0, 2000), ("2221", 0, 260)])
    ]
    notes = sorted(
        (n.outcome, n.deliveries, n.amount_fen)
        for n in WechatNotification.select().where(WechatNotification.out_trade_no == out_trade_no)
    )
    assert notes == [("applied", 16, 2260), ("refused_amount", 1, 1), ("refused_amount", 1, 2259)]
    assert checks_clean() == []


def test_a_forged_notification_is_401_and_changes_nothing(
    client, shop, wechat_buyer, place, wechat_sandbox, live
):
    sb = wechat_sandbox
    buyer = wechat_buyer()
    order_id = place(buyer, [(shop.sku.id, 1)])
    out_trade_no = _checkout(client, buyer, order_id)["payment"]["out_trade_no"]
    sb.inject_fault("lose", out_trade_no)  # only the forgery below ever reaches us
    prepay_id = sb.state.orders[out_trade_no].prepay_id
    sb.approve(prepay_id, buyer.openid)
    sb.deliver_due()
    (notification,) = sb.state.notifications_for(out_trade_no, "TRANSACTION.SUCCESS")
    before = snapshot()
    headers = _headers(sb.state.forger_key, sb.credentials.wechatpay_public_key_id, notification.body)
    response = requests.post(live + NOTIFY_PATH, data=notification.body.encode(), headers=headers, timeout=10)
    assert response.status_code == 401
    assert response.json()["code"] == "FAIL"
    unsigned = requests.post(live + NOTIFY_PATH, data=notification.body.encode(), timeout=10)
    assert unsigned.status_code == 401
    assert snapshot() == before


def test_a_wrong_amount_is_refused_and_changes_nothing_but_the_audit_row(
    client, shop, wechat_buyer, place, wechat_sandbox, live
):
    import copy
    import json
    import uuid

    from payments.models import WechatNotification
    from payments.sandbox.signing import encrypt_resource

    sb = wechat_sandbox
    buyer = wechat_buyer()
    order_id = place(buyer, [(shop.sku.id, 1)])
    out_trade_no = _checkout(client, buyer, order_id)["payment"]["out_trade_no"]
    sb.inject_fault("lose", out_trade_no)
    sb.approve(sb.state.orders[out_trade_no].prepay_id, buyer.openid)
    sb.deliver_due()
    (notification,) = sb.state.notifications_for(out_trade_no, "TRANSACTION.SUCCESS")
    resource = copy.deepcopy(notification.resource)
    resource["amount"]["total"] = resource["amount"]["payer_total"] = 113
    body = json.dumps(
        {
            "id": str(uuid.uuid4()),
            "create_time": "2026-01-01T00:00:00+08:00",
            "resource_type": "encrypt-resource",
            "event_type": "TRANSACTION.SUCCESS",
            "summary": "支付成功",
            "resource": encrypt_resource(sb.credentials.apiv3_key, resource, "transaction"),
        }
    )
    before = snapshot()
    headers = _headers(sb.state.wechatpay_private_key, sb.credentials.wechatpay_public_key_id, body)
    response = requests.post(live + NOTIFY_PATH, data=body.encode(), headers=headers, timeout=10)
    assert response.status_code == 400
    assert response.json()["code"] == "FAIL"
    after = snapshot()
    assert after.pop("WechatNotification") == before.pop("WechatNotification") + 1
    assert after == before
    (note,) = WechatNotification.select().where(WechatNotification.out_trade_no == out_trade_no)
    assert (note.outcome, note.amount_fen) == ("refused_amount", 113)


def test_a_refund_notification_delivered_16_times_refunds_once(
    client, shop, wechat_buyer, place, wechat_sandbox, make_user, login, drain_jobs, db_kind
):
    from backend.kernel.models import Order
    from payments.models import RefundRecord, WechatNotification

    sb = wechat_sandbox
    buyer = wechat_buyer()
    order_id = place(buyer, [(shop.sku.id, 1)])
    checkout = _checkout(client, buyer, order_id)
    out_trade_no = checkout["payment"]["out_trade_no"]
    sb.approve(checkout["request_payment"]["package"][10:], buyer.openid)
    sb.deliver_due()
    staff = login(make_user("staff"))
    created = client.post(
        f"/api/orders/{order_id}/wechat-refunds",
        json={"amount_fen": 500},
        headers={**staff, "Idempotency-Key": "r16"},
    )
    assert created.status_code == 201, created.json
    drain_jobs()
    for kind, options in (
        ("duplicate", {"copies": 16, "concurrent": db_kind == "pg"}),
        ("forged", {}),
        ("wrong_amount", {"total": 1}),
    ):
        sb.inject_fault(kind, out_trade_no, event_type="REFUND.SUCCESS", **options)
    sb.complete_refund(created.json["out_refund_no"])
    attempts = [a for a in sb.deliver_due() if a.out_trade_no == out_trade_no]
    assert sorted((a.kind, a.status_code) for a in attempts) == sorted(
        [("genuine", 204)] + [("duplicate", 204)] * 15 + [("forged", 401), ("wrong_amount", 400)]
    )
    order = Order.get_by_id(order_id)
    assert (order.status, order.refunded_fen, order.refunded_vat_fen) == ("partially_refunded", 500, 58)
    assert order_entries(order_id)[1:] == [
        ("order.refunded", [("5001", 442, 0), ("2221", 58, 0), ("1012", 0, 500)])
    ]
    assert RefundRecord.get_by_id(created.json["id"]).status == "succeeded"
    notes = sorted(
        (n.event_type, n.outcome, n.deliveries)
        for n in WechatNotification.select().where(WechatNotification.out_trade_no == out_trade_no)
    )
    assert notes == [
        ("REFUND.SUCCESS", "applied", 16),
        ("REFUND.SUCCESS", "refused_amount", 1),
        ("TRANSACTION.SUCCESS", "applied", 1),
    ]
    assert checks_clean() == []
