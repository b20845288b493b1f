"""A bug during a WeChat capture is not a refusal: nothing is held or refunded, the notification
answers an error, and WeChat's next delivery captures the money once the bug is gone."""

from __future__ import annotations

from tests.payments.conftest import checks_clean, order_entries, snapshot


def test_a_bug_during_capture_holds_and_refunds_nothing_and_wechat_retries(
    client, shop, wechat_buyer, place, wechat_sandbox, monkeypatch
):
    from backend.kernel.models import Order
    from backend.ledger.errors import UnbalancedEntry
    from payments.models import PaymentRecord
    from store import services as sales

    sb = wechat_sandbox
    buyer = wechat_buyer()
    order_id = place(buyer, [(shop.sku2.id, 1)])
    started = client.post(f"/api/orders/{order_id}/wechat-checkout", headers=buyer.headers)
    assert started.status_code == 200, started.json
    out_trade_no = started.json["payment"]["out_trade_no"]
    sb.approve(started.json["request_payment"]["package"].removeprefix("prepay_id="), buyer.openid)
    before = snapshot()

    def broken(*args, **kwargs):
        raise UnbalancedEntry(details={"debit_fen": 565, "credit_fen": 500})

    monkeypatch.setattr(sales, "post_entry", broken)
    attempts = [a for a in sb.deliver_due() if a.out_trade_no == out_trade_no]
    assert [a.status_code for a in attempts] == [500]
    assert snapshot() == before  # no hold (2203), no refund record, no notification row
    record = PaymentRecord.get(PaymentRecord.out_trade_no == out_trade_no)
    assert (record.status, record.outcome, record.transaction_id) == ("pending", "", None)

    monkeypatch.undo()
    sb.advance(15)  # WeChat's first retry
    assert [a.status_code for a in sb.deliver_due() if a.out_trade_no == out_trade_no] == [204]
    order = Order.get_by_id(order_id)
    assert (order.status, order.paid_fen) == ("paid", 565)
    record = PaymentRecord.get_by_id(record.id)
    assert (record.status, record.outcome) == ("succeeded", "captured")
    assert order_entries(order_id) == [("order.paid", [("1012", 565, 0), ("5001", 0, 500), ("2221", 0, 65)])]
    assert checks_clean() == []
