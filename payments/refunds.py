"""WeChat refunds, full and partial: the record is written and the WeChat call queued in one
transaction; WeChat's REFUND.SUCCESS notification (or the refund query job) completes it and
moves the money back in the spine exactly once (`refund_order(..., reference=out_refund_no)`).

An amount is reserved by a refund from the moment it is requested until it fails, so two refunds
requested at once can never together exceed the payment.
"""

from __future__ import annotations

import logging
import secrets
from typing import Any

import peewee as pw

from backend import audit, clock
from backend.db import locked, savepoint, transaction
from backend.errors import DomainError
from backend.jobs.outbox import enqueue
from backend.kernel.models import Order
from backend.ledger import chart
from backend.ledger.services import Cr, Dr, post_entry
from payments import wechat
from payments.errors import InvalidRefundAmount, NoWechatPayment, RefundTooLarge
from payments.models import PaymentRecord, RefundRecord
from payments.services import captured_wechat_payments
from store import services as sales
from store.errors import OrderNotFound

log = logging.getLogger(__name__)

LIVE_REFUND_STATUSES = ("requested", "processing", "succeeded")


def new_out_refund_no() -> str:
    return f"RF{secrets.token_hex(12)}"


def reserved_fen(payment_id: int) -> int:
    """What refunds already hold of a payment (requested, processing or done)."""
    total = (
        RefundRecord.select(pw.fn.COALESCE(pw.fn.SUM(RefundRecord.amount_fen), 0))
        .where((RefundRecord.payment == payment_id) & (RefundRecord.status.in_(LIVE_REFUND_STATUSES)))
        .scalar()
    )
    return int(total or 0)


def create_refund_record(
    payment: PaymentRecord, amount_fen: int, *, reason: str, requested_by: int | None
) -> RefundRecord:
    """Insert the refund and queue the WeChat call; the caller holds the payment's row lock."""
    with transaction():
        refund_id = RefundRecord.insert(
            out_refund_no=new_out_refund_no(),
            payment=payment.id,
            order=payment.order_id,
            amount_fen=amount_fen,
            reason=reason,
            status="requested",
            requested_by=requested_by,
        ).execute()
        refund = RefundRecord.get_by_id(refund_id)
        audit.record(
            requested_by,
            "refund.wechat_request",
            "order" if payment.order_id is not None else "payment_record",
            payment.order_id if payment.order_id is not None else payment.id,
            amount_fen=amount_fen,
            reason=reason,
            out_refund_no=refund.out_refund_no,
            out_trade_no=payment.out_trade_no,
        )
        enqueue(
            "payments.request_refund",
            {"refund_id": refund.id},
            dedupe_key=f"payments.refund:{refund.out_refund_no}",
        )
        return refund


def request_refund(
    order_id: int, amount_fen: int | None = None, *, requested_by: int | None = None
) -> RefundRecord:
    """Refund all or part of an order's captured WeChat payment (staff). Nothing changes on a refusal."""
    if amount_fen is not None and (
        type(amount_fen) is not int or amount_fen <= 0  # bool is not an amount either
    ):
        raise InvalidRefundAmount(details={"amount_fen": str(amount_fen)})
    with transaction():
        if Order.get_or_none(Order.id == order_id) is None:
            raise OrderNotFound(details={"order_id": order_id})
        payment = locked(captured_wechat_payments(order_id).order_by(PaymentRecord.id)).first()
        if payment is None:
            raise NoWechatPayment(details={"order_id": order_id})
        order = Order.get_by_id(order_id)
        refundable = min(
            payment.amount_fen - reserved_fen(payment.id),
            order.paid_fen - order.refunded_fen - _in_flight_fen(order_id),
        )
        amount = refundable if amount_fen is None else amount_fen
        if amount <= 0 or amount > refundable:
            raise RefundTooLarge(details={"amount_fen": amount, "refundable_fen": max(refundable, 0)})
        return create_refund_record(payment, amount, reason="order", requested_by=requested_by)


def _in_flight_fen(order_id: int) -> int:
    total = (
        RefundRecord.select(pw.fn.COALESCE(pw.fn.SUM(RefundRecord.amount_fen), 0))
        .where((RefundRecord.order == order_id) & (RefundRecord.status.in_(("requested", "processing"))))
        .scalar()
    )
    return int(total or 0)


# ---------------------------------------------------------------- talking to WeChat (jobs)


