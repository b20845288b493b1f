"""The path of a sale through the service functions, with exact figures, on SQLite and PostgreSQL."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest

from backend import clock
from backend.inventory.errors import InsufficientStock, InvalidQuantity
from backend.inventory.models import StockLevel, StockMove
from backend.inventory.services import receive_purchase
from backend.jobs.models import OutboxMessage
from backend.kernel.models import Customer, Order, OrderLine
from backend.ledger.models import JournalEntry
from backend.ledger.services import account_balance, entry_lines
from backend.receivables import services as receivables
from backend.receivables.errors import CreditLimitExceeded, PaymentReferenceReused
from backend.receivables.models import ArEntry, Invoice, Payment
from store import catalog, on_account
from store import services as sales
from store.errors import AmountMismatch, InvalidTransition, RefundExceedsPaid, UnknownSku
from tests.spine.conftest import breaks


def level(sku: Any, shop: Any) -> tuple[int, int, int]:
    lv = StockLevel.get((StockLevel.sku == sku.id) & (StockLevel.warehouse == shop.warehouse.id))
    return lv.on_hand, lv.reserved, lv.value_fen


def vouchers(order: Any, event: str) -> list[list[tuple[str, int, int]]]:
    entries = JournalEntry.select().where(
        (JournalEntry.source_type == "order")
        & (JournalEntry.source_id == order.id)
        & (JournalEntry.event == event)
    )
    return [entry_lines(e.id) for e in entries.order_by(JournalEntry.id)]


def test_a_paid_order_of_a_buyer_with_a_login_queues_one_receipt(shop: Any) -> None:
    from backend.auth import services as auth

    user = auth.create_user("customer", display_name="买家")
    buyer = catalog.customer_of_user(user.id)
    order = sales.place_order(buyer.id, [(shop.sku.id, 1)], channel="miniprogram")
    sales.capture_payment(order.id, 1130, "bank_transfer", "BANK-RECEIPT-1")
    sales.capture_payment(order.id, 1130, "bank_transfer", "BANK-RECEIPT-1")  # a repeat queues nothing more
    receipts = OutboxMessage.select().where(OutboxMessage.job == "order.paid_receipt")
    assert [(m.dedupe_key, m.payload) for m in receipts] == [
        (f"order.paid_receipt:{order.id}", f'{{"order_id": {order.id}}}')
    ]


def test_purchase_receipts_keep_a_moving_average_value(shop: Any) -> None:
    assert level(shop.sku, shop) == (10, 0, 7000)
    receive_purchase(shop.sku.id, shop.warehouse.id, 10, 760)
    assert level(shop.sku, shop) == (20, 0, 14600)
    assert account_balance("1405") == 14600 + 1500
    assert account_balance("2202") == -(14600 + 1500)
    assert breaks() == []


def test_a_counter_cash_sale_hands_the_goods_over_in_the_same_event(shop: Any) -> None:
    order = sales.counter_cash_sale(None, [(shop.sku.id, 2)], reference="CASH-1", placed_by=None)
    assert (order.status, order.channel, order.total_fen, order.vat_fen, order.paid_fen) == (
        "shipped",
        "counter",
        2260,
        260,
        2260,
    )
    assert order.shipped_at is not None and order.paid_at is not None
    assert vouchers(order, "order.paid") == [[("1001", 2260, 0), ("5001", 0, 2000), ("2221", 0, 260)]]
    # 7000 fen for 10 units: 2 leave at 1400, in the sale's own transaction.
    assert vouchers(order, "order.shipped") == [[("5401", 1400, 0), ("1405", 0, 1400)]]
    invoice = Invoice.get(Invoice.order == order.id)
    assert (invoice.amount_fen, invoice.open_fen) == (2260, 0)
    assert Customer.get_by_id(order.customer_id).kind == "walk_in"
    assert receivables.balance_of(order.customer_id) == 0
    assert level(shop.sku, shop) == (8, 0, 5600)
    moves = [
        (m.kind, m.on_hand_delta, m.reserved_delta, m.value_delta_fen)
        for m in StockMove.select().where(StockMove.order_id == order.id).order_by(StockMove.id)
    ]
    assert moves == [("issue", -2, 0, -1400)]
    assert [line.cost_fen for line in OrderLine.select().where(OrderLine.order == order.id)] == [1400]
    # A walk-in buyer has nobody to send a receipt to: no outbox row, no job after commit.
    assert OutboxMessage.select().where(OutboxMessage.job == "order.paid_receipt").count() == 0
    with pytest.raises(InvalidTransition):
        sales.fulfil_order(order.id)  # already handed over
    assert sales.complete_order(order.id).status == "completed"
    assert breaks() == []


def test_a_counter_cash_sale_delivered_later_stays_reserved_until_fulfilled(shop: Any) -> None:
    order = sales.counter_cash_sale(None, [(shop.sku.id, 2)], reference="CASH-1", deliver_later=True)
    assert (order.status, order.paid_fen, order.shipped_at) == ("paid", 2260, None)
    assert vouchers(order, "order.paid") == [[("1001", 2260, 0), ("5001", 0, 2000), ("2221", 0, 260)]]
    assert vouchers(order, "order.shipped") == []
    assert level(shop.sku, shop) == (10, 2, 7000)

    shipped = sales.fulfil_order(order.id)
    assert shipped.status == "shipped"
    assert vouchers(order, "order.shipped") == [[("5401", 1400, 0), ("1405", 0, 1400)]]
    assert level(shop.sku, shop) == (8, 0, 5600)
    moves = [
        (m.kind, m.on_hand_delta, m.reserved_delta, m.value_delta_fen)
        for m in StockMove.select().where(StockMove.order_id == order.id).order_by(StockMove.id)
    ]
    assert moves == [("reserve", 0, 2, 0), ("issue", -2, -2, -1400)]
    assert breaks() == []


def test_a_counter_sale_short_of_stock_changes_nothing(shop: Any) -> None:
    before = (level(shop.sku, shop), Order.select().count(), Payment.select().count())
    with pytest.raises(InsufficientStock):
        sales.counter_cash_sale(None, [(shop.sku.id, 11)], reference="SHORT")
    assert (level(shop.sku, shop), Order.select().count(), Payment.select().count()) == before


def test_issue_at_moving_average_hands_out_the_remainder(shop: Any) -> None:
    product = catalog.create_product("散装")
    sku = catalog.create_sku(product.id, name="糖", price_fen=100)
    receive_purchase(sku.id, shop.warehouse.id, 2, 333)
    receive_purchase(sku.id, shop.warehouse.id, 1, 334)  # 3 units worth 1000 fen
    costs = []
    for n in range(3):
        order = sales.counter_cash_sale(None, [(sku.id, 1)], reference=f"R{n}")
        costs.append(vouchers(order, "order.shipped")[0][0][1])
    assert costs == [333, 334, 333]
    assert level(sku, shop) == (0, 0, 0)
    assert breaks() == []


def test_on_account_sale_collect_and_settle(shop: Any) -> None:
    order = sales.sell_on_account(
        shop.distributor.id, [(shop.sku.id, 2), (shop.sku2.id, 1)], channel="distributor"
    )
    # The distributor pays 452 for sku2 (its distributor price): 2260 + 452 = 2712; VAT 260 + 52.
    assert (order.status, order.total_fen, order.vat_fen) == ("on_account", 2712, 312)
    assert vouchers(order, "order.on_account") == [[("1122", 2712, 0), ("5001", 0, 2400), ("2221", 0, 312)]]
    invoice = Invoice.get(Invoice.order == order.id)
    assert (invoice.amount_fen, invoice.open_fen) == (2712, 2712)
    assert invoice.due_on == clock.today() + dt.timedelta(days=30)
    assert receivables.balance_of(shop.distributor.id) == 2712
    assert [i.id for i in receivables.open_items(shop.distributor.id)] == [invoice.id]
    assert account_balance("1122") == 2712

    assert sales.fulfil_order(order.id).status == "shipped"  # on account ships before payment

    on_account.collect(shop.distributor.id, 1000, "cash", "COL-1")
    on_account.collect(shop.distributor.id, 1000, "cash", "COL-1")  # a retry is applied once
    assert Invoice.get_by_id(invoice.id).open_fen == 1712
    assert receivables.balance_of(shop.distributor.id) == 1712
    assert Order.get_by_id(order.id).paid_fen == 1000
    on_account.collect(shop.distributor.id, 1712, "bank_transfer", "COL-2")
    assert Invoice.get_by_id(invoice.id).open_fen == 0
    assert receivables.open_items(shop.distributor.id) == []
    assert account_balance("1122") == 0
    assert (account_balance("1001"), account_balance("1002")) == (1000, 1712)
    assert [
        (e.kind, e.amount_fen)
        for e in ArEntry.select().where(ArEntry.invoice == invoice.id).order_by(ArEntry.id)
    ] == [
        ("invoice", 2712),
        ("payment", -1000),
        ("payment", -1712),
    ]
    assert breaks() == []


def test_collection_allocates_oldest_due_first(shop: Any) -> None:
    first = sales.sell_on_account(shop.distributor.id, [(shop.sku.id, 1)], channel="distributor")
    clock.advance(86400)
    second = sales.sell_on_account(shop.distributor.id, [(shop.sku.id, 1)], channel="distributor")
    on_account.collect(shop.distributor.id, 1500, "bank_transfer", "COL-B")
    assert Invoice.get(Invoice.order == first.id).open_fen == 0
    assert Invoice.get(Invoice.order == second.id).open_fen == 760
    assert account_balance("1002") == 1500
    assert breaks() == []


def test_credit_limit_is_enforced(shop: Any, unchanged: Any) -> None:
    sales.sell_on_account(shop.distributor.id, [(shop.sku.id, 2)], channel="distributor")  # 2260 of 5000
    with unchanged(), pytest.raises(CreditLimitExceeded) as caught:
        sales.sell_on_account(shop.distributor.id, [(shop.sku.id, 3)], channel="distributor")  # +3390
    assert caught.value.status == 409
    assert caught.value.details == {
        "credit_limit_fen": 5000,
        "balance_fen": 2260,
        "credit_fen": 0,
        "requested_fen": 3390,
    }
    with unchanged(), pytest.raises(CreditLimitExceeded):
        sales.sell_on_account(shop.member.id, [(shop.sku.id, 1)], channel="miniprogram")  # no credit at all


def test_capture_is_idempotent_per_reference(shop: Any, unchanged: Any) -> None:
    order = sales.place_order(shop.member.id, [(shop.sku.id, 1)], channel="miniprogram")
    assert order.status == "pending_payment"
    with unchanged(), pytest.raises(AmountMismatch):
        sales.capture_payment(order.id, 1000, "bank_transfer", "BT-1")
    first = sales.capture_payment(order.id, 1130, "bank_transfer", "BT-1")
    again = sales.capture_payment(order.id, 1130, "bank_transfer", "BT-1")
    assert (first.id, first.status, again.status) == (order.id, "paid", "paid")
    assert Payment.select().count() == 1
    assert JournalEntry.select().where(JournalEntry.event == "order.paid").count() == 1
    assert vouchers(order, "order.paid") == [[("1002", 1130, 0), ("5001", 0, 1000), ("2221", 0, 130)]]
    other = sales.place_order(shop.member.id, [(shop.sku.id, 1)], channel="miniprogram")
    with unchanged(), pytest.raises(PaymentReferenceReused):
        sales.capture_payment(other.id, 1130, "bank_transfer", "BT-1")
    with unchanged(), pytest.raises(InvalidTransition):
        sales.capture_payment(order.id, 1130, "bank_transfer", "BT-2")  # already paid under another reference
    assert breaks() == []


def test_cancel_releases_the_reservation(shop: Any, unchanged: Any) -> None:
    order = sales.place_order(shop.member.id, [(shop.sku.id, 3)], channel="miniprogram")
    assert level(shop.sku, shop) == (10, 3, 7000)
    assert sales.cancel_order(order.id).status == "cancelled"
    assert level(shop.sku, shop) == (10, 0, 7000)
    with unchanged(), pytest.raises(InvalidTransition):
        sales.cancel_order(order.id)
    with unchanged(), pytest.raises(InvalidTransition):
        sales.capture_payment(order.id, 3390, "cash", "LATE")
    assert breaks() == []


def test_cancel_on_account_credits_the_invoice(shop: Any) -> None:
    order = sales.sell_on_account(shop.distributor.id, [(shop.sku.id, 1)], channel="distributor")
    sales.cancel_order(order.id)
    assert vouchers(order, "order.cancelled") == [[("5001", 1000, 0), ("2221", 130, 0), ("1122", 0, 1130)]]
    assert receivables.balance_of(shop.distributor.id) == 0
    assert Invoice.get(Invoice.order == order.id).open_fen == 0
    assert level(shop.sku, shop) == (10, 0, 7000)
    assert account_balance("1122") == 0
    assert breaks() == []


def test_full_refund_before_shipping(shop: Any, unchanged: Any) -> None:
    order = sales.counter_cash_sale(shop.member.id, [(shop.sku.id, 2)], reference="C-1", deliver_later=True)
    with unchanged(), pytest.raises(RefundExceedsPaid) as caught:
        sales.refund_order(order.id, 2261, reference="RF-0")
    assert caught.value.details == {"amount_fen": 2261, "refundable_fen": 2260}
    refunded = sales.refund_order(order.id, reference="RF-1")
    assert (refunded.status, refunded.refunded_fen) == ("refunded", 2260)
    assert vouchers(order, "order.refunded") == [[("5001", 2000, 0), ("2221", 260, 0), ("1001", 0, 2260)]]
    assert level(shop.sku, shop) == (10, 0, 7000)
    assert sales.refund_order(order.id, reference="RF-1").status == "refunded"  # replay
    with unchanged(), pytest.raises(InvalidTransition):
        sales.refund_order(order.id, 1, reference="RF-2")
    assert (account_balance("1001"), account_balance("5001"), account_balance("2221")) == (0, 0, 0)
    assert breaks() == []


def test_refund_after_shipping_returns_goods_at_issue_cost(shop: Any) -> None:
    order = sales.counter_cash_sale(None, [(shop.sku.id, 2)], reference="C-2")  # handed over
    receive_purchase(shop.sku.id, shop.warehouse.id, 2, 1000)  # the average moves on: 8@700 + 2@1000
    assert level(shop.sku, shop) == (10, 0, 7600)
    sales.refund_order(order.id, reference="RF-3")
    assert vouchers(order, "order.returned") == [[("1405", 1400, 0), ("5401", 0, 1400)]]
    assert level(shop.sku, shop) == (12, 0, 9000)
    assert account_balance("5401") == 0
    assert breaks() == []


def test_partial_refunds_split_vat_and_the_last_one_reverses_stock(shop: Any) -> None:
    order = sales.counter_cash_sale(None, [(shop.sku.id, 2)], reference="C-3", deliver_later=True)
    first = sales.refund_order(order.id, 1000, reference="RF-4")
    assert (first.status, first.refunded_fen, first.refunded_vat_fen) == ("partially_refunded", 1000, 115)
    assert level(shop.sku, shop) == (10, 2, 7000)  # stock stays with a partial refund
    last = sales.refund_order(order.id, reference="RF-5")
    assert (last.status, last.refunded_fen, last.refunded_vat_fen) == ("refunded", 2260, 260)
    assert vouchers(order, "order.refunded") == [
        [("5001", 885, 0), ("2221", 115, 0), ("1001", 0, 1000)],
        [("5001", 1115, 0), ("2221", 145, 0), ("1001", 0, 1260)],
    ]
    assert level(shop.sku, shop) == (10, 0, 7000)
    assert breaks() == []


@pytest.mark.parametrize(
    ("items", "error"),
    [
        ([(999_999, 1)], UnknownSku),
        ([("1", 1)], UnknownSku),
        ([(None, 0)], InvalidQuantity),
        ([(None, -1)], InvalidQuantity),
        ([(None, 10**9)], InvalidQuantity),
        ([(None, 1.5)], InvalidQuantity),
        ([(None, True)], InvalidQuantity),
        ([(None, 11)], InsufficientStock),
        ([(None, 600_000), (None, 600_000)], InvalidQuantity),  # merged lines are checked too
    ],
)
def test_bad_order_input_changes_nothing(shop: Any, unchanged: Any, items: Any, error: type) -> None:
    items = [(shop.sku.id if sku is None else sku, qty) for sku, qty in items]
    with unchanged(), pytest.raises(error):
        sales.place_order(shop.member.id, items, channel="miniprogram")


def test_a_short_second_line_rolls_back_the_first(shop: Any, unchanged: Any) -> None:
    with unchanged(), pytest.raises(InsufficientStock) as caught:
        sales.counter_cash_sale(None, [(shop.sku.id, 2), (shop.sku2.id, 6)], reference="X")
    assert caught.value.details == {
        "sku_id": shop.sku2.id,
        "warehouse_id": shop.warehouse.id,
        "requested": 6,
        "available": 5,
    }


def test_events_out_of_order_change_nothing(shop: Any, unchanged: Any) -> None:
    pending = sales.place_order(shop.member.id, [(shop.sku.id, 1)], channel="miniprogram")
    with unchanged(), pytest.raises(InvalidTransition) as caught:
        sales.fulfil_order(pending.id)  # fulfil before pay
    assert caught.value.code == "invalid_transition" and caught.value.status == 409
    paid = sales.counter_cash_sale(None, [(shop.sku.id, 1)], reference="C-9")  # handed over
    with unchanged(), pytest.raises(InvalidTransition):
        sales.cancel_order(paid.id)  # cancel after shipping
    with unchanged(), pytest.raises(InvalidTransition):
        sales.fulfil_order(paid.id)  # ship twice
    with unchanged(), pytest.raises(RefundExceedsPaid):
        sales.refund_order(pending.id, 100, reference="RF-9")  # nothing was paid
    on_account = sales.sell_on_account(shop.distributor.id, [(shop.sku.id, 1)], channel="distributor")
    with unchanged(), pytest.raises(InvalidTransition):
        sales.capture_payment(on_account.id, 1130, "cash", "C-10")  # collect it on account instead


def test_walk_in_customers_cannot_buy_on_credit(app: Any) -> None:
    from store.errors import InvalidCustomer

    with pytest.raises(InvalidCustomer):
        catalog.create_customer("walk_in", "x", credit_limit_fen=100)
    assert Customer.select().count() == 0
