from __future__ import annotations

from backend.errors import DomainError


class UnknownSku(DomainError):
    code = "unknown_sku"
    status = 422
    message_zh = "商品规格不存在或已停售"
    message_en = "Unknown or inactive SKU"


class UnknownWarehouse(DomainError):
    code = "unknown_warehouse"
    status = 422
    message_zh = "仓库不存在"
    message_en = "Unknown warehouse"


class UnknownProduct(DomainError):
    code = "unknown_product"
    status = 422
    message_zh = "商品不存在"
    message_en = "Unknown product"


class OrderNotFound(DomainError):
    code = "order_not_found"
    status = 404
    message_zh = "订单不存在"
    message_en = "No such order"


class EmptyOrder(DomainError):
    code = "empty_order"
    status = 422
    message_zh = "订单至少需要一行商品"
    message_en = "An order needs at least one line"


class TooManyLines(DomainError):
    code = "too_many_lines"
    status = 422
    message_zh = "订单行数过多"
    message_en = "The order has too many lines"


class InvalidTransition(DomainError):
    code = "invalid_transition"
    status = 409
    message_zh = "订单当前状态不允许此操作"
    message_en = "The order's status does not allow this"


class AmountMismatch(DomainError):
    code = "amount_mismatch"
    status = 409
    message_zh = "支付金额与订单应付金额不符"
    message_en = "The amount paid differs from the amount due"


class RefundExceedsPaid(DomainError):
    code = "refund_exceeds_paid"
    status = 409
    message_zh = "退款金额超过已付金额"
    message_en = "The refund is larger than what was paid"


class DuplicateBarcode(DomainError):
    code = "duplicate_barcode"
    status = 409
    message_zh = "条码已存在"
    message_en = "This barcode is already used"


class DuplicateWarehouse(DomainError):
    code = "duplicate_warehouse"
    status = 409
    message_zh = "仓库编码已存在"
    message_en = "This warehouse code is already used"


class CustomerLinkTaken(DomainError):
    code = "customer_link_taken"
    status = 409
    message_zh = "该账号已关联其他客户"
    message_en = "This user is already linked to another customer"


class InvalidCustomer(DomainError):
    code = "invalid_customer"
    status = 422
    message_zh = "客户信息无效"
    message_en = "The customer details are invalid"


class InvalidReturn(DomainError):
    code = "invalid_return"
    status = 422
    message_zh = "退货数量无效：只能退回已发出且尚未退回的商品"
    message_en = "Only units that were shipped and have not come back yet can be returned"


class AmountTooLarge(DomainError):
    code = "amount_too_large"
    status = 422
    message_zh = "订单金额超出上限"
    message_en = "The order total is over the limit"


class CustomerWithoutWechat(DomainError):
    code = "customer_without_wechat"
    status = 409
    message_zh = "该客户没有绑定微信，请打印或转发小票"
    message_en = "This customer has no WeChat login: print or share the receipt instead"
