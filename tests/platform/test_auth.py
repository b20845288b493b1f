"""Identity: password and WeChat login, token expiry and revocation, roles, scoping, audit."""

from __future__ import annotations

import base64
import logging

import requests

from backend import clock
from backend.audit import AuditEntry
from backend.auth.models import AuthToken, User, WechatIdentity
from backend.auth.sealing import open_sealed
from tests.platform.test_errors import assert_error


def mint_login_code(sandbox, openid: str | None = None) -> dict:
    response = requests.post(
        f"{sandbox.base_url}/control/login-code",
        json={"openid": openid} if openid else {},
        headers=sandbox.control_headers,
    )
    response.raise_for_status()
    return response.json()


def test_password_login_returns_an_opaque_token_for_the_user(client, make_user):
    staff = make_user("staff", display_name="小王")
    response = client.post(
        "/api/auth/password-login", json={"login": staff.username, "password": "correct horse 1"}
    )
    assert response.status_code == 200
    body = response.json
    assert body["token"].startswith("yc_") and len(body["token"]) > 40
    assert body["user"] == {
        "id": staff.id,
        "role": "staff",
        "display_name": "小王",
        "username": staff.username,
        "phone": None,
    }
    token_row = AuthToken.get(AuthToken.user == staff.id)
    assert body["token"] not in token_row.token_hash  # only the hash is stored
    me = client.get("/api/auth/me", headers={"Authorization": f"Bearer {body['token']}"})
    assert me.json["id"] == staff.id


def test_wrong_password_is_401_and_issues_no_token(client, make_user):
    staff = make_user("staff")
    response = client.post(
        "/api/auth/password-login", json={"login": staff.username, "password": "wrong password"}
    )
    assert_error(response, 401, "invalid_credentials")
    unknown = client.post("/api/auth/password-login", json={"login": "nobody", "password": "whatever1"})
    assert_error(unknown, 401, "invalid_credentials")
    assert AuthToken.select().count() == 0


def test_tokens_expire(client, make_user, login, settings):
    headers = login(make_user("staff"))
    assert client.get("/api/auth/me", headers=headers).status_code == 200
    clock.advance(settings.token_ttl_seconds + 1)
    assert_error(client.get("/api/auth/me", headers=headers), 401, "invalid_token")


def test_logout_revokes_only_that_token(client, make_user, login):
    staff = make_user("staff")
    first, second = login(staff), login(staff)
    assert client.post("/api/auth/logout", headers=first).status_code == 204
    assert_error(client.get("/api/auth/me", headers=first), 401, "invalid_token")
    assert client.get("/api/auth/me", headers=second).status_code == 200


def test_sessions_are_scoped_to_their_owner(client, make_user, login):
    alice, bob = make_user("staff"), make_user("staff")
    alice_headers, bob_headers = login(alice), login(bob)
    bob_session = AuthToken.get(AuthToken.user == bob.id)
    listed = client.get("/api/auth/sessions", headers=alice_headers).json
    assert [s["id"] for s in listed["items"]] == [AuthToken.get(AuthToken.user == alice.id).id]
    assert listed["items"][0]["current"] is True
    # Alice cannot see or revoke Bob's session: it does not exist for her.
    assert_error(
        client.delete(f"/api/auth/sessions/{bob_session.id}", headers=alice_headers), 404, "not_found"
    )
    assert AuthToken.get_by_id(bob_session.id).revoked_at is None
    assert client.get("/api/auth/me", headers=bob_headers).status_code == 200


def test_roles_gate_endpoints(client, make_user, login):
    staff_headers = login(make_user("staff"))
    before = User.select().count()
    response = client.post(
        "/api/users",
        json={"role": "staff", "username": "eve"},
        headers={**staff_headers, "Idempotency-Key": "r1"},
    )
    error = assert_error(response, 403, "forbidden")
    assert error["details"] == {"allowed_roles": ["owner"]}
    assert User.select().count() == before
    assert_error(client.get("/api/audit-log", headers=staff_headers), 403, "forbidden")


