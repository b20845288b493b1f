"""Payments whose notification never comes, orders cancelled while a WeChat transaction is open,
and money that arrives for an order already cancelled."""

from __future__ import annotations

import pytest

from tests.helpers import journal_entries as _entries
from tests.payments.conftest import cancel_before_wechat_hears, checks_clean, order_entries


def _checkout(client, buyer, order_id):
    response = client.post(f"/api/orders/{order_id}/wechat-checkout", headers=buyer.headers)
    assert response.status_code == 200, response.json
    return response.json["payment"]["out_trade_no"], response.json["request_payment"]["package"][10:]


def test_a_lost_notification_is_settled_by_the_periodic_query(
    client, shop, wechat_buyer, place, wechat_sandbox
):
    from backend import clock, wiring
    from backend.kernel.models import Order
    from payments.models import PaymentRecord

    sb = wechat_sandbox
    buyer = wechat_buyer()
    order_id = place(buyer, [(shop.sku2.id, 1)])
    out_trade_no, prepay_id = _checkout(client, buyer, order_id)
    sb.inject_fault("lose", out_trade_no)
    sb.approve(prepay_id, buyer.openid)
    assert [a.kind for a in sb.deliver_due() if a.out_trade_no == out_trade_no] == ["lost"]
    assert "payments.settle_pending" in [p.name for p in wiring.PERIODIC]

    wiring.run_periodic("payments.settle_pending")  # too early: WeChat may still be retrying
    assert Order.get_by_id(order_id).status == "pending_payment"

    clock.advance(61)
    wiring.run_periodic("payments.settle_pending")
    order = Order.get_by_id(order_id)
    assert (order.status, order.paid_fen) == ("paid", 565)
    record = PaymentRecord.get(PaymentRecord.out_trade_no == out_trade_no)
    assert (record.status, record.outcome, record.transaction_id) == (
        "succeeded",
        "captured",
        sb.state.orders[out_trade_no].transaction_id,
    )
    assert order_entries(order_id) == [("order.paid", [("1012", 565, 0), ("5001", 0, 500), ("2221", 0, 65)])]
    wiring.run_periodic("payments.settle_pending")  # again: nothing more happens
    assert len(order_entries(order_id)) == 1
    assert checks_clean() == []


def test_cancelling_closes_the_open_wechat_transaction(
    client, shop, wechat_buyer, place, wechat_sandbox, drain_jobs
):
    from backend.inventory.models import StockLevel
    from backend.kernel.models import Order
    from payments.models import PaymentRecord

    sb = wechat_sandbox
    buyer = wechat_buyer()
    order_id = place(buyer, [(shop.sku.id, 3)])
    out_trade_no, _ = _checkout(client, buyer, order_id)
    assert StockLevel.get(StockLevel.sku == shop.sku.id).reserved == 3

    other = wechat_buyer("李先生")
    assert client.post(f"/api/orders/{order_id}/cancel", headers=other.headers).status_code == 404
    assert StockLevel.get(StockLevel.sku == shop.sku.id).reserved == 3
    response = client.post(f"/api/orders/{order_id}/cancel", headers=buyer.headers)
    assert response.status_code == 200, response.json
    drain_jobs()

    assert Order.get_by_id(order_id).status == "cancelled"
    assert StockLevel.get(StockLevel.sku == shop.sku.id).reserved == 0
    assert sb.state.orders[out_trade_no].trade_state == "CLOSED"
    record = PaymentRecord.get(PaymentRecord.out_trade_no == out_trade_no)
    assert record.status == "closed"
    drain_jobs()  # the job again changes nothing
    assert PaymentRecord.get_by_id(record.id).status == "closed"
    again = client.post(f"/api/orders/{order_id}/wechat-checkout", headers=buyer.headers)
    assert (again.status_code, again.json["error"]["code"]) == (409, "order_not_payable")
    assert checks_clean() == []


