from __future__ import annotations

from backend.errors import DomainError


class InvalidCreditTerms(DomainError):
    code = "invalid_credit_terms"
    status = 422
    message_zh = "信用条件无效"
    message_en = "These credit terms are invalid"


class NoCreditChange(DomainError):
    code = "no_credit_change"
    status = 422
    message_zh = "信用条件没有变化"
    message_en = "The credit terms are unchanged"


class NotACreditCustomer(DomainError):
    code = "not_a_credit_customer"
    status = 422
    message_zh = "散客不能赊账"
    message_en = "Walk-in customers do not buy on account"


class CreditHold(DomainError):
    code = "credit_hold"
    status = 409
    message_zh = "客户有超过宽限期的逾期欠款，暂停赊销"
    message_en = "The customer has invoices overdue beyond grace: new sales on account are on hold"


class InvoiceDisputed(DomainError):
    code = "invoice_disputed"
    status = 409
    message_zh = "该发票有争议未解决，不能计收逾期利息"
    message_en = "This invoice is disputed: no late interest is charged on it until the dispute is settled"


class NothingToCharge(DomainError):
    code = "no_late_interest"
    status = 422
    message_zh = "没有可计收的逾期利息"
    message_en = "There is no late interest to charge"


class NothingToWaive(DomainError):
    code = "nothing_to_waive"
    status = 409
    message_zh = "这笔利息已结清或已减免，无可减免"
    message_en = "Nothing of this interest is open to waive"


class WriteOffExceedsOpen(DomainError):
    code = "write_off_exceeds_open"
    status = 409
    message_zh = "核销金额超过未结金额"
    message_en = "The write-off is larger than what is open on the invoice"


class AlreadyWrittenOff(DomainError):
    code = "already_written_off"
    status = 409
    message_zh = "该发票已核销过"
    message_en = "This invoice has already been written off"


class InvalidWriteOff(DomainError):
    code = "invalid_write_off"
    status = 422
    message_zh = "核销申请有误"
    message_en = "The write-off is invalid"


class RecoveryExceedsWrittenOff(DomainError):
    code = "recovery_exceeds_written_off"
    status = 409
    message_zh = "收回金额超过已核销未收回的金额"
    message_en = "The recovery is larger than what was written off and not yet recovered"


class InvalidWarningThresholds(DomainError):
    code = "invalid_warning_thresholds"
    status = 422
    message_zh = "预警阈值无效"
    message_en = "These warning thresholds are invalid"
