from __future__ import annotations

from backend.errors import DomainError


class CreditLimitExceeded(DomainError):
    code = "credit_limit_exceeded"
    status = 409
    message_zh = "超出客户信用额度"
    message_en = "This sale would exceed the customer's credit limit"


class PaymentExceedsOpen(DomainError):
    code = "payment_exceeds_open"
    status = 409
    message_zh = "收款金额超过未结金额"
    message_en = "The payment is larger than what is open"


class PaymentReferenceReused(DomainError):
    code = "payment_reference_reused"
    status = 409
    message_zh = "该支付单号已用于另一笔收款"
    message_en = "This payment reference was already used for a different payment"


class InvalidAmount(DomainError):
    code = "invalid_amount"
    status = 422
    message_zh = "金额无效"
    message_en = "The amount is invalid"


class InvalidPaymentMethod(DomainError):
    code = "invalid_payment_method"
    status = 422
    message_zh = "不支持的收款方式"
    message_en = "Unknown payment method"


class UnknownCustomer(DomainError):
    code = "unknown_customer"
    status = 404
    message_zh = "客户不存在"
    message_en = "No such customer"


class UnknownInvoice(DomainError):
    code = "unknown_invoice"
    status = 404
    message_zh = "发票不存在"
    message_en = "No such invoice"


class AdjustmentExceedsOpen(DomainError):
    code = "adjustment_exceeds_open"
    status = 409
    message_zh = "调整金额超过发票未结金额"
    message_en = "The adjustment is larger than what is open on the invoice"


class InvalidAdjustment(DomainError):
    code = "invalid_adjustment"
    status = 422
    message_zh = "调整无效"
    message_en = "This adjustment is invalid"


class InvalidAgingBuckets(DomainError):
    code = "invalid_buckets"
    status = 422
    message_zh = "账龄分段无效：请给出递增的正整数天数，例如 30,60,90，最多 8 个"
    message_en = "Aging buckets must be ascending positive whole days, such as 30,60,90, at most 8"


class AllocationExceedsPayment(DomainError):
    code = "allocation_exceeds_payment"
    status = 422
    message_zh = "分配到账单的金额合计超过收款金额"
    message_en = "The amounts allocated to invoices add up to more than the payment"


class AllocationExceedsOpen(DomainError):
    code = "allocation_exceeds_open"
    status = 409
    message_zh = "分配金额超过该账单的未结金额"
    message_en = "An amount allocated to an invoice is more than the invoice has open"


class InvoiceNotOfCustomer(DomainError):
    code = "invoice_not_of_customer"
    status = 422
    message_zh = "账单不属于该客户"
    message_en = "The invoice is not one of this customer's"


class DuplicateAllocation(DomainError):
    code = "duplicate_allocation"
    status = 422
    message_zh = "同一账单在一笔收款中只能分配一次"
    message_en = "An invoice appears twice in one payment's allocations"


class AdvanceInsufficient(DomainError):
    code = "advance_insufficient"
    status = 409
    message_zh = "客户预收余额不足"
    message_en = "The customer's unapplied credit is less than the amount to apply"


class BatchReferenceReused(DomainError):
    code = "batch_reference_reused"
    status = 409
    message_zh = "该批次号已用于内容不同的另一批收款"
    message_en = "This batch reference was already used for a batch with different content"


class InvalidBatch(DomainError):
    code = "invalid_batch"
    status = 422
    message_zh = "批量收款内容无效"
    message_en = "The batch of collections is invalid"
