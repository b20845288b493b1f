"""Payments over HTTP: mini-program checkout, staff collection (NATIVE QR, payment code), WeChat
refunds, and the owner's reconciliation reports. Thin: parse, authorize, call payments.*.

Checkout and collection answer 200, not 201: they are idempotent by nature (one open WeChat
transaction per order and method, reused on every call), so they need no Idempotency-Key.
"""

from __future__ import annotations

import datetime as dt
import io
from typing import Any

import marshmallow as ma
import qrcode
from flask import Response, url_for

from miniprogram_api.api import Blueprint
from miniprogram_api.fields import ComputedNested
from miniprogram_api.idempotency import idempotent
from miniprogram_api.security import STAFF, access, current_user
from miniprogram_api.throttling import costly
from miniprogram_api.timestamps import Timestamp
from payments import codepay, offline, reconciliation, refunds, services
from payments.errors import PaymentNotFound, ReportNotFound
from payments.models import PaymentRecord, ReconciliationDifference, ReconciliationReport, RefundRecord

blp = Blueprint("payments", __name__, url_prefix="/api", description="支付 Payments and refunds")


class PaymentOut(ma.Schema):
    id = ma.fields.Integer()
    out_trade_no = ma.fields.String()
    method = ma.fields.String()
    order_id = ma.fields.Integer(allow_none=True)
    amount_fen = ma.fields.Integer()
    status = ma.fields.String()
    outcome = ma.fields.String()
    transaction_id = ma.fields.String(allow_none=True)
    refunded_fen = ma.fields.Integer()
    created_at = Timestamp()
    succeeded_at = Timestamp(allow_none=True)


class RequestPaymentOut(ma.Schema):
    appId = ma.fields.String()
    timeStamp = ma.fields.String()
    nonceStr = ma.fields.String()
    package = ma.fields.String()
    signType = ma.fields.String()
    paySign = ma.fields.String()


class CheckoutOut(ma.Schema):
    payment = ma.fields.Nested(PaymentOut)
    request_payment = ma.fields.Nested(RequestPaymentOut, metadata={"description": "wx.requestPayment(...)"})


class NativeOut(ma.Schema):
    payment = ma.fields.Nested(PaymentOut)
    code_url = ma.fields.String()
    qr_png_url = ma.fields.String()


class CodepayIn(ma.Schema):
    auth_code = ma.fields.String(required=True, validate=ma.validate.Regexp(r"^\d{16,24}$"))


class WechatRefundIn(ma.Schema):
    amount_fen = ma.fields.Integer(load_default=None, strict=True, metadata={"description": "omit: all"})


class WechatRefundOut(ma.Schema):
    id = ma.fields.Integer()
    out_refund_no = ma.fields.String()
    payment_id = ma.fields.Integer()
    order_id = ma.fields.Integer(allow_none=True)
    amount_fen = ma.fields.Integer()
    reason = ma.fields.String()
    status = ma.fields.String()
    created_at = Timestamp()
    completed_at = Timestamp(allow_none=True)


class ReconcileIn(ma.Schema):
    bill_date = ma.fields.Date(required=True)


class DifferenceOut(ma.Schema):
    kind = ma.fields.String()
    out_trade_no = ma.fields.String()
    out_refund_no = ma.fields.String()
    wechat_amount_fen = ma.fields.Integer(allow_none=True)
    our_amount_fen = ma.fields.Integer(allow_none=True)
    wechat_status = ma.fields.String()
    our_status = ma.fields.String()
    detail = ma.fields.String()


class ReportOut(ma.Schema):
    bill_date = ma.fields.Date()
    wechat_rows = ma.fields.Integer()
    our_rows = ma.fields.Integer()
    wechat_paid_fen = ma.fields.Integer()
    wechat_refunded_fen = ma.fields.Integer()
    difference_count = ma.fields.Integer()
    ran_at = Timestamp()
    differences = ComputedNested(
        DifferenceOut,
        many=True,
        compute=lambda report: report.differences.order_by(ReconciliationDifference.id),
    )


