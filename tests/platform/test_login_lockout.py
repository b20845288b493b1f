"""Password guessing: an account locks after YECAI_LOGIN_MAX_FAILURES wrong passwords (even to the
right one) until the lockout ends, one address is limited across accounts, a success clears the
count, locks are audited, and X-Forwarded-For counts only behind a trusted proxy.

Every request is sent at a fixed instant of the moved clock (`at`), so Retry-After is exact.
"""

from __future__ import annotations

import datetime as dt
import json

from backend import clock
from backend.audit import AuditEntry
from backend.auth.models import AuthToken
from tests.platform.test_errors import assert_error

RIGHT = "correct horse 1"
# 02:00:01 UTC: one second into a 15-minute window (windows are counted from the epoch).
T0 = dt.datetime(2026, 12, 1, 2, 0, 1)


def attempt(client, login: str, password: str, *, address: str = "10.0.0.1", seconds: float = 0, **headers):
    clock.travel_to(T0 + dt.timedelta(seconds=seconds))
    return client.post(
        "/api/auth/password-login",
        json={"login": login, "password": password},
        environ_base={"REMOTE_ADDR": address},
        headers=headers,
    )


def audit_of(action: str) -> list[tuple]:
    return [
        (e.actor_id, e.target_type, e.target_id, json.loads(e.detail))
        for e in AuditEntry.select().where(AuditEntry.action == action).order_by(AuditEntry.id)
    ]


def test_fifth_wrong_password_locks_the_account_even_to_the_right_password(client, make_user):
    staff = make_user("staff")
    for _ in range(5):
        assert_error(attempt(client, staff.username, "wrong password"), 401, "invalid_credentials")

    sixth = attempt(client, staff.username, "wrong password")
    error = assert_error(sixth, 429, "login_locked")
    assert sixth.headers["Retry-After"] == "900"
    assert error["details"] == {"retry_after_seconds": 900}
    assert error["message_zh"] == "密码错误次数过多，账号已暂时锁定，请稍后再试"

    right = attempt(client, staff.username, RIGHT, seconds=899)
    assert_error(right, 429, "login_locked")
    assert right.headers["Retry-After"] == "1"
    assert AuthToken.select().count() == 0  # a refused login created no session
    assert audit_of("auth.login_locked") == [
        (
            None,
            "user",
            str(staff.id),
            {"address": "10.0.0.1", "failures": 5, "login": staff.username, "seconds": 900},
        )
    ]

    after = attempt(client, staff.username, RIGHT, seconds=900)
    assert after.status_code == 200, after.json
    assert after.json["user"]["id"] == staff.id
    assert AuthToken.select().count() == 1


def test_the_lock_covers_every_login_of_the_account(client, make_user):
    staff = make_user("staff", phone="13900000001")
    for _ in range(5):
        assert_error(attempt(client, staff.username, "wrong password"), 401, "invalid_credentials")
    assert_error(attempt(client, "13900000001", RIGHT), 429, "login_locked")
    assert AuthToken.select().count() == 0


def test_a_success_clears_the_accounts_failures(client, make_user):
    staff = make_user("staff")
    for _ in range(4):
        assert_error(attempt(client, staff.username, "wrong password"), 401, "invalid_credentials")
    assert attempt(client, staff.username, RIGHT).status_code == 200
    for _ in range(4):  # 8 wrong in the window, but never 5 in a row
        assert_error(attempt(client, staff.username, "wrong password"), 401, "invalid_credentials")
    assert attempt(client, staff.username, RIGHT).status_code == 200
    assert AuthToken.select().count() == 2
    assert audit_of("auth.login_locked") == []


def test_an_unknown_login_locks_like_a_real_one(client):
    for _ in range(5):
        assert_error(attempt(client, "nobody", "wrong password"), 401, "invalid_credentials")
    assert_error(attempt(client, "nobody", "wrong password"), 429, "login_locked")
    assert [(t, i) for _, t, i, _ in audit_of("auth.login_locked")] == [("login", "nobody")]


def test_a_locked_account_leaves_other_accounts_and_addresses_alone(client, make_user):
    victim, other = make_user("staff"), make_user("owner")
    for _ in range(5):
        attempt(client, victim.username, "wrong password", address="10.0.0.1")
    assert_error(attempt(client, victim.username, RIGHT, address="10.0.0.1"), 429, "login_locked")
    # The lock is the account's, wherever the right password comes from ...
    assert_error(attempt(client, victim.username, RIGHT, address="10.0.0.2"), 429, "login_locked")
    # ... and another account logs in, from another address and from the guesser's own.
    assert attempt(client, other.username, RIGHT, address="10.0.0.2").status_code == 200
    assert attempt(client, other.username, RIGHT, address="10.0.0.1").status_code == 200
    assert [t.user_id for t in AuthToken.select()] == [other.id, other.id]


def test_one_address_is_limited_across_accounts(client, make_user):
    staff = make_user("staff")
    for n in range(20):  # one wrong password for each of 20 logins: no account reaches its limit
        assert_error(attempt(client, f"guess{n}", "wrong password"), 401, "invalid_credentials")

    refused = attempt(client, staff.username, RIGHT)
    error = assert_error(refused, 429, "login_rate_limited")
    assert refused.headers["Retry-After"] == "899"  # the rest of the 15-minute window
    assert error["details"] == {"retry_after_seconds": 899}
    assert AuthToken.select().count() == 0
    assert audit_of("auth.login_locked") == []
    assert audit_of("auth.address_throttled") == [
        (
            None,
            "login",
            "guess19",
            {"address": "10.0.0.1", "failures": 20, "login": "guess19", "seconds": 899},
        )
    ]

    assert attempt(client, staff.username, RIGHT, address="10.0.0.2").status_code == 200
    assert attempt(client, staff.username, RIGHT, seconds=899).status_code == 200  # next window


def test_x_forwarded_for_is_ignored_without_a_trusted_proxy(client, make_user):
    staff = make_user("staff")
    for n in range(20):  # a guesser cannot dodge the address limit by inventing addresses
        attempt(client, f"guess{n}", "wrong password", **{"X-Forwarded-For": f"198.51.100.{n}"})
    refused = attempt(client, staff.username, RIGHT, **{"X-Forwarded-For": "198.51.100.99"})
    assert_error(refused, 429, "login_rate_limited")


def test_behind_a_trusted_proxy_the_forwarded_address_counts(settings, make_user):
    from backend import create_app

    client = create_app(settings.with_overrides(trusted_proxies=1)).test_client()
    staff = make_user("staff")
    for n in range(20):  # nginx's own address, one client behind it
        attempt(
            client, f"guess{n}", "wrong password", address="127.0.0.1", **{"X-Forwarded-For": "203.0.113.7"}
        )
    refused = attempt(
        client, staff.username, RIGHT, address="127.0.0.1", **{"X-Forwarded-For": "203.0.113.7"}
    )
    assert_error(refused, 429, "login_rate_limited")
    # Another client through the same nginx is not that guesser.
    other = attempt(client, staff.username, RIGHT, address="127.0.0.1", **{"X-Forwarded-For": "203.0.113.8"})
    assert other.status_code == 200
    assert audit_of("auth.address_throttled")[0][3]["address"] == "203.0.113.7"
