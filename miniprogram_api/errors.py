"""The one error shape for every 4xx/5xx:

    {"error": {"code": "not_found", "message": "未找到 / Not found",
               "message_zh": "未找到", "message_en": "Not found", "details": {}}}

`code` is stable and meant for machines; the messages are for people.
"""

from __future__ import annotations

import logging
from typing import Any

import marshmallow as ma
import peewee
import redis.exceptions
from flask import Flask, Response, jsonify
from werkzeug.exceptions import HTTPException

from backend.errors import DomainError, InternalError, TooManyRequests

log = logging.getLogger(__name__)

# status -> (code, 中文, English) for errors raised by the web stack itself.
_HTTP_ERRORS: dict[int, tuple[str, str, str]] = {
    400: ("bad_request", "请求格式错误", "The request is malformed"),
    401: ("unauthenticated", "请先登录", "Authentication required"),
    403: ("forbidden", "没有权限执行此操作", "You are not allowed to do this"),
    404: ("not_found", "未找到", "Not found"),
    405: ("method_not_allowed", "不支持该请求方法", "This method is not allowed here"),
    409: ("conflict", "与当前状态冲突", "Conflicts with the current state"),
    413: ("payload_too_large", "请求内容过大", "The request body is too large"),
    415: ("unsupported_media_type", "请使用 JSON 格式", "Send the body as application/json"),
    422: ("validation_failed", "输入有误", "The input is invalid"),
    429: ("too_many_requests", "请求过于频繁", "Too many requests"),
    500: ("internal_error", "服务器内部错误", "Internal server error"),
}


class ErrorBodySchema(ma.Schema):
    code = ma.fields.String(required=True, metadata={"description": "stable machine-readable code"})
    message = ma.fields.String(required=True, metadata={"description": "中文 / English"})
    message_zh = ma.fields.String(required=True)
    message_en = ma.fields.String(required=True)
    details = ma.fields.Dict()


class ErrorSchema(ma.Schema):
    error = ma.fields.Nested(ErrorBodySchema, required=True)


def error_response(
    status: int, code: str, message_zh: str, message_en: str, details: dict[str, Any] | None = None
) -> Response:
    body = {
        "error": {
            "code": code,
            "message": f"{message_zh} / {message_en}",
            "message_zh": message_zh,
            "message_en": message_en,
            "details": details or {},
        }
    }
    response = jsonify(body)
    response.status_code = status
    return response


def from_domain_error(exc: DomainError) -> Response:
    response = error_response(exc.status, exc.code, exc.message_zh, exc.message_en, exc.details)
    if isinstance(exc, TooManyRequests):
        response.headers["Retry-After"] = str(exc.retry_after)
    return response


def from_http_exception(exc: HTTPException) -> Response:
    status = exc.code or 500
    code, zh, en = _HTTP_ERRORS.get(status, (f"http_{status}", "请求失败", exc.name))
    details: dict[str, Any] = {}
    data = getattr(exc, "data", None) or {}
    messages = data.get("messages")
    if isinstance(getattr(exc, "exc", None), ValueError) and status == 400:
        # webargs could not parse the body as JSON.
        code, zh, en = "malformed_json", "请求体不是有效的 JSON", "The request body is not valid JSON"
    elif messages:
        details["fields"] = messages
    response = error_response(status, code, zh, en, details)
    allowed = getattr(exc, "valid_methods", None)
    if status == 405 and allowed:
        response.headers["Allow"] = ", ".join(allowed)
    return response


def internal_error() -> Response:
    """A bug (an `InternalError` or anything unexpected): logged with its details, answered without."""
    log.exception("internal error")
    code, zh, en = _HTTP_ERRORS[500]
    return error_response(500, code, zh, en)


# A store the request needs is out of reach for now: PostgreSQL restarting, its connection lost mid-
# request, a deadlock or serialization failure it rolled back, Redis (sessions' rate limits, the job
# queue) down. Nothing was committed, so the same request with the same Idempotency-Key may simply
# be sent again.
UNAVAILABLE: tuple[type[Exception], ...] = (
    peewee.OperationalError,
    peewee.InterfaceError,
    redis.exceptions.ConnectionError,
    redis.exceptions.TimeoutError,
)
RETRY_AFTER_SECONDS = 2


def unavailable(exc: Exception) -> Response:
    log.warning("service unavailable: %s: %s", type(exc).__name__, str(exc).strip()[:300])
    response = error_response(
        503,
        "service_unavailable",
        "服务暂时不可用，请用同一个 Idempotency-Key 稍后重试",
        "Temporarily unavailable; retry shortly with the same Idempotency-Key",
        {"retry_after_seconds": RETRY_AFTER_SECONDS},
    )
    response.headers["Retry-After"] = str(RETRY_AFTER_SECONDS)
    return response


def register(app: Flask) -> None:
    app.register_error_handler(DomainError, from_domain_error)
    app.register_error_handler(HTTPException, from_http_exception)
    for kind in UNAVAILABLE:
        app.register_error_handler(kind, unavailable)

    @app.errorhandler(InternalError)
    @app.errorhandler(Exception)
    def unexpected(exc: Exception) -> Response:
        return internal_error()