@blp.route("/orders/<int:order_id>/wechat-checkout", methods=["POST"])
@access("customer", "distributor")
@costly("wechat-checkout")
@blp.response(200, CheckoutOut)
def wechat_checkout(order_id: int) -> Any:
    """微信支付下单 JSAPI transaction for your own pending order; returns wx.requestPayment params."""
    checkout = services.start_jsapi_checkout(order_id, current_user().id)
    return {"payment": checkout.payment, "request_payment": checkout.params}


@blp.route("/invoices/<int:invoice_id>/wechat-checkout", methods=["POST"])
@access("distributor", "customer")
@costly("invoice-wechat-checkout")
@blp.response(200, CheckoutOut)
def wechat_invoice_checkout(invoice_id: int) -> Any:
    """微信支付账单 Pay what is open on your own invoice with WeChat; returns wx.requestPayment params."""
    checkout = services.start_jsapi_invoice_checkout(invoice_id, current_user().id)
    return {"payment": checkout.payment, "request_payment": checkout.params}


class InvoicePartIn(ma.Schema):
    invoice_id = ma.fields.Integer(required=True, strict=True)
    amount_fen = ma.fields.Integer(
        required=True, strict=True, metadata={"description": "at most what it has open"}
    )


class InvoicesPaymentIn(ma.Schema):
    allocations = ma.fields.List(
        ma.fields.Nested(InvoicePartIn),
        required=True,
        validate=ma.validate.Length(min=1, max=services.MAX_INVOICES_PER_PAYMENT),
        metadata={"description": "your invoices, each with the amount to pay on it (part of one allowed)"},
    )


def allocation_pairs(data: dict[str, Any]) -> list[tuple[int, int]]:
    return [(a["invoice_id"], a["amount_fen"]) for a in data["allocations"]]


class AllocationOut(ma.Schema):
    invoice_id = ma.fields.Integer()
    amount_fen = ma.fields.Integer()


class InvoicesCheckoutOut(CheckoutOut):
    allocations = ma.fields.List(ma.fields.Nested(AllocationOut))


def allocations_out(record: PaymentRecord) -> list[dict[str, int]]:
    return [{"invoice_id": i, "amount_fen": a} for i, a in services.allocations_of(record.id)]


@blp.route("/my/invoices/wechat-checkout", methods=["POST"])
@access("distributor", "customer")
@costly("invoice-wechat-checkout")
@blp.arguments(InvoicesPaymentIn)
@blp.response(200, InvoicesCheckoutOut)
def wechat_invoices_checkout(data: dict[str, Any]) -> Any:
    """微信支付多张账单 Pay the invoices you choose, each with the amount you choose (part of an invoice
    allowed), in one WeChat payment (JSAPI). Each invoice takes its amount when WeChat confirms; what
    an invoice settled meanwhile can no longer take is kept as your credit (预收)."""
    checkout = services.start_jsapi_invoices_checkout(allocation_pairs(data), current_user().id)
    return {
        "payment": checkout.payment,
        "request_payment": checkout.params,
        "allocations": allocations_out(checkout.payment),
    }


class OfflinePaymentIn(ma.Schema):
    method = ma.fields.String(required=True, validate=ma.validate.OneOf(offline.OFFLINE_METHODS))
    amount_fen = ma.fields.Integer(required=True, strict=True)
    deliver_later = ma.fields.Boolean(
        load_default=False,
        metadata={"description": "a counter order's goods stay reserved instead of leaving now"},
    )


