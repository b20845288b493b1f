"""Payment verbs: start a WeChat checkout, settle a payment WeChat says succeeded, tell whether an
order was paid through WeChat. (Cancelling is the spine's `store.services.cancel_order`; its
outbox message has payments/jobs.py close the order's open WeChat transactions.)

Lock order, everywhere in this package: payment record, then refund record, then the spine's order
(which `store.services` locks itself). Keeping one order means two events never deadlock.

Where the money of a payment goes once WeChat says SUCCESS:
- the order is still waiting: `store.services.capture_payment(..., "wechat", reference=transaction_id)`
  posts the sale (Dr 1012 WeChat clearing / Cr 5001, 2221) exactly once per transaction id;
- the order can no longer take it (cancelled, or already paid another way): the money is real and
  must not be lost, so it is held as a customer prepayment (Dr 1012 / Cr 2203) and refunded through
  WeChat by an outbox job; the refund's completion reverses the hold (Dr 2203 / Cr 1012).
"""

from __future__ import annotations

import datetime as dt
import logging
import secrets
import time
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from wechatpayv3 import WeChatPayType

from backend import clock, runtime
from backend.auth.models import WechatIdentity
from backend.db import locked, savepoint, transaction
from backend.errors import InternalError
from backend.inventory.errors import InsufficientStock
from backend.jobs.outbox import enqueue
from backend.kernel.models import Customer, Order
from backend.ledger import chart
from backend.ledger.services import Cr, Dr, post_entry
from backend.receivables.errors import PaymentExceedsOpen
from payments import wechat
from payments.errors import (
    InvoiceNotFound,
    InvoiceNotPayable,
    NoWechatIdentity,
    OrderNotPayable,
    PaymentGatewayError,
)
from payments.models import OPEN_STATUSES, WECHAT_METHODS, PaymentAllocation, PaymentRecord, RefundRecord
from store import on_account
from store import services as sales
from store.errors import AmountMismatch, InvalidTransition, OrderNotFound

log = logging.getLogger(__name__)

PREPAYMENTS = "2203"  # 预收账款: a late payment is held here until WeChat has refunded it
# What to do with money that arrives for an order that can no longer take it. Only "refund" is
# implemented; re-reserving stock for the cancelled order is a later option.
LATE_PAYMENT_POLICY = "refund"
# WeChat's prepay_id lives two hours; an open record older than this is closed rather than reused.
PREPAY_TTL_SECONDS = 7000


# ---------------------------------------------------------------- helpers


def new_out_trade_no(order_id: int) -> str:
    """Unique across every environment sharing a merchant id (test runs, demo, production)."""
    return f"YC{order_id}T{secrets.token_hex(8)}"[:32]


def description(order: Order) -> str:
    # Must be identical on every resubmission of one out_trade_no, or WeChat refuses it.
    return f"业财订单 {order.id}"


def customer_order(order_id: int, user_id: int) -> Order:
    """The caller's own order; another customer's (or an unknown) order is a 404 either way."""
    customer = Customer.get_or_none(Customer.user == user_id)
    order = Order.get_or_none(Order.id == order_id)
    if order is None or customer is None or order.customer_id != customer.id:
        raise OrderNotFound(details={"order_id": order_id})
    return order


def _touch(record_id: int, **fields: Any) -> None:
    PaymentRecord.update(updated_at=clock.now(), **fields).where(PaymentRecord.id == record_id).execute()


def _open_record(order: Order, method: str, openid: str | None, amount_fen: int) -> PaymentRecord | None:
    return (
        PaymentRecord.select()
        .where(
            (PaymentRecord.order == order.id)
            & (PaymentRecord.method == method)
            & (PaymentRecord.status.in_(OPEN_STATUSES))
            & (PaymentRecord.amount_fen == amount_fen)
            & (
                PaymentRecord.payer_openid.is_null()
                if openid is None
                else (PaymentRecord.payer_openid == openid)
            )
        )
        .order_by(PaymentRecord.id.desc())
        .first()
    )


