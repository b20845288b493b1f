"""Every operation that can answer 429 says so in the OpenAPI document (with Retry-After), and a
real 429 answer is what the document says."""

from __future__ import annotations

from typing import Any

from tests.security.probes import openapi_path, operations, resolve


def _view(app: Any, method: str, path: str) -> Any:
    for rule in app.url_map.iter_rules():
        if openapi_path(rule.rule) == path and method in rule.methods:
            return app.view_functions[rule.endpoint]
    raise AssertionError(f"{method} {path} is not served")


def test_rate_limited_and_lockable_operations_document_429(app, client):
    spec = client.get("/api/openapi.json").json
    documented, limited = set(), set()
    for op in operations(spec):
        if "429" in op.doc["responses"]:
            documented.add(str(op))
            headers = op.doc["responses"]["429"]["headers"]
            assert headers["Retry-After"]["schema"]["type"] == "integer"
        if hasattr(_view(app, op.method, op.path), "_yecai_costly"):
            limited.add(str(op))
    # Password logins lock out after wrong passwords (per account and per address).
    assert documented == limited | {"POST /api/auth/password-login"}
    assert "POST /api/checkout" in limited


def test_a_locked_login_answers_the_documented_429(client, make_user, settings):
    spec = client.get("/api/openapi.json").json
    user = make_user("staff")
    for _ in range(settings.login_max_failures):
        wrong = client.post("/api/auth/password-login", json={"login": user.username, "password": "wrong"})
        assert wrong.status_code == 401, wrong.json
    locked = client.post("/api/auth/password-login", json={"login": user.username, "password": "wrong"})
    assert locked.status_code == 429
    assert locked.json["error"]["code"] == "login_locked"
    # The lock started at the last wrong password: Retry-After counts down from the lockout from there
    # (a busy machine may take a second or two between the two requests).
    assert (
        settings.login_lockout_seconds - 5
        <= int(locked.headers["Retry-After"])
        <= settings.login_lockout_seconds
    )
    documented = spec["paths"]["/api/auth/password-login"]["post"]["responses"]["429"]
    error = resolve(spec, documented["content"]["application/json"]["schema"])
    body = resolve(spec, error["properties"]["error"])
    assert set(locked.json) == set(error["required"])
    assert set(body["required"]) <= set(locked.json["error"]) <= set(body["properties"])
