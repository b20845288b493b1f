"""Every 4xx/5xx has the one error shape, the right status, and writes nothing."""

from __future__ import annotations

from backend.auth.models import User
from backend.idempotency import IdempotencyRecord


def assert_error(response, status: int, code: str) -> dict:
    assert response.status_code == status, response.get_data(as_text=True)
    assert response.is_json
    error = response.json["error"]
    assert error["code"] == code
    assert error["message"] == f"{error['message_zh']} / {error['message_en']}"
    assert error["message_zh"] and error["message_en"]
    return error


def test_unknown_path_is_404_in_the_error_shape(client):
    assert_error(client.get("/api/no-such-thing"), 404, "not_found")
    assert_error(client.get("/nowhere"), 404, "not_found")


def test_wrong_method_is_405_with_allow_header(client):
    response = client.delete("/api/auth/me")
    assert_error(response, 405, "method_not_allowed")
    assert "GET" in response.headers["Allow"]


def test_malformed_json_is_400_and_creates_nothing(client, make_user, login):
    owner = make_user("owner")
    headers = {**login(owner), "Idempotency-Key": "k-bad-json"}
    before = User.select().count()
    response = client.post(
        "/api/users", data='{"role": "staff",', headers=headers, content_type="application/json"
    )
    assert_error(response, 400, "malformed_json")
    assert User.select().count() == before
    assert IdempotencyRecord.select().count() == 0


def test_unknown_field_and_wrong_type_are_422_and_create_nothing(client, make_user, login):
    owner = make_user("owner")
    before = User.select().count()
    headers = {**login(owner), "Idempotency-Key": "k1"}
    error = assert_error(
        client.post(
            "/api/users", json={"role": "staff", "username": "ann", "is_admin": True}, headers=headers
        ),
        422,
        "validation_failed",
    )
    assert error["details"]["fields"] == {"json": {"is_admin": ["Unknown field."]}}
    headers["Idempotency-Key"] = "k2"
    error = assert_error(
        client.post("/api/users", json={"role": "staff", "username": 12345}, headers=headers),
        422,
        "validation_failed",
    )
    assert error["details"]["fields"] == {"json": {"username": ["Not a valid string."]}}
    assert User.select().count() == before
    assert IdempotencyRecord.select().count() == 0


def test_body_over_the_limit_is_413_and_creates_nothing(client, make_user, login, settings):
    owner = make_user("owner")
    before = User.select().count()
    huge = '{"role": "staff", "display_name": "' + "x" * (settings.max_request_bytes + 10) + '"}'
    response = client.post(
        "/api/users",
        data=huge,
        content_type="application/json",
        headers={**login(owner), "Idempotency-Key": "big"},
    )
    assert_error(response, 413, "payload_too_large")
    assert User.select().count() == before


def test_unexpected_exception_is_500_in_the_error_shape_without_internals(app):
    def explode():
        raise RuntimeError("secret internals")

    explode._yecai_roles = ("public",)
    app.add_url_rule("/api/test-explode", "explode", explode)
    response = app.test_client().get("/api/test-explode")
    error = assert_error(response, 500, "internal_error")
    assert "secret internals" not in response.get_data(as_text=True)
    assert error["details"] == {}


def test_missing_and_forged_tokens_are_401(client):
    assert_error(client.get("/api/auth/me"), 401, "unauthenticated")
    assert_error(
        client.get("/api/auth/me", headers={"Authorization": "Bearer yc_forged"}), 401, "invalid_token"
    )
    assert_error(client.get("/api/auth/me", headers={"Authorization": "Basic abc"}), 401, "unauthenticated")
