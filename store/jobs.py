"""Outbox handlers for sale events. A completed refund sends the customer a subscribe message
(store/notify.py, at most once per refund); the paid receipt only records for now.

Each handler is safe to run twice.
"""

from __future__ import annotations

import logging
from typing import Any

from backend.jobs.registry import AT_MOST_ONCE, LOCAL, job

log = logging.getLogger("yecai.store")


@job("order.paid_receipt", delivery=LOCAL)
def paid_receipt(payload: dict[str, Any]) -> None:
    log.info("receipt for paid order %s", payload.get("order_id"))


@job("order.refund_notice", delivery=AT_MOST_ONCE)
def refund_notice(payload: dict[str, Any]) -> None:
    log.info("refund of %s fen for order %s", payload.get("amount_fen"), payload.get("order_id"))
    from store import notify  # the WeChat client is only needed here

    notify.notify_refund(
        int(payload["order_id"]),
        int(payload["amount_fen"]),
        str(payload.get("reference") or payload["order_id"]),
    )
