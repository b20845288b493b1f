"""Outbox handlers for sale events. For now they only record; WeChat messages come in a later issue.

Each handler is safe to run twice (it only logs).
"""

from __future__ import annotations

import logging
from typing import Any

from backend.jobs.registry import job

log = logging.getLogger("yecai.store")


@job("order.paid_receipt")
def paid_receipt(payload: dict[str, Any]) -> None:
    log.info("receipt for paid order %s", payload.get("order_id"))


@job("order.refund_notice")
def refund_notice(payload: dict[str, Any]) -> None:
    log.info("refund of %s fen for order %s", payload.get("amount_fen"), payload.get("order_id"))
