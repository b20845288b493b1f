"""`Idempotency-Key` for creating POSTs: replay the stored response, 409 on a key reused for another body.

`@idempotent`: the key is claimed, the view runs, and the response is stored, all in one
transaction with the business change. An error response rolls everything back (nothing happened,
so a retry with the same key may run again); a concurrent twin waits on the claim and then replays.

`@idempotent_then(finish)`, for a view whose answer needs WeChat (a prepay): nothing may leave
the database while a transaction is open, so the view makes its change and answers `Unfinished`
with the state `finish` needs. The claim commits with the change (parked), `finish(state)` runs
with no transaction open, and its answer is stored. A retry of a parked key (a crash, a timeout,
a twin) runs `finish` on the same state, so it completes the same payment instead of ordering
again; once an answer is stored every retry replays it byte for byte.
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
from backend.faults import crash_point

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


class Unfinished(Response):
    """The view's change is made; its answer comes from `finish(state)` after commit.

    A Response (202, the state as body) so that it passes through flask-smorest's response
    decorator untouched on its way to `idempotent_then`.
    """

    def __init__(self, state: dict[str, Any]) -> None:
        super().__init__(dumps(state), status=202, mimetype="application/json")
        self.state = state


class _Rollback(Exception):
    def __init__(self, response: Response) -> None:
        self.response = response


def _replay(record: idempotency.IdempotencyRecord) -> Response:
    response = Response(record.response_body, status=record.status_code, mimetype="application/json")
    response.headers["Idempotent-Replayed"] = "true"
    return response


Finish = Callable[[dict[str, Any]], Response]


def idempotent(view: F) -> F:
    return _wrap(view, None)


def idempotent_then(finish: Finish) -> Callable[[F], F]:
    """For a view that answers `Unfinished(state)`: `finish(state)` runs after commit."""
    return lambda view: _wrap(view, finish)


def _wrap(view: F, finish: Finish | None) -> F:
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
                crash_point("request.claimed")
                response = view(*args, **kwargs)
                if not isinstance(response, Response):
                    raise TypeError("idempotent views must return a Response")
                if response.status_code >= 400:
                    raise _Rollback(response)
                if isinstance(response, Unfinished):
                    if finish is None:
                        raise TypeError("a view answering Unfinished needs @idempotent_then(finish)")
                    idempotency.park(record_id, response.get_data(as_text=True))
                else:
                    idempotency.complete(record_id, response.status_code, response.get_data(as_text=True))
                crash_point("request.before_commit")
            if not isinstance(response, Unfinished):
                crash_point("request.committed")  # the change is durable, the answer not yet sent
                return response
            crash_point("request.parked")
        except _Rollback as rollback:
            return rollback.response
        except pw.IntegrityError:
            # A twin request with this key committed first: replay it (or 409 if its body differed).
            stored = idempotency.find(scope, key, fingerprint)
            if stored is None:
                raise
            if stored.status_code != idempotency.PARKED or finish is None:
                return _replay(stored)
            record_id, response = stored.id, Unfinished(json.loads(stored.response_body))
        assert finish is not None  # only a parked claim gets here
        return _finish(record_id, response.state, finish)

    doc = wrapper.__dict__.setdefault("_apidoc", {}).setdefault("manual_doc", {})
    doc.setdefault("parameters", []).append(KEY_PARAMETER)
    return wrapper  # type: ignore[return-value]


def _finish(record_id: int, state: dict[str, Any], finish: Finish) -> Response:
    """Run `finish` with no transaction open and store its answer (or replay a twin's).

    An error answer is not stored: the change is committed, so the key stays parked and a retry
    with it finishes the same request (WeChat dedupes a prepay by out_trade_no).
    """
    response = finish(state)
    if response.status_code >= 400:
        return response
    crash_point("request.finished")  # WeChat answered; the answer is not stored yet
    with transaction():
        stored = idempotency.complete_parked(record_id, response.status_code, response.get_data(as_text=True))
    if stored.response_body != response.get_data(as_text=True):
        return _replay(stored)  # a twin finished first: everyone gets its answer
    return response


def dumps(body: Any) -> str:
    return json.dumps(body, ensure_ascii=False)
