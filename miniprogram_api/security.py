"""Who is calling: bearer tokens, and the roles each endpoint admits.

Every view under /api declares its roles with `@access(...)` (or `@access(PUBLIC)`); the app
refuses to start if one does not (see `check_every_view_declares_access`). The declaration is also
machine-readable in the OpenAPI document: each operation carries `x-roles` (the roles it admits,
`["public"]` for anyone) and, where a path parameter names an object that is meant to reach
other people (a friend's share link), `x-shared-path-params`. The authorization matrix test reads
both, so an operation added later is probed without anyone listing it.
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


def access(*roles: str, shared: tuple[str, ...] = ()) -> Callable[[F], F]:
    """Admit only callers with one of `roles` (or anyone, with PUBLIC).

    Every object a non-staff caller names in the path must be their own (anyone else's is a 404),
    except the path parameters listed in `shared`: those name an object handed from person to
    person on purpose, such as the share-link code a friend arrives by.
    """
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
        doc["x-roles"] = list(roles)
        if shared:
            doc["x-shared-path-params"] = list(shared)
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