def _record_for_order(order_id: int, method: str, openid: str | None, user_id: int | None) -> PaymentRecord:
    """Reuse the open record of this order and method, or write a new one (status created)."""
    with transaction():
        # The order row lock serialises two checkouts of one order, so they share one record.
        order = locked(Order.select().where(Order.id == order_id)).first()
        if order is None:
            raise OrderNotFound(details={"order_id": order_id})
        if order.status != "pending_payment":
            raise OrderNotPayable(details={"order_id": order.id, "status": order.status})
        existing = _open_record(order, method, openid, order.total_fen)
        if existing is not None and existing.created_at > clock.now() - dt.timedelta(
            seconds=PREPAY_TTL_SECONDS
        ):
            return existing
        if existing is not None:
            # Its prepay_id / code_url has expired at WeChat: close it after commit, start afresh.
            enqueue(
                "payments.close_wechat_order",
                {"payment_id": existing.id},
                dedupe_key=f"payments.close:{existing.out_trade_no}",
            )
        record_id = PaymentRecord.insert(
            out_trade_no=new_out_trade_no(order.id),
            method=method,
            order=order.id,
            customer=order.customer_id,
            amount_fen=order.total_fen,
            status="created",
            payer_openid=openid,
            created_by=user_id,
        ).execute()
        return PaymentRecord.get_by_id(record_id)


def _gateway_error(record: PaymentRecord, status: int, body: dict[str, Any]) -> PaymentGatewayError:
    message = f"{status} {body.get('code', '')} {body.get('message', '')}".strip()[:255]
    with transaction():
        _touch(record.id, last_error=message)
    return PaymentGatewayError(
        details={
            "wechat_status": status,
            "wechat_code": body.get("code", ""),
            "out_trade_no": record.out_trade_no,
        }
    )


def _call(record: PaymentRecord, fn: Any, **kwargs: Any) -> tuple[int, dict[str, Any]]:
    try:
        return wechat.answer(fn(**kwargs))
    except InternalError:
        raise  # a bug (a call made inside a transaction), not WeChat being unreachable
    except Exception as exc:  # network error or a response whose signature did not verify
        log.warning("WeChat call for %s failed: %s", record.out_trade_no, exc)
        raise _gateway_error(record, 0, {"message": f"{type(exc).__name__}: {exc}"}) from exc


# ---------------------------------------------------------------- checkout


@dataclass(frozen=True)
class JsapiCheckout:
    payment: PaymentRecord
    params: dict[str, str]  # for wx.requestPayment


def jsapi_params(prepay_id: str) -> dict[str, str]:
    """wx.requestPayment's parameters: paySign = RSA-SHA256 over appId, timeStamp, nonceStr, package."""
    settings = runtime.settings()
    timestamp = str(int(time.time()))
    nonce = secrets.token_hex(16)
    package = f"prepay_id={prepay_id}"
    pay_sign = wechat.client().sign([settings.wechat_appid, timestamp, nonce, package])
    return {
        "appId": settings.wechat_appid,
        "timeStamp": timestamp,
        "nonceStr": nonce,
        "package": package,
        "signType": "RSA",
        "paySign": pay_sign,
    }


def prepay_jsapi(payment_id: int) -> JsapiCheckout:
    """Create the JSAPI transaction of a committed payment record at WeChat, then hand back the
    wx.requestPayment parameters. Runs with no transaction open (the WeChat client refuses
    otherwise). Once per record: a repeat reuses the stored prepay_id, and a repeat after a crash
    before it was stored sends the same out_trade_no and details, which WeChat answers with the
    same prepay_id."""
    record = PaymentRecord.get_by_id(payment_id)
    if record.prepay_id is None:
        status, body = _call(
            record,
            wechat.jsapi_order,
            text=_description(record),
            out_trade_no=record.out_trade_no,
            amount_fen=record.amount_fen,
            openid=record.payer_openid,
        )
        if status != 200 or not body.get("prepay_id"):
            raise _gateway_error(record, status, body)
        with transaction():
            _touch(record.id, prepay_id=body["prepay_id"], status="pending", last_error="")
        record = PaymentRecord.get_by_id(record.id)
    return JsapiCheckout(record, jsapi_params(str(record.prepay_id)))


def _description(record: PaymentRecord) -> str:
    if record.order_id is not None:
        return description(Order.get_by_id(record.order_id))
    chosen = allocations_of(record.id)
    if len(chosen) > 1:
        return f"业财账单 {chosen[0][0]} 等 {len(chosen)} 张"
    return f"业财账单 {record.invoice_id}"


