"""Unpaid orders cancelled by the scheduled job on a controllable clock (WeChat closed, stock,
points and coupon back), a payment made in the same instant refunded, shipped orders received
automatically after N days, and subscribe messages to customers who did not subscribe recorded once."""

from __future__ import annotations

from tests.helpers import journal_entries as _entries
from tests.store.conftest import add_to_cart, checks_clean
from tests.store.conftest import checkout as _checkout


def test_unpaid_orders_are_cancelled_after_the_configured_time(
    client, shop, shopper, wechat_sandbox, drain_jobs
):
    from backend import clock, runtime, wiring
    from backend.inventory.models import StockLevel
    from backend.kernel.models import Order
    from payments.models import PaymentRecord
    from store import members

    assert runtime.settings().order_auto_cancel_seconds == 1800  # the documented default
    assert {"store.auto_cancel", "store.auto_receive", "store.points_expiry"} <= {
        p.name for p in wiring.PERIODIC
    }
    buyer = shopper()
    members._points_entry(buyer.customer.id, "earn", 150, None, "seed")
    add_to_cart(client, buyer, shop.sku.id, 3)
    body = _checkout(client, buyer, "c1", points=150)
    order_id, out_trade_no = body["order"]["id"], body["payment"]["out_trade_no"]
    assert body["order"]["total_fen"] == 3240
    assert StockLevel.get(StockLevel.sku == shop.sku.id).reserved == 3

    clock.advance(1799)
    wiring.run_periodic("store.auto_cancel")
    drain_jobs()
    assert Order.get_by_id(order_id).status == "pending_payment"

    clock.advance(2)
    wiring.run_periodic("store.auto_cancel")
    drain_jobs()
    order = Order.get_by_id(order_id)
    assert (order.status, order.closed_at is not None) == ("cancelled", True)
    assert StockLevel.get(StockLevel.sku == shop.sku.id).reserved == 0
    assert wechat_sandbox.state.orders[out_trade_no].trade_state == "CLOSED"
    assert PaymentRecord.get(PaymentRecord.out_trade_no == out_trade_no).status == "closed"
    assert client.get("/api/me/member", headers=buyer.headers).json["points"] == 150
    wiring.run_periodic("store.auto_cancel")  # again: nothing more
    drain_jobs()
    assert Order.get_by_id(order_id).status == "cancelled"
    assert checks_clean() == []


def test_a_payment_made_as_the_order_is_auto_cancelled_is_refunded(
    client, shop, shopper, wechat_sandbox, drain_jobs
):
    from backend import clock, wiring
    from backend.kernel.models import Order
    from backend.ledger.services import account_balance
    from payments.models import PaymentRecord, RefundRecord

    sb = wechat_sandbox
    buyer = shopper()
    add_to_cart(client, buyer, shop.sku.id, 1)
    body = _checkout(client, buyer, "c1")
    order_id, out_trade_no = body["order"]["id"], body["payment"]["out_trade_no"]
    sb.inject_fault("lose", out_trade_no)  # paid, but the notification is lost on the way
    sb.approve(body["request_payment"]["package"].removeprefix("prepay_id="), buyer.openid)

    clock.advance(1801)
    wiring.run_periodic("store.auto_cancel")
    drain_jobs()  # close -> ORDERPAID -> query -> held in 2203 and refunded
    drain_jobs()

    assert Order.get_by_id(order_id).status == "cancelled"
    record = PaymentRecord.get(PaymentRecord.out_trade_no == out_trade_no)
    assert (record.status, record.outcome) == ("succeeded", "late_refund")
    (refund,) = RefundRecord.select().where(RefundRecord.payment == record.id)
    assert (refund.reason, refund.amount_fen, refund.status) == ("late_payment", 1130, "processing")
    assert _entries("payment.late") == [[("1012", 1130, 0), ("2203", 0, 1130)]]
    sb.complete_refund(refund.out_refund_no)
    sb.deliver_due()
    assert RefundRecord.get_by_id(refund.id).status == "succeeded"
    assert _entries("payment.late_refunded") == [[("2203", 1130, 0), ("1012", 0, 1130)]]
    assert (account_balance("2203"), account_balance("1012")) == (0, 0)
    assert checks_clean() == []


def test_shipped_orders_are_received_automatically_and_unsubscribed_customers_are_not_retried(
    client, shop, shopper, wechat_sandbox, drain_jobs
):
    from backend import clock, runtime, wiring
    from backend.jobs.models import OutboxMessage
    from backend.kernel.models import Order
    from store.shop_models import MessageLog, Shipment

    sb = wechat_sandbox
    buyer = shopper()
    add_to_cart(client, buyer, shop.sku2.id, 2)
    body = _checkout(client, buyer, "c1")
    order_id = body["order"]["id"]
    sb.approve(body["request_payment"]["package"].removeprefix("prepay_id="), buyer.openid)
    sb.deliver_due()
    assert Order.get_by_id(order_id).status == "paid"

    # Not subscribed to the template: WeChat answers 43101, recorded once, the job is done.
    shipped = client.post(
        f"/api/shop/orders/{order_id}/ship",
        json={"carrier": "中通", "tracking_no": "ZT778899"},
        headers=shop.staff,
    )
    assert shipped.status_code == 200, shipped.json
    drain_jobs()
    assert [(m.status, m.errcode) for m in MessageLog.select()] == [("refused", 43101)]
    assert [m.touser for m in sb.state.sent_messages if m.touser == buyer.openid] == []
    (job,) = OutboxMessage.select().where(OutboxMessage.job == "store.notify_shipped")
    assert (job.status, job.attempts) == ("done", 1)

    again = client.post(
        f"/api/shop/orders/{order_id}/ship",
        json={"carrier": "中通", "tracking_no": "ZT778899"},
        headers=shop.staff,
    )
    assert (again.status_code, again.json["error"]["code"]) == (409, "invalid_transition")

    days = runtime.settings().order_auto_receive_days
    assert days == 7  # the documented default
    clock.advance(days * 86400 - 60)
    wiring.run_periodic("store.auto_receive")
    assert Order.get_by_id(order_id).status == "shipped"
    clock.advance(120)
    wiring.run_periodic("store.auto_receive")
    assert Order.get_by_id(order_id).status == "completed"
    shipment = Shipment.get(Shipment.order == order_id)
    assert (shipment.received_by, shipment.carrier, shipment.tracking_no) == ("auto", "中通", "ZT778899")
    assert checks_clean() == []
