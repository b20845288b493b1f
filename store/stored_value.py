"""Paying an order from the member's stored-value balance (储值支付).

One transaction: the balance is spent with a conditional UPDATE (`stored_value_fen >= total`, row
count checked), a `pay` entry is appended, and the spine captures the payment with method
`stored_value`, whose money account is 2203 预收账款: Dr 2203 / Cr 5001 + 2221. A short balance
raises NotEnoughStoredValue and changes nothing. A refund of such an order goes back to the
balance (`store.benefits.on_refunded`). The ledger itself lives in store/members.py.
"""

from __future__ import annotations

from backend.db import locked, transaction
from backend.kernel.models import Order
from store import members
from store import services as sales
from store.errors import InvalidTransition, OrderNotFound


def pay_order(order_id: int, customer_id: int) -> Order:
    with transaction():
        order = locked(Order.select().where(Order.id == order_id)).first()
        if order is None or order.customer_id != customer_id:
            raise OrderNotFound(details={"order_id": order_id})
        if order.status != "pending_payment":
            raise InvalidTransition(
                f"Cannot pay an order that is {order.status}",
                f"订单状态为 {order.status}，不能支付",
                details={"order_id": order.id, "status": order.status},
            )
        reference = f"sv:order:{order.id}"
        members.debit_stored_value(customer_id, order.total_fen, reference, order.id)
        return sales.capture_payment(order.id, order.total_fen, "stored_value", reference)