def _payer_openid(user_id: int) -> str:
    identity = (
        WechatIdentity.select().where(WechatIdentity.user == user_id).order_by(WechatIdentity.id).first()
    )
    if identity is None:
        raise NoWechatIdentity()
    return str(identity.openid)


def open_jsapi_payment(order_id: int, user_id: int) -> PaymentRecord:
    """The JSAPI payment record (new or reused) for the caller's own pending order; no WeChat call,
    so it can be part of the caller's transaction (a checkout commits it with the order)."""
    order = customer_order(order_id, user_id)
    return _record_for_order(order.id, "wechat_jsapi", _payer_openid(user_id), user_id)


def start_jsapi_checkout(order_id: int, user_id: int) -> JsapiCheckout:
    """Create (or reuse) the JSAPI transaction for the caller's own pending order.

    The record is committed first, WeChat is called outside any transaction, and the prepay_id is
    recorded after. A retry reuses the record and its out_trade_no, and WeChat answers the same
    prepay_id for the same out_trade_no with identical details.
    """
    return prepay_jsapi(open_jsapi_payment(order_id, user_id).id)


def start_jsapi_invoice_checkout(invoice_id: int, user_id: int) -> JsapiCheckout:
    """A distributor pays what is still open on one of their own invoices with WeChat (JSAPI).

    On success the money is collected against that invoice (Dr 1012 / Cr 1122); if the invoice was
    settled another way meanwhile, the payment is held and refunded like any late payment.
    """
    _own_invoice(invoice_id, user_id)
    openid = _payer_openid(user_id)
    return prepay_jsapi(_record_for_invoice(invoice_id, "wechat_jsapi", openid, user_id).id)


def start_native_invoice_checkout(invoice_id: int, user_id: int) -> PaymentRecord:
    """The same, outside WeChat's browser: a NATIVE code_url the distributor scans with WeChat."""
    _own_invoice(invoice_id, user_id)
    record = _record_for_invoice(invoice_id, "wechat_native", None, user_id)
    return _native_code(record)


def start_jsapi_invoices_checkout(allocations: Sequence[tuple[int, int]], user_id: int) -> JsapiCheckout:
    """A distributor pays the invoices they chose, each with the amount they chose (part of an
    invoice allowed), in one WeChat payment (JSAPI). When WeChat says it succeeded, each invoice takes
    its amount, at most what it still has open then; anything an invoice settled meanwhile can no
    longer take becomes the customer's credit (预收), never lost."""
    for invoice_id, _ in allocations:  # someone else's invoice is a 404 before anything else
        _own_invoice(invoice_id, user_id)
    openid = _payer_openid(user_id)
    return prepay_jsapi(_record_for_invoices(allocations, "wechat_jsapi", openid, user_id).id)


def start_native_invoices_checkout(allocations: Sequence[tuple[int, int]], user_id: int) -> PaymentRecord:
    """The same outside WeChat's browser: a NATIVE code_url to scan."""
    return _native_code(_record_for_invoices(allocations, "wechat_native", None, user_id))


def allocations_of(record_id: int) -> list[tuple[int, int]]:
    """(invoice id, fen) a payment for chosen invoices is to pay, in the order chosen; [] for others."""
    return [
        (a.invoice_id, a.amount_fen)
        for a in PaymentAllocation.select()
        .where(PaymentAllocation.payment == record_id)
        .order_by(PaymentAllocation.id)
    ]


MAX_INVOICES_PER_PAYMENT = 50


