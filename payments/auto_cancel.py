"""Unpaid mini-program orders are cancelled after a configurable time (periodic job
`store.auto_cancel`), through the spine's one cancel, whose outbox message closes the open WeChat
transaction too. Stock is released and redeemed points and the coupon come back (the spine's cancel).

If the customer pays in the same instant, the close job learns ORDERPAID and the money is held and
refunded as a late payment (payments/services.py), never lost.
"""

from __future__ import annotations

import datetime as dt
import logging

from backend import clock, runtime
from backend.errors import DomainError
from backend.kernel.models import Order
from store.services import cancel_order

log = logging.getLogger(__name__)

BATCH = 100


def auto_cancel_seconds() -> int:
    return runtime.settings().order_auto_cancel_seconds


def cancel_unpaid() -> int:
    """Periodic: cancel mini-program orders still pending payment after the configured time."""
    cutoff = clock.now() - dt.timedelta(seconds=auto_cancel_seconds())
    due = [
        o.id
        for o in Order.select(Order.id)
        .where(
            (Order.status == "pending_payment")
            & (Order.channel == "miniprogram")
            & (Order.created_at <= cutoff)
        )
        .order_by(Order.id)
        .limit(BATCH)
    ]
    cancelled = 0
    for order_id in due:
        try:
            cancel_order(order_id)
            cancelled += 1
        except DomainError as exc:  # paid meanwhile: nothing to cancel
            log.info("auto-cancel skipped order %s: %s", order_id, exc)
    return cancelled
