"""Shipping and receipt of mini-program orders.

ship     -> the spine's `fulfil_order` (stock issued at moving-average cost, COGS posted) plus the
            carrier and tracking number, and a subscribe message to the customer (outbox)
receive  -> the customer confirms, or the periodic job `store.auto_receive` does it after
            `order_auto_receive_days` (YECAI_ORDER_AUTO_RECEIVE_DAYS); the order moves to completed (the spine's `complete_order`).
            "Received" is the shipment's `received_at`; the order itself goes shipped -> completed.
"""

from __future__ import annotations

import datetime as dt

from backend import clock, runtime
from backend.db import transaction
from backend.jobs.outbox import enqueue
from backend.kernel.models import Order
from store import services as sales
from store.errors import InvalidTransition, OrderNotFound
from store.shop_models import Shipment

BATCH = 100


def ship(order_id: int, *, carrier: str, tracking_no: str, staff_id: int | None = None) -> Order:
    with transaction():
        order = sales.fulfil_order(order_id)
        Shipment.create(order=order.id, carrier=carrier, tracking_no=tracking_no, shipped_by=staff_id)
        enqueue("store.notify_shipped", {"order_id": order.id}, dedupe_key=f"notify.shipped:{order.id}")
        return order


def receive(order_id: int, *, by: str = "customer") -> Order:
    with transaction():
        shipment = Shipment.get_or_none(Shipment.order == order_id)
        if shipment is None:
            order = Order.get_or_none(Order.id == order_id)
            if order is None:
                raise OrderNotFound(details={"order_id": order_id})
            raise InvalidTransition(
                f"Cannot receive an order that is {order.status}",
                f"订单状态为 {order.status}，不能确认收货",
                details={"order_id": order_id, "status": order.status},
            )
        order = sales.complete_order(order_id)
        Shipment.update(received_at=clock.now(), received_by=by).where(Shipment.id == shipment.id).execute()
        return order


def auto_receive() -> int:
    """Periodic: orders shipped more than `order_auto_receive_days` ago and still open are received."""
    cutoff = clock.now() - dt.timedelta(days=runtime.settings().order_auto_receive_days)
    due = [
        s.order_id
        for s in Shipment.select(Shipment.order)
        .join(Order)
        .where(
            (Shipment.received_at.is_null()) & (Shipment.shipped_at <= cutoff) & (Order.status == "shipped")
        )
        .order_by(Shipment.id)
        .limit(BATCH)
    ]
    done = 0
    for order_id in due:
        try:
            receive(order_id, by="auto")
            done += 1
        except InvalidTransition:  # refunded or completed meanwhile
            pass
    return done