def _record_for_invoices(
    allocations: Sequence[tuple[int, int]], method: str, openid: str | None, user_id: int
) -> PaymentRecord:
    """Reuse the open record of exactly these amounts, method and payer, or write one with its
    allocations. Every invoice must be the caller's own (else 404) with at least that much open."""
    from backend.receivables.models import Invoice

    if not 0 < len(allocations) <= MAX_INVOICES_PER_PAYMENT:
        raise InvoiceNotPayable(
            "Choose 1 to 50 invoices", "请选择 1 至 50 张账单", details={"invoices": len(allocations)}
        )
    with transaction():
        customer = Customer.get_or_none(Customer.user == user_id)
        ids = [invoice_id for invoice_id, _ in allocations]
        if len(set(ids)) != len(ids):
            raise InvoiceNotPayable(
                "An invoice is chosen twice", "同一账单选了两次", details={"invoice_ids": ids}
            )
        found = {
            inv.id: inv
            for inv in locked(Invoice.select().where(Invoice.id.in_(sorted(ids))).order_by(Invoice.id))
        }
        if customer is None:
            raise InvoiceNotFound(details={"invoice_id": ids[0]})
        for invoice_id, amount in allocations:
            invoice = found.get(invoice_id)
            if invoice is None or invoice.customer_id != customer.id:
                raise InvoiceNotFound(details={"invoice_id": invoice_id})
            if type(amount) is not int or not 0 < amount <= invoice.open_fen:
                raise InvoiceNotPayable(
                    "Pay between 0.01 and what the invoice has open",
                    "付款金额须大于 0 且不超过账单未付金额",
                    details={"invoice_id": invoice_id, "open_fen": invoice.open_fen, "amount_fen": amount},
                )
        total = sum(amount for _, amount in allocations)
        fresh = clock.now() - dt.timedelta(seconds=PREPAY_TTL_SECONDS)
        candidates = (
            PaymentRecord.select()
            .where(
                (PaymentRecord.customer == customer.id)
                & (PaymentRecord.order.is_null())
                & (PaymentRecord.invoice == allocations[0][0])
                & (PaymentRecord.status.in_(OPEN_STATUSES))
                & (PaymentRecord.amount_fen == total)
                & (PaymentRecord.method == method)
                & (PaymentRecord.created_at > fresh)
                & (
                    PaymentRecord.payer_openid.is_null()
                    if openid is None
                    else PaymentRecord.payer_openid == openid
                )
            )
            .order_by(PaymentRecord.id.desc())
        )
        for candidate in candidates:
            if allocations_of(candidate.id) == list(allocations):
                return candidate
        record_id = PaymentRecord.insert(
            out_trade_no=f"YM{customer.id}T{secrets.token_hex(8)}"[:32],
            method=method,
            invoice=allocations[0][0],
            customer=customer.id,
            amount_fen=total,
            status="created",
            payer_openid=openid,
            created_by=user_id,
        ).execute()
        PaymentAllocation.insert_many(
            [
                {"payment": record_id, "invoice": invoice_id, "amount_fen": amount}
                for invoice_id, amount in allocations
            ]
        ).execute()
        return PaymentRecord.get_by_id(record_id)


def start_native_own_order(order_id: int, user_id: int) -> PaymentRecord:
    """A customer's or distributor's own pending order, paid by scanning a NATIVE QR (a browser
    outside WeChat); another customer's order is a 404."""
    order = customer_order(order_id, user_id)
    return _native_code(_record_for_order(order.id, "wechat_native", None, user_id))


def _own_invoice(invoice_id: int, user_id: int) -> None:
    from backend.receivables.models import Invoice

    customer = Customer.get_or_none(Customer.user == user_id)
    invoice = Invoice.get_or_none(Invoice.id == invoice_id)
    if invoice is None or customer is None or invoice.customer_id != customer.id:
        raise InvoiceNotFound(details={"invoice_id": invoice_id})


def _record_for_invoice(invoice_id: int, method: str, openid: str | None, user_id: int) -> PaymentRecord:
    """Reuse the open record of this invoice, method and payer for its open amount, or write one."""
    from backend.receivables.models import Invoice

    with transaction():
        invoice = locked(Invoice.select().where(Invoice.id == invoice_id)).first()
        if invoice.open_fen <= 0:
            raise InvoiceNotPayable(details={"invoice_id": invoice.id, "open_fen": invoice.open_fen})
        record = (
            PaymentRecord.select()
            .where(
                (PaymentRecord.invoice == invoice.id)
                & (PaymentRecord.status.in_(OPEN_STATUSES))
                & (PaymentRecord.amount_fen == invoice.open_fen)
                & (PaymentRecord.method == method)
                & (
                    PaymentRecord.payer_openid.is_null()
                    if openid is None
                    else PaymentRecord.payer_openid == openid
                )
            )
            .order_by(PaymentRecord.id.desc())
            .first()
        )
        if record is None:
            record_id = PaymentRecord.insert(
                out_trade_no=f"YI{invoice.id}T{secrets.token_hex(8)}"[:32],
                method=method,
                invoice=invoice.id,
                customer=invoice.customer_id,
                amount_fen=invoice.open_fen,
                status="created",
                payer_openid=openid,
                created_by=user_id,
            ).execute()
            record = PaymentRecord.get_by_id(record_id)
        return record


