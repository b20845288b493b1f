"""Cash and bank transfers recorded by staff: a payment record that succeeds at once, in the same
transaction as the spine's capture, so every way money comes in has a record with a status."""

from __future__ import annotations

import secrets

from backend import clock
from backend.db import transaction
from backend.kernel.models import Order
from payments.errors import InvalidOfflinePayment
from payments.models import PaymentRecord
from store import services as sales
from store.errors import OrderNotFound

OFFLINE_METHODS = ("cash", "bank_transfer")


def record_offline_payment(
    order_id: int, method: str, amount_fen: int, *, staff_id: int | None
) -> PaymentRecord:
    """Take the order's amount due in cash or by bank transfer. Refused in full (nothing written)
    if the order is not waiting for payment or the amount differs from what is due."""
    if method not in OFFLINE_METHODS or type(amount_fen) is not int or amount_fen <= 0:
        raise InvalidOfflinePayment(details={"method": method, "amount_fen": str(amount_fen)})
    with transaction():
        order = Order.get_or_none(Order.id == order_id)
        if order is None:
            raise OrderNotFound(details={"order_id": order_id})
        out_trade_no = f"{'CA' if method == 'cash' else 'BT'}{order_id}T{secrets.token_hex(8)}"[:32]
        now = clock.now()
        record_id = PaymentRecord.insert(
            out_trade_no=out_trade_no,
            method=method,
            order=order_id,
            customer=order.customer_id,
            amount_fen=amount_fen,
            status="succeeded",
            outcome="captured",
            created_by=staff_id,
            succeeded_at=now,
        ).execute()
        # The record's out_trade_no is the spine's payment reference: one capture per record.
        sales.capture_payment(order_id, amount_fen, method, out_trade_no)
        return PaymentRecord.get_by_id(record_id)