def send_refund(refund_id: int) -> None:
    """Ask WeChat for the refund (outbox job). Same out_refund_no every time: WeChat dedupes it."""
    refund = RefundRecord.get_or_none(RefundRecord.id == refund_id)
    if refund is None or refund.status != "requested":
        return
    payment = PaymentRecord.get_by_id(refund.payment_id)
    status, body = wechat.answer(
        wechat.client().refund(
            out_refund_no=refund.out_refund_no,
            amount={"refund": refund.amount_fen, "total": payment.amount_fen, "currency": "CNY"},
            transaction_id=payment.transaction_id,
            reason="订单退款" if refund.reason == "order" else "订单已取消，款项退回",
            notify_url=wechat.notify_url(),
        )
    )
    if status == 200:
        with transaction():
            RefundRecord.update(status="processing", refund_id=body.get("refund_id"), last_error="").where(
                (RefundRecord.id == refund.id) & (RefundRecord.status == "requested")
            ).execute()
        if body.get("status") in ("SUCCESS", "ABNORMAL", "CLOSED"):
            apply_refund_result(body)
        return
    if 400 <= status < 500 and status != 429:
        # WeChat refused for good (NOT_ENOUGH, PARAM_ERROR...): release the reserved amount.
        with transaction():
            RefundRecord.update(
                status="failed",
                completed_at=clock.now(),
                last_error=f"{status} {body.get('code', '')} {body.get('message', '')}"[:255],
            ).where((RefundRecord.id == refund.id) & (RefundRecord.status == "requested")).execute()
        return
    raise RuntimeError(f"WeChat refund {refund.out_refund_no} answered {status}: {body}")  # retried


def sync_refund(refund_id: int) -> str:
    """Ask WeChat where a processing refund stands and apply a final answer (the query job)."""
    refund = RefundRecord.get_or_none(RefundRecord.id == refund_id)
    if refund is None or refund.status != "processing":
        return refund.status if refund else "missing"
    status, body = wechat.answer(wechat.client().query_refund(out_refund_no=refund.out_refund_no))
    if status == 200 and body.get("status") in ("SUCCESS", "ABNORMAL", "CLOSED"):
        return apply_refund_result(body)
    return "processing"


# ---------------------------------------------------------------- completing


def apply_refund_result(resource: dict[str, Any]) -> str:
    """A final refund answer from a notification or a query. Exactly once, under row locks.

    Returns applied | duplicate | unknown | refused_amount | failed.
    """
    out_refund_no = str(resource.get("out_refund_no") or "")
    final = str(resource.get("refund_status") or resource.get("status") or "")
    with transaction():
        found = RefundRecord.get_or_none(RefundRecord.out_refund_no == out_refund_no)
        if found is None:
            return "unknown"
        payment = locked(PaymentRecord.select().where(PaymentRecord.id == found.payment_id)).first()
        refund = locked(RefundRecord.select().where(RefundRecord.id == found.id)).first()
        amount = resource.get("amount") or {}
        if (
            amount.get("refund") != refund.amount_fen
            or amount.get("total", payment.amount_fen) != payment.amount_fen
        ):
            log.warning(
                "refused refund result %s: amount %s, ours %s", out_refund_no, amount, refund.amount_fen
            )
            return "refused_amount"
        if refund.status in ("succeeded", "failed"):
            return "duplicate"
        if final != "SUCCESS":
            RefundRecord.update(
                status="failed", completed_at=clock.now(), last_error=f"WeChat refund {final}"
            ).where(RefundRecord.id == refund.id).execute()
            return "failed"
        RefundRecord.update(
            status="succeeded",
            refund_id=resource.get("refund_id") or refund.refund_id,
            completed_at=clock.now(),
            wechat_success_time=wechat.parse_time(resource.get("success_time")) or clock.now(),
        ).where(RefundRecord.id == refund.id).execute()
        PaymentRecord.update(refunded_fen=PaymentRecord.refunded_fen + refund.amount_fen).where(
            PaymentRecord.id == payment.id
        ).execute()
        if refund.reason == "late_payment":
            post_entry(
                "payment.late_refunded",
                [Dr("2203", refund.amount_fen), Cr(chart.WECHAT_CLEARING, refund.amount_fen)],
                memo=f"迟到付款 已退回 {payment.out_trade_no} {refund.out_refund_no}",
                source_type="refund_record",
                source_id=refund.id,
            )
        else:
            try:
                with savepoint():  # a refused booking leaves nothing half-written
                    sales.refund_order(
                        refund.order_id, refund.amount_fen, reference=refund.out_refund_no, method="wechat"
                    )
            except DomainError as exc:
                # WeChat has paid the money back; the spine refused to book it. Keep the fact and
                # let `yecai check` (payments: refunds booked) show it to a person.
                log.error("refund %s succeeded at WeChat but the spine refused it: %s", out_refund_no, exc)
                RefundRecord.update(last_error=f"spine refused: {exc}"[:255]).where(
                    RefundRecord.id == refund.id
                ).execute()
        return "applied"