def start_native_collection(order_id: int, staff_id: int) -> PaymentRecord:
    """A NATIVE code_url for an order at the counter; the customer scans it with WeChat."""
    order = Order.get_or_none(Order.id == order_id)
    if order is None:
        raise OrderNotFound(details={"order_id": order_id})
    return _native_code(_record_for_order(order.id, "wechat_native", None, staff_id))


def _native_code(record: PaymentRecord) -> PaymentRecord:
    """Ask WeChat for the record's NATIVE code_url (once; a retry reuses it), outside any transaction."""
    if record.code_url is None:
        status, body = _call(
            record,
            wechat.client().pay,
            description=_description(record),
            out_trade_no=record.out_trade_no,
            amount={"total": record.amount_fen, "currency": "CNY"},
            pay_type=WeChatPayType.NATIVE,
            notify_url=wechat.notify_url(),
        )
        if status != 200 or not body.get("code_url"):
            raise _gateway_error(record, status, body)
        with transaction():
            _touch(record.id, code_url=body["code_url"], status="pending", last_error="")
        record = PaymentRecord.get_by_id(record.id)
    return record


# ---------------------------------------------------------------- settling


def merchant_problem(resource: dict[str, Any]) -> str | None:
    """A transaction not addressed to our merchant id and app is never applied."""
    settings = runtime.settings()
    if resource.get("mchid") != settings.wechatpay_mchid:
        return f"mchid {resource.get('mchid')!r} is not ours"
    if "appid" in resource and resource.get("appid") != settings.wechat_appid:
        return f"appid {resource.get('appid')!r} is not ours"
    return None


def not_success(resource: dict[str, Any]) -> bool:
    """A transaction WeChat does not say is paid: whatever the event type, money moves only on SUCCESS."""
    if resource.get("trade_state") == "SUCCESS":
        return False
    log.info("transaction %s is %s, not paid", resource.get("out_trade_no"), resource.get("trade_state"))
    return True


def _total(resource: dict[str, Any]) -> int | None:
    amount = resource.get("amount")
    total = amount.get("total") if isinstance(amount, dict) else None
    return total if type(total) is int else None


def apply_success(resource: dict[str, Any]) -> tuple[str, PaymentRecord | None]:
    """WeChat says this transaction succeeded: record it and move the money exactly once.

    Runs in the caller's transaction, under the payment record's row lock. Returns the outcome
    (applied | duplicate | unknown | refused_amount | refused_merchant | conflict | ignored |
    not_success). Only trade_state SUCCESS pays: a transaction in any other state (NOTPAY,
    USERPAYING, CLOSED, REVOKED, PAYERROR, REFUND) changes nothing here.
    """
    if not_success(resource):
        return "not_success", None
    problem = merchant_problem(resource)
    if problem:
        log.warning("refused transaction %s: %s", resource.get("out_trade_no"), problem)
        return "refused_merchant", None
    with transaction():
        record = locked(
            PaymentRecord.select().where(PaymentRecord.out_trade_no == str(resource.get("out_trade_no", "")))
        ).first()
        if record is None:
            return "unknown", None
        total = _total(resource)
        if total != record.amount_fen:
            log.warning(
                "refused transaction %s: amount %s, ours %s", record.out_trade_no, total, record.amount_fen
            )
            return "refused_amount", record
        transaction_id = str(resource.get("transaction_id") or "")
        if not transaction_id:
            return "ignored", record
        if record.status == "succeeded":
            return ("duplicate" if record.transaction_id == transaction_id else "conflict"), record
        if record.status == "reversed":
            return "ignored", record  # WeChat already gave a reversed payment-code charge back
        openid = (resource.get("payer") or {}).get("openid") or record.payer_openid
        _touch(
            record.id,
            status="succeeded",
            transaction_id=transaction_id,
            payer_openid=openid,
            succeeded_at=clock.now(),
            wechat_success_time=wechat.parse_time(resource.get("success_time")) or clock.now(),
            last_error="",
        )
        record = PaymentRecord.get_by_id(record.id)
        _move_money(record)
        return "applied", PaymentRecord.get_by_id(record.id)


