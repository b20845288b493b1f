"""Cash and bank transfers taken by staff: a payment record that succeeds at once, in the same
transaction as the spine's capture, so every way money comes in has a record with a status. This is
the one path for offline money: an order's amount due (`record_offline_payment`) and the counter
sale that bills and collects in one step (`counter_sale`)."""

from __future__ import annotations

import secrets
from collections.abc import Iterable, Sequence
from typing import Any

from backend import audit, clock
from backend.db import transaction
from backend.kernel.models import Order
from payments.errors import InvalidOfflinePayment
from payments.models import PaymentRecord
from store import services as sales

OFFLINE_METHODS = ("cash", "bank_transfer")


def _out_trade_no(method: str) -> str:
    """Also the spine's payment reference: one capture per record."""
    return f"{'CA' if method == 'cash' else 'BT'}{secrets.token_hex(12)}"


def _insert_record(order: Order, method: str, out_trade_no: str, staff_id: int | None) -> int:
    return int(
        PaymentRecord.insert(
            out_trade_no=out_trade_no,
            method=method,
            order=order.id,
            customer=order.customer_id,
            amount_fen=order.total_fen,
            status="succeeded",
            outcome="captured",
            created_by=staff_id,
            succeeded_at=clock.now(),
        ).execute()
    )


def _check(method: str, amount_fen: Any = 1) -> None:
    if method not in OFFLINE_METHODS or type(amount_fen) is not int or amount_fen <= 0:
        raise InvalidOfflinePayment(details={"method": method, "amount_fen": str(amount_fen)})


def record_offline_payment(
    order_id: int, method: str, amount_fen: int, *, staff_id: int | None, deliver_later: bool = False
) -> PaymentRecord:
    """Take the order's amount due in cash or by bank transfer. Refused in full (nothing written)
    if the order is not waiting for payment or the amount differs from what is due.

    An order billed at the counter is handed over as it is paid (stock issued, COGS posted, in the
    same transaction), unless staff choose `deliver_later`; other channels ship on their own."""
    _check(method, amount_fen)
    with transaction():
        out_trade_no = _out_trade_no(method)
        order = sales.capture_payment(order_id, amount_fen, method, out_trade_no)
        record_id = _insert_record(order, method, out_trade_no, staff_id)
        if order.channel == "counter" and not deliver_later:
            sales.fulfil_order(order.id)
        audit.record(
            staff_id,
            "payment.offline",
            "order",
            order.id,
            method=method,
            amount_fen=amount_fen,
            out_trade_no=out_trade_no,
        )
        return PaymentRecord.get_by_id(record_id)


def counter_sale(
    customer_id: int | None,
    items: Iterable[sales.Item | Sequence[int] | dict[str, Any]],
    *,
    method: str = "cash",
    warehouse_id: int | None = None,
    staff_id: int | None = None,
    deliver_later: bool = False,
) -> Order:
    """Bill and collect at the counter in one event (the spine's `counter_cash_sale`), with the
    payment record of the money taken: one insert more, no read."""
    _check(method)
    with transaction():
        out_trade_no = _out_trade_no(method)
        order = sales.counter_cash_sale(
            customer_id,
            items,
            reference=out_trade_no,
            method=method,
            warehouse_id=warehouse_id,
            placed_by=staff_id,
            deliver_later=deliver_later,
        )
        _insert_record(order, method, out_trade_no, staff_id)
        return order