def test_owner_creates_staff_and_the_audit_log_records_it(client, make_user, login):
    owner = make_user("owner")
    headers = {**login(owner), "Idempotency-Key": "create-zhang"}
    response = client.post(
        "/api/users",
        json={"role": "staff", "username": "zhang", "phone": "13900000000", "password": "long enough 9"},
        headers=headers,
    )
    assert response.status_code == 201
    created = User.get(User.username == "zhang")
    assert response.json == {
        "id": created.id,
        "role": "staff",
        "display_name": "",
        "username": "zhang",
        "phone": "13900000000",
    }
    entries = [
        (e.actor_id, e.action, e.target_id)
        for e in AuditEntry.select().where(AuditEntry.action == "user.create")
    ]
    assert (owner.id, "user.create", str(created.id)) in entries
    log = client.get("/api/audit-log", headers=login(owner)).json
    assert log["items"][0]["action"] == "user.create" and log["items"][0]["target_id"] == str(created.id)
    # The new account can log in with its password.
    assert (
        client.post(
            "/api/auth/password-login", json={"login": "13900000000", "password": "long enough 9"}
        ).status_code
        == 200
    )


def test_duplicate_username_is_409_and_creates_nothing(client, make_user, login):
    owner = make_user("owner")
    make_user("staff", username="taken")
    before = User.select().count()
    response = client.post(
        "/api/users",
        json={"role": "staff", "username": "taken"},
        headers={**login(owner), "Idempotency-Key": "dup"},
    )
    assert_error(response, 409, "account_exists")
    assert User.select().count() == before


def test_wechat_login_creates_a_customer_and_keeps_session_key_secret(
    client, wechat_sandbox, caplog, settings
):
    caplog.set_level(logging.DEBUG)
    minted = mint_login_code(wechat_sandbox)
    response = client.post("/api/auth/wechat-login", json={"code": minted["code"]})
    assert response.status_code == 200, response.json
    identity = WechatIdentity.get(WechatIdentity.openid == minted["openid"])
    session_key = open_sealed(identity.session_key, settings.secret_key)
    assert len(base64.b64decode(session_key)) == 16  # kept on the server, sealed...
    assert session_key not in response.get_data(as_text=True)  # ...never sent
    assert session_key not in caplog.text  # ...never logged, not even in SQL debug logs
    assert response.json["user"]["role"] == "customer" and response.json["user"]["id"] == identity.user_id
    # Logging in again with a fresh code is the same account.
    again = client.post(
        "/api/auth/wechat-login", json={"code": mint_login_code(wechat_sandbox, minted["openid"])["code"]}
    )
    assert again.json["user"]["id"] == identity.user_id
    assert User.select().where(User.role == "customer").count() == 1


def test_a_used_wechat_code_is_rejected_and_creates_nothing(client, wechat_sandbox):
    minted = mint_login_code(wechat_sandbox)
    assert client.post("/api/auth/wechat-login", json={"code": minted["code"]}).status_code == 200
    users, tokens = User.select().count(), AuthToken.select().count()
    assert_error(
        client.post("/api/auth/wechat-login", json={"code": minted["code"]}), 401, "invalid_wechat_code"
    )
    assert_error(
        client.post("/api/auth/wechat-login", json={"code": "never-issued"}), 401, "invalid_wechat_code"
    )
    assert (User.select().count(), AuthToken.select().count()) == (users, tokens)


def test_staff_binds_wechat_then_logs_in_from_the_mini_program(client, wechat_sandbox, make_user, login):
    staff = make_user("staff")
    minted = mint_login_code(wechat_sandbox)
    bound = client.post("/api/auth/wechat-bind", json={"code": minted["code"]}, headers=login(staff))
    assert bound.status_code == 200 and bound.json["id"] == staff.id
    response = client.post(
        "/api/auth/wechat-login", json={"code": mint_login_code(wechat_sandbox, minted["openid"])["code"]}
    )
    assert response.json["user"] == {**response.json["user"], "id": staff.id, "role": "staff"}
    # The same WeChat cannot be bound to a second account.
    other = make_user("staff")
    taken = client.post(
        "/api/auth/wechat-bind",
        json={"code": mint_login_code(wechat_sandbox, minted["openid"])["code"]},
        headers=login(other),
    )
    assert_error(taken, 409, "wechat_already_bound")
    assert WechatIdentity.select().where(WechatIdentity.user == other.id).count() == 0