# The refusals that mean "this order or invoice can no longer take this money": it was cancelled or
# paid another way (InvalidTransition), its amount due changed (AmountMismatch), or the invoice was
# settled meanwhile (PaymentExceedsOpen). Anything else is a bug or a broken invariant: it
# propagates, the notification answers an error, nothing is held or refunded, and WeChat retries.
CANNOT_TAKE_MONEY = (InvalidTransition, AmountMismatch, PaymentExceedsOpen)
# Taking a cancelled order back can also find its stock gone.
CANNOT_REOPEN = (*CANNOT_TAKE_MONEY, InsufficientStock)


def _move_money(record: PaymentRecord) -> None:
    """Feed the spine, or hold and refund the money if the order can no longer take it."""
    try:
        with savepoint():  # a refused capture leaves nothing behind
            if record.order_id is not None:
                sales.capture_payment(
                    record.order_id, record.amount_fen, "wechat", str(record.transaction_id)
                )
            else:
                chosen = allocations_of(record.id)
                on_account.collect(
                    record.customer_id,
                    record.amount_fen,
                    "wechat",
                    str(record.transaction_id),
                    invoice_ids=None if chosen else [record.invoice_id],
                    allocations=chosen or None,
                    up_to_open=True,
                )
        _touch(record.id, outcome="captured")
    except CANNOT_TAKE_MONEY as exc:
        if _take_back_cancelled_order(record):
            return
        log.warning("payment %s arrived for an order that cannot take it: %s", record.out_trade_no, exc)
        hold_and_refund(record, str(exc))


def _take_back_cancelled_order(record: PaymentRecord) -> bool:
    """With YECAI_LATE_PAYMENT_POLICY=reserve_again, a payment for an order cancelled unpaid reopens
    the order if its stock is still there and captures the money; otherwise it is refunded."""
    if runtime.settings().late_payment_policy != "reserve_again" or record.order_id is None:
        return False
    try:
        with savepoint():
            sales.reopen_cancelled_order(record.order_id)
            sales.capture_payment(record.order_id, record.amount_fen, "wechat", str(record.transaction_id))
    except CANNOT_REOPEN as exc:
        log.info("late payment %s cannot reopen order %s: %s", record.out_trade_no, record.order_id, exc)
        return False
    _touch(record.id, outcome="captured", last_error="reopened after cancel")
    return True


def hold_and_refund(record: PaymentRecord, why: str) -> RefundRecord:
    """Money with nowhere to go: Dr 1012 / Cr 2203 now, refunded in full through WeChat after commit."""
    post_entry(
        "payment.late",
        [Dr(chart.WECHAT_CLEARING, record.amount_fen), Cr(PREPAYMENTS, record.amount_fen)],
        memo=f"迟到付款 待退 {record.out_trade_no} 订单 {record.order_id}",
        source_type="payment_record",
        source_id=record.id,
    )
    _touch(record.id, outcome="late_refund", last_error=why[:255])
    from payments.refunds import create_refund_record

    return create_refund_record(record, record.amount_fen, reason="late_payment", requested_by=None)


def mark_ended(record_id: int, status: str, why: str = "") -> None:
    """An open payment that will never succeed (closed, failed, reversed)."""
    with transaction():
        record = locked(PaymentRecord.select().where(PaymentRecord.id == record_id)).first()
        if record is not None and record.status in OPEN_STATUSES:
            _touch(record_id, status=status, closed_at=clock.now(), last_error=why[:255])


# ---------------------------------------------------------------- paid through WeChat


def captured_wechat_payments(order_id: int) -> Any:
    """The order's WeChat Pay payments whose money the order took (not a late payment held and
    refunded, and never cash or a transfer, which also have records). The one definition of "paid
    through WeChat": its refunds must go back through WeChat."""
    return PaymentRecord.select().where(
        (PaymentRecord.order == order_id)
        & (PaymentRecord.method.in_(WECHAT_METHODS))
        & (PaymentRecord.status == "succeeded")
        & (PaymentRecord.outcome == "captured")
    )


def paid_with_wechat(order_id: int) -> bool:
    """Whether WeChat Pay money came in for this order (its refunds must go back through WeChat)."""
    return bool(captured_wechat_payments(order_id).exists())