def test_a_late_payment_for_a_cancelled_order_is_held_and_refunded(
    client, shop, wechat_buyer, place, wechat_sandbox, drain_jobs
):
    from backend.kernel.models import Order
    from backend.ledger.services import account_balance
    from backend.receivables.models import Payment
    from payments.models import PaymentRecord, RefundRecord

    sb = wechat_sandbox
    buyer = wechat_buyer()
    order_id = place(buyer, [(shop.sku.id, 1)])
    out_trade_no, prepay_id = _checkout(client, buyer, order_id)
    cancel_before_wechat_hears(order_id)
    sb.approve(prepay_id, buyer.openid)  # the customer pays anyway
    assert [a.status_code for a in sb.deliver_due() if a.out_trade_no == out_trade_no] == [204]
    drain_jobs()

    record = PaymentRecord.get(PaymentRecord.out_trade_no == out_trade_no)
    assert (record.status, record.outcome) == ("succeeded", "late_refund")
    (refund,) = RefundRecord.select().where(RefundRecord.payment == record.id)
    assert (refund.reason, refund.amount_fen, refund.status) == ("late_payment", 1130, "processing")
    assert _entries("payment.late") == [[("1012", 1130, 0), ("2203", 0, 1130)]]
    assert account_balance("2203") == -1130
    assert checks_clean() == []

    sb.complete_refund(refund.out_refund_no)
    delivered = [(a.event_type, a.status_code) for a in sb.deliver_due() if a.out_trade_no == out_trade_no]
    assert delivered == [("REFUND.SUCCESS", 204)]
    assert RefundRecord.get_by_id(refund.id).status == "succeeded"
    assert _entries("payment.late_refunded") == [[("2203", 1130, 0), ("1012", 0, 1130)]]
    assert (account_balance("2203"), account_balance("1012")) == (0, 0)
    assert PaymentRecord.get_by_id(record.id).refunded_fen == 1130
    assert Order.get_by_id(order_id).status == "cancelled"
    assert Payment.select().where(Payment.order == order_id).count() == 0
    assert order_entries(order_id) == []
    assert checks_clean() == []


@pytest.mark.pg
def test_paid_in_the_instant_of_the_cancel_the_close_job_settles_it_as_late(
    client, shop, wechat_buyer, place, wechat_sandbox, drain_jobs
):
    from backend.ledger.services import account_balance
    from payments.models import PaymentRecord, RefundRecord
    from store import services as sales

    sb = wechat_sandbox
    buyer = wechat_buyer()
    order_id = place(buyer, [(shop.sku.id, 1)])
    out_trade_no, prepay_id = _checkout(client, buyer, order_id)
    sales.cancel_order(order_id)  # the close job waits in the queue...
    sb.inject_fault("lose", out_trade_no)
    sb.approve(prepay_id, buyer.openid)  # ...while the customer pays
    drain_jobs()  # close -> ORDERPAID -> query -> held and refunded

    record = PaymentRecord.get(PaymentRecord.out_trade_no == out_trade_no)
    assert (record.status, record.outcome) == ("succeeded", "late_refund")
    (refund,) = RefundRecord.select().where(RefundRecord.payment == record.id)
    assert (refund.status, refund.amount_fen) == ("processing", 1130)
    assert sb.state.refunds[refund.out_refund_no].refund == 1130
    sb.complete_refund(refund.out_refund_no)
    sb.deliver_due()
    assert RefundRecord.get_by_id(refund.id).status == "succeeded"
    assert (account_balance("2203"), account_balance("1012")) == (0, 0)
    assert checks_clean() == []


def test_an_abandoned_checkout_is_closed_and_a_new_one_starts_afresh(
    client, shop, wechat_buyer, place, wechat_sandbox, drain_jobs
):
    from backend import clock
    from payments.jobs import settle_pending
    from payments.models import PaymentRecord

    sb = wechat_sandbox
    buyer = wechat_buyer()
    order_id = place(buyer, [(shop.sku.id, 1)])
    first, _ = _checkout(client, buyer, order_id)
    clock.advance(3600)
    assert settle_pending() == {
        "payments": 1,
        "refunds": 0,
        "top_ups": 0,
        "settled": 0,
    }  # NOTPAY, still young
    clock.advance(3500)
    assert settle_pending() == {"payments": 1, "refunds": 0, "top_ups": 0, "settled": 1}
    assert PaymentRecord.get(PaymentRecord.out_trade_no == first).status == "closed"
    assert sb.state.orders[first].trade_state == "CLOSED"

    second, prepay_id = _checkout(client, buyer, order_id)
    assert second != first
    sb.approve(prepay_id, buyer.openid)
    sb.deliver_due()
    assert PaymentRecord.get(PaymentRecord.out_trade_no == second).outcome == "captured"
    assert checks_clean() == []


def test_a_checkout_older_than_the_prepay_lifetime_is_replaced(
    client, shop, wechat_buyer, place, wechat_sandbox, drain_jobs
):
    from backend import clock
    from payments.models import PaymentRecord

    sb = wechat_sandbox
    buyer = wechat_buyer()
    order_id = place(buyer, [(shop.sku.id, 1)])
    first, _ = _checkout(client, buyer, order_id)
    clock.advance(7001)
    second, _ = _checkout(client, buyer, order_id)
    drain_jobs()
    assert second != first
    assert PaymentRecord.get(PaymentRecord.out_trade_no == first).status == "closed"
    assert sb.state.orders[first].trade_state == "CLOSED"
    assert PaymentRecord.get(PaymentRecord.out_trade_no == second).status == "pending"
