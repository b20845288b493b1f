"""Errors of the payments domain, each with a stable `code` the mini-program can branch on."""

from __future__ import annotations

from backend.errors import DomainError


class PaymentNotFound(DomainError):
    code = "payment_not_found"
    status = 404
    message_zh = "支付记录不存在"
    message_en = "No such payment"


class OrderNotPayable(DomainError):
    code = "order_not_payable"
    status = 409
    message_zh = "订单当前状态不能支付"
    message_en = "The order is not waiting for payment"


class NoWechatIdentity(DomainError):
    code = "no_wechat_identity"
    status = 409
    message_zh = "当前账号未绑定微信，无法使用微信支付"
    message_en = "This login has no WeChat identity to pay with"


class PaymentGatewayError(DomainError):
    """WeChat answered with an error or could not be reached; nothing was charged by us."""

    code = "payment_gateway_error"
    status = 502
    message_zh = "微信支付暂时不可用，请稍后再试"
    message_en = "WeChat Pay could not process the request"


class PaymentCodeFailed(DomainError):
    code = "payment_code_failed"
    status = 409
    message_zh = "付款码支付失败"
    message_en = "The payment-code charge failed"


class NoWechatPayment(DomainError):
    code = "no_wechat_payment"
    status = 409
    message_zh = "该订单没有可退的微信支付"
    message_en = "The order has no captured WeChat payment to refund"


class RefundTooLarge(DomainError):
    code = "refund_exceeds_paid"
    status = 409
    message_zh = "退款金额超过可退金额"
    message_en = "The refund is larger than what can still be refunded"


class InvalidRefundAmount(DomainError):
    code = "invalid_amount"
    status = 422
    message_zh = "退款金额必须是正整数（分）"
    message_en = "The refund amount must be a positive number of fen"


class ReportNotFound(DomainError):
    code = "reconciliation_not_found"
    status = 404
    message_zh = "该日没有对账报告"
    message_en = "No reconciliation report for that day"


class BillFormatError(DomainError):
    code = "bill_format_error"
    status = 502
    message_zh = "微信账单格式无法解析"
    message_en = "The WeChat bill could not be parsed"


class InvoiceNotFound(DomainError):
    code = "invoice_not_found"
    status = 404
    message_zh = "账单不存在"
    message_en = "No such invoice"


class InvoiceNotPayable(DomainError):
    code = "invoice_not_payable"
    status = 409
    message_zh = "该账单没有待付金额"
    message_en = "Nothing is open on this invoice"


class InvalidOfflinePayment(DomainError):
    code = "invalid_payment"
    status = 422
    message_zh = "线下收款的方式或金额无效"
    message_en = "The method or amount of the offline payment is invalid"


class BillNotAvailable(DomainError):
    code = "bill_not_available"
    status = 422
    message_zh = "微信拒绝提供该日账单（日期晚于今天或格式错误）"
    message_en = "WeChat refuses the bill for that day (after today or malformed)"