@blp.route("/orders/<int:order_id>/offline-payments", methods=["POST"])
@access(*STAFF)
@idempotent
@blp.arguments(OfflinePaymentIn)
@blp.response(201, PaymentOut)
def offline_payment(data: dict[str, Any], order_id: int) -> Any:
    """现金/转账收款 Record the order's amount due received in cash or by bank transfer; a counter
    order's goods are handed over with it unless `deliver_later`."""
    return offline.record_offline_payment(
        order_id,
        data["method"],
        data["amount_fen"],
        staff_id=current_user().id,
        deliver_later=data["deliver_later"],
    )


@blp.route("/orders/<int:order_id>/wechat-native", methods=["POST"])
@access(*STAFF)
@costly("wechat-native")
@blp.response(200, NativeOut)
def wechat_native(order_id: int) -> Any:
    """收款码 A NATIVE WeChat QR for the order, for the customer to scan."""
    record = services.start_native_collection(order_id, current_user().id)
    return {
        "payment": record,
        "code_url": record.code_url,
        "qr_png_url": url_for("payments.payment_qr", payment_id=record.id),
    }


@blp.route("/payments/<int:payment_id>/qr.png", methods=["GET"])
@access(*STAFF)
@blp.binary_response("image/png", "二维码 PNG")
def payment_qr(payment_id: int) -> Response:
    """收款二维码图片 The NATIVE code_url as a PNG QR image."""
    record = PaymentRecord.get_or_none(PaymentRecord.id == payment_id)
    if record is None or not record.code_url:
        raise PaymentNotFound(details={"payment_id": payment_id})
    image = qrcode.make(record.code_url)
    out = io.BytesIO()
    image.save(out)
    return Response(out.getvalue(), mimetype="image/png")


@blp.route("/orders/<int:order_id>/payment-code", methods=["POST"])
@access(*STAFF)
@costly("payment-code")
@blp.arguments(CodepayIn)
@blp.response(200, PaymentOut)
def payment_code(data: dict[str, Any], order_id: int) -> Any:
    """扫付款码收款 Charge the customer's payment code; waits for the password if WeChat asks."""
    return codepay.collect_with_payment_code(order_id, data["auth_code"], staff_id=current_user().id)


@blp.route("/orders/<int:order_id>/wechat-refunds", methods=["POST"])
@access(*STAFF)
@idempotent
@blp.arguments(WechatRefundIn)
@blp.response(201, WechatRefundOut)
def wechat_refund(data: dict[str, Any], order_id: int) -> Any:
    """微信退款 Refund all or part of the order's WeChat payment (completed when WeChat confirms)."""
    return refunds.request_refund(order_id, data["amount_fen"], requested_by=current_user().id)


@blp.route("/payments/refunds/<int:refund_id>", methods=["GET"])
@access(*STAFF)
@blp.response(200, WechatRefundOut)
def get_refund(refund_id: int) -> Any:
    """退款详情 One WeChat refund."""
    refund = RefundRecord.get_or_none(RefundRecord.id == refund_id)
    if refund is None:
        raise PaymentNotFound(details={"refund_id": refund_id})
    return refund


@blp.route("/payments/reconciliations", methods=["POST"])
@access("owner")
@blp.arguments(ReconcileIn)
@blp.response(200, ReportOut)
def run_reconciliation(data: dict[str, Any]) -> Any:
    """对账 Reconcile one day's WeChat trade bill now (re-running replaces that day's report)."""
    return reconciliation.reconcile(data["bill_date"])


@blp.route("/payments/reconciliations/<string:bill_date>", methods=["GET"])
@access("owner")
@blp.response(200, ReportOut)
def get_reconciliation(bill_date: str) -> Any:
    """对账报告 The stored reconciliation report of a day (YYYY-MM-DD), with every difference."""
    try:
        day = dt.date.fromisoformat(bill_date)
    except ValueError:
        raise ReportNotFound(details={"bill_date": bill_date}) from None
    report = ReconciliationReport.get_or_none(ReconciliationReport.bill_date == day)
    if report is None:
        raise ReportNotFound(details={"bill_date": bill_date})
    return report
