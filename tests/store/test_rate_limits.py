"""Costly endpoints are rate-limited per caller: with YECAI_COSTLY_REQUESTS_PER_MINUTE=2 the third
checkout in a minute is a 429 in the one error shape with Retry-After, changes nothing, leaves
other shoppers alone and goes through in the next minute; WeChat login is limited per address."""

from __future__ import annotations

import datetime as dt

import pytest

from backend import clock
from backend.auth.models import AuthToken, User
from tests.platform.test_errors import assert_error
from tests.store.conftest import add_to_cart, checkout

# A whole minute: windows are counted from the epoch, so one starts here.
T0 = dt.datetime(2026, 12, 1, 2, 0, 0)


@pytest.fixture
def settings(settings):
    return settings.with_overrides(costly_requests_per_minute=2)


def test_third_checkout_in_a_minute_is_refused_and_changes_nothing(client, shop, shopper, unchanged):
    buyer, other = shopper("王小姐"), shopper("李先生")
    clock.travel_to(T0)
    assert add_to_cart(client, buyer, shop.sku.id, 1).status_code == 201
    checkout(client, buyer, "co-1")
    assert add_to_cart(client, buyer, shop.sku2.id, 1).status_code == 201
    checkout(client, buyer, "co-2")
    assert add_to_cart(client, buyer, shop.sku.id, 2).status_code == 201

    clock.travel_to(T0 + dt.timedelta(seconds=1))
    with unchanged():
        third = client.post(
            "/api/checkout",
            json={"address_id": buyer.address_id},
            headers={**buyer.headers, "Idempotency-Key": "co-3"},
        )
    error = assert_error(third, 429, "too_many_requests")
    assert third.headers["Retry-After"] == "59"
    assert error["details"] == {"retry_after_seconds": 59, "endpoint": "checkout"}
    assert error["message"] == "请求过于频繁，请稍后再试 / Too many requests; try again later"

    # Counted per shopper: another one checks out in the same minute.
    assert add_to_cart(client, other, shop.sku.id, 1).status_code == 201
    checkout(client, other, "co-other")

    clock.travel_to(T0 + dt.timedelta(seconds=60))
    body = checkout(client, buyer, "co-3")  # the refused key was not spent
    assert [(line["sku_id"], line["quantity"]) for line in body["order"]["lines"]] == [(shop.sku.id, 2)]


def test_wechat_login_is_limited_per_address(client, wechat_sandbox):
    clock.travel_to(T0)

    def wechat_login(address: str):
        code = wechat_sandbox.login_code().code
        return client.post(
            "/api/auth/wechat-login", json={"code": code}, environ_base={"REMOTE_ADDR": address}
        )

    assert wechat_login("10.0.0.1").status_code == 200
    assert wechat_login("10.0.0.1").status_code == 200
    refused = wechat_login("10.0.0.1")
    assert_error(refused, 429, "too_many_requests")
    assert refused.headers["Retry-After"] == "60"
    assert User.select().count() == 2  # the refused login made no account and no session
    assert AuthToken.select().count() == 2
    assert wechat_login("10.0.0.2").status_code == 200


@pytest.mark.parametrize(
    ("who", "path", "body", "endpoint"),
    [
        ("shopper", "/api/orders/999999/wechat-checkout", None, "wechat-checkout"),
        ("shopper", "/api/invoices/999999/wechat-checkout", None, "invoice-wechat-checkout"),
        ("shopper", "/api/me/stored-value/top-ups", {"amount_fen": 100}, "top-up"),
        ("staff", "/api/orders/999999/wechat-native", None, "wechat-native"),
        ("staff", "/api/orders/999999/payment-code", {"auth_code": "134567890123456789"}, "payment-code"),
    ],
)
def test_every_payment_start_is_limited_per_caller(client, shop, shopper, who, path, body, endpoint):
    """Counted before anything else runs: even requests the view then refuses use up the minute."""
    headers = shopper().headers if who == "shopper" else shop.staff
    clock.travel_to(T0)
    answers = [
        client.post(path, json=body, headers={**headers, "Idempotency-Key": f"start-{n}"}) for n in range(3)
    ]
    assert [a.status_code == 429 for a in answers] == [False, False, True]
    assert answers[2].headers["Retry-After"] == "60"
    assert assert_error(answers[2], 429, "too_many_requests")["details"] == {
        "retry_after_seconds": 60,
        "endpoint": endpoint,
    }
