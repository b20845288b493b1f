"""Domain errors: a stable machine `code`, an HTTP status, and a message in Chinese and English.

Every domain package subclasses `DomainError` in its own `errors.py`. The HTTP layer turns any
`DomainError` into the one JSON error shape; domain code never knows about HTTP beyond the status
number it suggests.
"""

from __future__ import annotations

from typing import Any


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
