"""Who is asking from where, and the rate limit on costly endpoints (WeChat login, checkout,
payment starts): each of them calls WeChat or locks stock, so one caller cannot flood them.

The client address is the socket's, unless YECAI_TRUSTED_PROXIES says nginx stands in front: then
backend.app's ProxyFix has already taken it from X-Forwarded-For that many hops deep.
"""

from __future__ import annotations

import functools
from collections.abc import Callable
from typing import Any, TypeVar

from flask import g, request

from backend import runtime
from backend.errors import TooManyRequests

F = TypeVar("F", bound=Callable[..., Any])

MINUTE = 60


def client_address() -> str:
    return request.remote_addr or "unknown"


def documents_429(why: str) -> Callable[[F], F]:
    """Document in the OpenAPI answer list that this operation may answer 429, and why."""

    def decorate(view: F) -> F:
        doc = view.__dict__.setdefault("_apidoc", {}).setdefault("manual_doc", {})
        doc.setdefault("responses", {})["429"] = {
            "description": why,
            "headers": {
                "Retry-After": {"description": "seconds to wait", "schema": {"type": "integer", "minimum": 1}}
            },
            "content": {"application/json": {"schema": {"$ref": "#/components/schemas/Error"}}},
        }
        return view

    return decorate


def costly(name: str) -> Callable[[F], F]:
    """At most YECAI_COSTLY_REQUESTS_PER_MINUTE calls of endpoint `name` per caller per minute:
    per user once logged in (shoppers share carrier addresses), per address before. Goes under
    `@access(...)`, which has set the user."""

    def decorate(view: F) -> F:
        @functools.wraps(view)
        def wrapper(*args: Any, **kwargs: Any) -> Any:
            user = g.get("user")
            caller = f"user:{user.id}" if user is not None else f"address:{client_address()}"
            window = runtime.counters().hit(f"rate:{name}:{caller}", MINUTE)
            if window.count > runtime.settings().costly_requests_per_minute:
                raise TooManyRequests(window.seconds_left, details={"endpoint": name})
            return view(*args, **kwargs)

        wrapper._yecai_costly = name  # type: ignore[attr-defined]
        limited = documents_429(
            "too_many_requests: more than YECAI_COSTLY_REQUESTS_PER_MINUTE calls from this caller in a minute"
        )
        return limited(wrapper)  # type: ignore[return-value]

    return decorate
