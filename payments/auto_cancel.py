"""Unpaid orders of every channel are cancelled after a time configured per channel (periodic job
`store.auto_cancel`; YECAI_ORDER_AUTO_CANCEL_SECONDS, and YECAI_PENDING_ORDER_EXPIRY for other
channels, e.g. "distributor=86400,counter=3600"), through the spine's one cancel, whose outbox message closes the open WeChat
transaction too. Stock is released and redeemed points and the coupon come back (the spine's cancel).

If the customer pays in the same instant, the close job learns ORDERPAID and the money is held and
refunded as a late payment (payments/services.py), never lost.
"""

from __future__ import annotations

import datetime as dt
import functools
import logging
import operator

from backend import clock, runtime
from backend.config import ConfigError
from backend.errors import DomainError
from backend.kernel.models import CHANNELS, Order
from store.services import cancel_order

log = logging.getLogger(__name__)

BATCH = 100


def auto_cancel_seconds() -> int:
    return runtime.settings().order_auto_cancel_seconds


def expiry_by_channel() -> dict[str, int]:
    """Seconds an unpaid order waits, per channel (a channel not configured: the mini-program's)."""
    configured = runtime.settings().pending_expiry()
    unknown = sorted(set(configured) - {"*", *CHANNELS})
    if unknown:
        raise ConfigError(f"YECAI_PENDING_ORDER_EXPIRY names unknown channels: {', '.join(unknown)}")
    return {channel: configured.get(channel, configured["*"]) for channel in CHANNELS}


def cancel_unpaid() -> int:
    """Periodic: cancel orders of every channel still pending payment after their channel's time."""
    now = clock.now()
    overdue = functools.reduce(
        operator.or_,
        [
            (Order.channel == channel) & (Order.created_at <= now - dt.timedelta(seconds=seconds))
            for channel, seconds in expiry_by_channel().items()
        ],
    )
    due = [
        o.id
        for o in Order.select(Order.id)
        .where((Order.status == "pending_payment") & overdue)
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
