"""Who is calling: bearer tokens, and the roles each endpoint admits.

Every view under /api declares its roles with `@access(...)` (or `@access(PUBLIC)`); the app
refuses to start if one does not (see `check_every_view_declares_access`).
"""

from __future__ import annotations

import functools
from collections.abc import Callable
from typing import Any, TypeVar

from flask import Flask, g, request

from backend.auth import services as auth
from backend.auth.models import ROLES, User
from backend.errors import PermissionDenied

PUBLIC = "public"
STAFF = ("staff", "owner")
F = TypeVar("F", bound=Callable[..., Any])


def bearer_token() -> str | None:
    header = request.headers.get("Authorization", "")
    scheme, _, token = header.partition(" ")
    if scheme.lower() != "bearer" or not token.strip():
        return None
    return token.strip()


def current_user() -> User:
    return g.user


def access(*roles: str) -> Callable[[F], F]:
    unknown = set(roles) - set(ROLES) - {PUBLIC}
    if not roles or unknown:
        raise ValueError(f"access() needs known roles, got {roles!r}")

    def decorate(view: F) -> F:
        @functools.wraps(view)
        def wrapper(*args: Any, **kwargs: Any) -> Any:
            if PUBLIC not in roles:
                user = auth.authenticate(bearer_token())
                if user.role not in roles:
                    raise PermissionDenied(details={"allowed_roles": list(roles)})
                g.user = user
            return view(*args, **kwargs)

        wrapper._yecai_roles = roles  # type: ignore[attr-defined]
        doc = wrapper.__dict__.setdefault("_apidoc", {}).setdefault("manual_doc", {})
        if PUBLIC not in roles:
            doc["security"] = [{"bearerAuth": []}]
            doc["description"] = (doc.get("description", "") + f"\n\nRoles: {', '.join(roles)}").strip()
        return wrapper  # type: ignore[return-value]

    return decorate


def check_every_view_declares_access(app: Flask) -> None:
    missing = [
        rule.rule
        for rule in app.url_map.iter_rules()
        if rule.rule.startswith("/api/")
        and rule.endpoint in app.view_functions
        and not rule.endpoint.startswith(("api-docs.", "openapi_docs", "static"))
        and not hasattr(app.view_functions[rule.endpoint], "_yecai_roles")
        and not _is_smorest_doc(rule.endpoint)
    ]
    if missing:
        raise RuntimeError(f"endpoints without declared roles: {missing}")


def _is_smorest_doc(endpoint: str) -> bool:
    return endpoint.startswith("api-docs") or endpoint.endswith(("openapi_json", "openapi_swagger_ui"))
