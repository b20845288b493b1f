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
