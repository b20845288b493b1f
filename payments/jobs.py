"""Payment jobs. Each is safe to run twice: WeChat dedupes by out_trade_no / out_refund_no and our
state changes are conditional on the state they start from.

- order.cancelled (outbox, written by the spine's cancel): close the order's open WeChat transactions;
- payments.close_wechat_order (outbox, an expired checkout): close one WeChat transaction;
- payments.request_refund (outbox): ask WeChat for a refund;
- settle_pending (periodic, schedule.py): the active query for payments and stored-value top-ups
  whose notification never came, and refunds still processing.
"""

from __future__ import annotations

import datetime as dt
import logging
from typing import Any

from backend import clock
from backend.db import transaction
from backend.jobs.registry import REMOTE_DEDUPES, job
from payments import topups, wechat
from payments.models import OPEN_STATUSES, WECHAT_METHODS, PaymentRecord, RefundRecord, TopUp
from payments.refunds import send_refund, sync_refund
from payments.services import PREPAY_TTL_SECONDS, apply_success, mark_ended

log = logging.getLogger(__name__)

# A pending payment is queried once it is this old (WeChat's first notification is immediate and
# its retries start 15 s later, so a minute of silence means the notification is lost or late).
QUERY_AFTER_SECONDS = 60
BATCH = 100


def sync_payment(record_id: int) -> str:
    """Query WeChat for one of our payments and apply what it says. Returns WeChat's trade_state."""
    record = PaymentRecord.get_or_none(PaymentRecord.id == record_id)
    if record is None or record.method not in WECHAT_METHODS:
        return "missing"
    status, body = wechat.answer(wechat.client().query(out_trade_no=record.out_trade_no))
    if status == 404:
        return "ORDER_NOT_EXIST"
    if status != 200:
        raise RuntimeError(f"WeChat query of {record.out_trade_no} answered {status}: {body}")
    trade_state = str(body.get("trade_state") or "")
    if trade_state == "SUCCESS":
        with transaction():
            outcome, _ = apply_success(body)
        if outcome not in ("applied", "duplicate"):
            log.warning("query of %s gave %s", record.out_trade_no, outcome)
    elif trade_state == "REFUND":
        # Paid and already refunded at WeChat before we saw it paid (a refund made outside yecai):
        # the money went back, so nothing is captured; a person checks it against the bill.
        log.warning("payment %s was refunded at WeChat before it was captured", record.out_trade_no)
        mark_ended(record.id, "failed", "WeChat: paid and refunded outside yecai (REFUND); not captured")
    elif trade_state == "CLOSED":
        mark_ended(record.id, "closed")
    elif trade_state == "PAYERROR":
        mark_ended(record.id, "failed", str(body.get("trade_state_desc") or ""))
    elif trade_state == "REVOKED":
        mark_ended(record.id, "reversed")
    return trade_state


@job("order.cancelled", delivery=REMOTE_DEDUPES)
def close_cancelled_orders_transactions(payload: dict[str, Any]) -> None:
    """An order was cancelled: close each of its WeChat transactions still open."""
    records = (
        PaymentRecord.select(PaymentRecord.id)
        .where(
            (PaymentRecord.order == int(payload["order_id"]))
            & (PaymentRecord.method.in_(WECHAT_METHODS))
            & (PaymentRecord.status.in_(OPEN_STATUSES))
        )
        .order_by(PaymentRecord.id)
    )
    for record in list(records):
        close_wechat_order({"payment_id": record.id})


@job("payments.close_wechat_order", delivery=REMOTE_DEDUPES)
def close_wechat_order(payload: dict[str, Any]) -> None:
    record = PaymentRecord.get_or_none(PaymentRecord.id == int(payload["payment_id"]))
    if record is None or record.status not in OPEN_STATUSES:
        return
    client = wechat.client()
    if record.method == "wechat_codepay":
        status, body = wechat.answer(client.codepay_reverse(out_trade_no=record.out_trade_no))
        if status == 200:
            mark_ended(record.id, "reversed")
            return
    else:
        status, body = wechat.answer(client.close(out_trade_no=record.out_trade_no))
        if status == 204:
            mark_ended(record.id, "closed")
            return
    code = body.get("code")
    if status == 404 or code == "ORDER_NOT_EXIST":  # never reached WeChat: nothing to close
        mark_ended(record.id, "closed", "not known to WeChat")
        return
    if code == "ORDERPAID":  # paid in the same instant as the cancel: settle it (held and refunded)
        sync_payment(record.id)
        return
    raise RuntimeError(f"WeChat close of {record.out_trade_no} answered {status}: {body}")  # retried


@job("payments.request_refund", delivery=REMOTE_DEDUPES)
def request_refund_job(payload: dict[str, Any]) -> None:
    send_refund(int(payload["refund_id"]))


def settle_pending() -> dict[str, int]:
    """Periodic: settle payments and top-ups whose notification never came, and refunds still processing."""
    before = clock.now() - dt.timedelta(seconds=QUERY_AFTER_SECONDS)
    payments = [
        r.id
        for r in PaymentRecord.select(PaymentRecord.id)
        .where(
            (PaymentRecord.method.in_(WECHAT_METHODS))
            & (PaymentRecord.status == "pending")
            & (PaymentRecord.created_at <= before)
        )
        .order_by(PaymentRecord.id)
        .limit(BATCH)
    ]
    refunds = [
        r.id
        for r in RefundRecord.select(RefundRecord.id)
        .where((RefundRecord.status == "processing") & (RefundRecord.created_at <= before))
        .order_by(RefundRecord.id)
        .limit(BATCH)
    ]
    top_ups = [
        t.id
        for t in TopUp.select(TopUp.id)
        .where((TopUp.status == "pending") & (TopUp.created_at <= before))
        .order_by(TopUp.id)
        .limit(BATCH)
    ]
    abandoned_before = clock.now() - dt.timedelta(seconds=PREPAY_TTL_SECONDS)
    settled = 0
    for record_id in payments:
        try:
            trade_state = sync_payment(record_id)
            if trade_state == "NOTPAY" and PaymentRecord.get_by_id(record_id).created_at <= abandoned_before:
                close_wechat_order({"payment_id": record_id})  # never paid, prepay expired: close it
                trade_state = "CLOSED"
            settled += trade_state in ("SUCCESS", "REFUND", "CLOSED", "PAYERROR", "REVOKED")
        except Exception:  # one bad answer must not stop the others; the next run tries again
            log.exception("querying payment %s failed", record_id)
    for refund_id in refunds:
        try:
            settled += sync_refund(refund_id) != "processing"
        except Exception:
            log.exception("querying refund %s failed", refund_id)
    for top_up_id in top_ups:
        try:
            settled += topups.sync_top_up(top_up_id) in ("SUCCESS", "CLOSED", "PAYERROR", "REVOKED")
        except Exception:
            log.exception("querying top-up %s failed", top_up_id)
    return {"payments": len(payments), "refunds": len(refunds), "top_ups": len(top_ups), "settled": settled}
