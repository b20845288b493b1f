"""YECAI_LATE_PAYMENT_POLICY=reserve_again: money for an order cancelled unpaid takes the order back
when its stock is still there, and is refunded when it is not."""

from __future__ import annotations

import pytest

from tests.payments.conftest import cancel_before_wechat_hears, checks_clean, order_entries
from tests.payments.test_settlement import _checkout


@pytest.fixture
def settings(settings):
    return settings.with_overrides(late_payment_policy="reserve_again")


@pytest.mark.parametrize("stock_left", [True, False], ids=["stock-there", "stock-gone"])
def test_with_reserve_again_a_late_payment_reopens_the_order_if_the_stock_is_still_there(
    stock_left, client, shop, wechat_buyer, place, wechat_sandbox, drain_jobs
):
    from backend.inventory.models import StockLevel
    from backend.inventory.services import available
    from backend.kernel.models import Order
    from payments.models import PaymentRecord, RefundRecord
    from store import services as sales

    buyer = wechat_buyer()
    order_id = place(buyer, [(shop.sku.id, 3)])
    out_trade_no, prepay_id = _checkout(client, buyer, order_id)
    cancel_before_wechat_hears(order_id)
    if not stock_left:  # someone else buys 8 of the 10 meanwhile
        sales.counter_cash_sale(None, [(shop.sku.id, 8)], reference="walk-in")
    wechat_sandbox.approve(prepay_id, buyer.openid)
    assert [a.status_code for a in wechat_sandbox.deliver_due() if a.out_trade_no == out_trade_no] == [204]
    drain_jobs()

    record = PaymentRecord.get(PaymentRecord.out_trade_no == out_trade_no)
    order = Order.get_by_id(order_id)
    level = StockLevel.get(StockLevel.sku == shop.sku.id)
    if stock_left:
        assert (record.outcome, order.status, order.paid_fen) == ("captured", "paid", 3390)
        assert (level.on_hand, level.reserved) == (10, 3)
        assert order_entries(order_id) == [
            ("order.paid", [("1012", 3390, 0), ("5001", 0, 3000), ("2221", 0, 390)])
        ]
        assert RefundRecord.select().count() == 0
    else:
        assert (record.outcome, order.status, order.paid_fen) == ("late_refund", "cancelled", 0)
        assert available(shop.sku.id, shop.warehouse.id) == 2
        (refund,) = RefundRecord.select()
        assert (refund.reason, refund.amount_fen) == ("late_payment", 3390)
        # Finish it now: the sandbox is shared, and a refund left pending would land in a later day's bill.
        wechat_sandbox.complete_refund(refund.out_refund_no)
        wechat_sandbox.deliver_due()
        assert RefundRecord.get_by_id(refund.id).status == "succeeded"
    assert checks_clean() == []
