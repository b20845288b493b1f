"""Domain errors: a stable machine `code`, an HTTP status, and a message in Chinese and English.

Every domain package subclasses `DomainError` in its own `errors.py`. The HTTP layer turns any
`DomainError` into the one JSON error shape; domain code never knows about HTTP beyond the status
number it suggests.
"""

from __future__ import annotations

from typing import Any

from backend.db import in_transaction


class DomainError(Exception):
    code = "domain_error"
    status = 400
    message_zh = "请求无法处理"
    message_en = "The request cannot be processed"

    def __init__(
        self,
        message_en: str | None = None,
        message_zh: str | None = None,
        *,
        code: str | None = None,
        status: int | None = None,
        details: dict[str, Any] | None = None,
    ) -> None:
        if message_en is not None:
            self.message_en = message_en
        if message_zh is not None:
            self.message_zh = message_zh
        if code is not None:
            self.code = code
        if status is not None:
            self.status = status
        self.details = details or {}
        super().__init__(f"{self.code}: {self.message_en}")


class NotFound(DomainError):
    code = "not_found"
    status = 404
    message_zh = "未找到"
    message_en = "Not found"


class Conflict(DomainError):
    code = "conflict"
    status = 409
    message_zh = "与当前状态冲突"
    message_en = "Conflicts with the current state"


class PermissionDenied(DomainError):
    code = "forbidden"
    status = 403
    message_zh = "没有权限执行此操作"
    message_en = "You are not allowed to do this"


class ValidationFailed(DomainError):
    code = "validation_failed"
    status = 422
    message_zh = "输入有误"
    message_en = "The input is invalid"


class TooManyRequests(DomainError):
    """Refused for now, not for good: `retry_after` seconds on, the same request may succeed
    (the HTTP layer sends it as the Retry-After header and in `details`)."""

    code = "too_many_requests"
    status = 429
    message_zh = "请求过于频繁，请稍后再试"
    message_en = "Too many requests; try again later"

    def __init__(self, retry_after: int, **kwargs: Any) -> None:
        self.retry_after = retry_after
        details = {**kwargs.pop("details", {}), "retry_after_seconds": retry_after}
        super().__init__(details=details, **kwargs)


class InternalError(Exception):
    """A bug or a broken invariant, never a refusal of the user's request.

    Deliberately not a `DomainError`: code that handles refusals ("the order can no longer take this
    money") must never catch a bug and carry on. The HTTP layer answers 500 `internal_error` without
    the details (they are logged), and a job that raises one is retried and then left for a person.
    """

    message = "Internal error"

    def __init__(self, message: str | None = None, *, details: dict[str, Any] | None = None) -> None:
        if message is not None:
            self.message = message
        self.details = details or {}
        super().__init__(f"{self.message} {self.details}" if self.details else self.message)


class OutsideCallInTransaction(InternalError):
    """A call leaving the process (WeChat, printing, messages) was made with a transaction open:
    a slow remote side would hold row locks. Commit first, call after, or use the outbox."""

    message = "An outside call was made inside an open transaction"


def refuse_inside_transaction(what: str) -> None:
    """Raise `OutsideCallInTransaction` if this thread has a transaction open; every client that
    leaves the process calls this before each request."""
    if in_transaction():
        raise OutsideCallInTransaction(f"{what} called inside an open transaction")
