"""`Idempotency-Key` for creating POSTs: replay the stored response, 409 on a key reused for another body.

The key is claimed, the view runs, and the response is stored, all in one transaction with the
business change. An error response rolls everything back (nothing happened, so a retry with the
same key may run again); a concurrent twin waits on the claim and then replays.
"""

from __future__ import annotations

import functools
import json
from collections.abc import Callable
from typing import Any, TypeVar

import peewee as pw
from flask import Response, g, request

from backend import idempotency
from backend.db import transaction
from backend.errors import DomainError, ValidationFailed

F = TypeVar("F", bound=Callable[..., Any])
HEADER = "Idempotency-Key"
MAX_KEY_LENGTH = 255

KEY_PARAMETER = {
    "in": "header",
    "name": HEADER,
    "required": True,
    "schema": {"type": "string", "maxLength": MAX_KEY_LENGTH},
    "description": "A unique key per intended operation (e.g. a UUID). Retrying with the same key "
    "replays the first response; the same key with a different body is a 409.",
}


class IdempotencyKeyRequired(DomainError):
    code = "idempotency_key_required"
    status = 400
    message_zh = "创建类请求必须带 Idempotency-Key 请求头"
    message_en = "This request needs an Idempotency-Key header"


class _Rollback(Exception):
    def __init__(self, response: Response) -> None:
        self.response = response


def _replay(record: idempotency.IdempotencyRecord) -> Response:
    response = Response(record.response_body, status=record.status_code, mimetype="application/json")
    response.headers["Idempotent-Replayed"] = "true"
    return response


def idempotent(view: F) -> F:
    @functools.wraps(view)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        key = request.headers.get(HEADER, "").strip()
        if not key:
            raise IdempotencyKeyRequired()
        if len(key) > MAX_KEY_LENGTH:
            raise ValidationFailed("Idempotency-Key is too long", "Idempotency-Key 过长")
        scope = f"user:{g.user.id}" if getattr(g, "user", None) is not None else "anonymous"
        fingerprint = idempotency.request_fingerprint(request.method, request.path, request.get_data())
        # No look-up first: the common case is a new key, and a used key makes the claim fail with
        # IntegrityError, after which the stored response is replayed (or 409 for another body).
        try:
            with transaction():
                record_id = idempotency.claim(scope, key, fingerprint)
                response = view(*args, **kwargs)
                if not isinstance(response, Response):
                    raise TypeError("idempotent views must return a Response")
                if response.status_code >= 400:
                    raise _Rollback(response)
                idempotency.complete(record_id, response.status_code, response.get_data(as_text=True))
                return response
        except _Rollback as rollback:
            return rollback.response
        except pw.IntegrityError:
            # A twin request with this key committed first: replay it (or 409 if its body differed).
            stored = idempotency.find(scope, key, fingerprint)
            if stored is None:
                raise
            return _replay(stored)

    doc = wrapper.__dict__.setdefault("_apidoc", {}).setdefault("manual_doc", {})
    doc.setdefault("parameters", []).append(KEY_PARAMETER)
    return wrapper  # type: ignore[return-value]


def dumps(body: Any) -> str:
    return json.dumps(body, ensure_ascii=False)
