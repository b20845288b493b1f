from __future__ import annotations

from backend.errors import DomainError


class UnbalancedEntry(DomainError):
    code = "unbalanced_entry"
    status = 500  # a bug in the caller, never the user's fault
    message_zh = "凭证借贷不平"
    message_en = "The journal entry does not balance"


class UnknownAccount(DomainError):
    code = "unknown_account"
    status = 500
    message_zh = "科目不存在"
    message_en = "Unknown account code"
