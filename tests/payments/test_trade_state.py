"""Only a transaction WeChat reports as SUCCESS pays: a genuine notification (or query answer) in any
other trade state is acknowledged and changes nothing."""

from __future__ import annotations

from typing import Any

import pytest

from tests.payments.conftest import checks_clean, snapshot

NOT_PAID = ("NOTPAY", "CLOSED", "REVOKED", "PAYERROR", "USERPAYING", "REFUND")


def _checkout(client: Any, buyer: Any, order_id: int) -> tuple[str, str]:
    response = client.post(f"/api/orders/{order_id}/wechat-checkout", headers=buyer.headers)
    assert response.status_code == 200, response.json
    return response.json["payment"]["out_trade_no"], response.json["request_payment"]["package"][10:]


def _without_notes(state: dict[str, Any]) -> dict[str, Any]:
    return {k: v for k, v in state.items() if k != "WechatNotification"}


def test_a_notification_in_any_other_trade_state_is_acknowledged_and_pays_nothing(
    client, shop, wechat_buyer, place, wechat_sandbox
):
    from backend.kernel.models import Order
    from payments.models import PaymentRecord, WechatNotification

    sb = wechat_sandbox
    buyer = wechat_buyer()
    order_id = place(buyer, [(shop.sku.id, 2)])
    out_trade_no, prepay_id = _checkout(client, buyer, order_id)
    before = snapshot()

    for trade_state in NOT_PAID:
        sent = sb.notify_trade_state(out_trade_no, trade_state)
        assert sent.resource["trade_state"] == trade_state and sent.resource["transaction_id"]
        attempts = [a for a in sb.deliver_due() if a.notification_id == sent.id]
        # Acknowledged at once (204), so WeChat does not resend it for a day...
        assert [(a.kind, a.status_code) for a in attempts] == [("genuine", 204)]
        assert sb.state.notifications_for(out_trade_no)[-1].status == "delivered"
    # ...and nothing moved: no payment, no money, no journal entry, no stock issued.
    assert _without_notes(snapshot()) == _without_notes(before)
    assert Order.get_by_id(order_id).status == "pending_payment"
    assert PaymentRecord.get(PaymentRecord.out_trade_no == out_trade_no).status == "pending"
    notes = WechatNotification.select().where(WechatNotification.out_trade_no == out_trade_no)
    assert sorted(n.outcome for n in notes) == ["not_success"] * len(NOT_PAID)

    # The real payment still pays, once.
    sb.approve(prepay_id, buyer.openid)
    assert [a.status_code for a in sb.deliver_due() if a.out_trade_no == out_trade_no] == [204]
    order = Order.get_by_id(order_id)
    assert (order.status, order.paid_fen) == ("paid", 2260)
    assert checks_clean() == []


@pytest.mark.parametrize("trade_state", ["REFUND", "USERPAYING"])
def test_the_query_job_captures_only_success(client, shop, wechat_buyer, place, wechat_sandbox, trade_state):
    """A lost notification, then WeChat's query reports a state other than SUCCESS: nothing is captured."""
    from backend import clock, wiring
    from backend.kernel.models import Order
    from payments.models import PaymentRecord

    sb = wechat_sandbox
    buyer = wechat_buyer()
    order_id = place(buyer, [(shop.sku2.id, 1)])
    out_trade_no, prepay_id = _checkout(client, buyer, order_id)
    sb.inject_fault("lose", out_trade_no)
    sb.approve(prepay_id, buyer.openid)
    sb.deliver_due()
    # At WeChat the payment was then refunded outside yecai (or the payer is still typing a password).
    with sb.state.lock:
        sb.state.orders[out_trade_no].trade_state = trade_state
    before = snapshot()

    clock.advance(61)
    wiring.run_periodic("payments.settle_pending")
    assert Order.get_by_id(order_id).status == "pending_payment"
    record = PaymentRecord.get(PaymentRecord.out_trade_no == out_trade_no)
    assert record.transaction_id in (None, "")
    after = snapshot()
    if trade_state == "USERPAYING":  # still open: asked again on the next run
        assert after == before
    else:  # refunded at WeChat: closed as failed, for a person to check against the bill
        assert record.status == "failed" and "REFUND" in record.last_error
        assert {k: v for k, v in after.items() if k != "payments"} == {
            k: v for k, v in before.items() if k != "payments"
        }
    assert checks_clean() == []
