"""Control endpoints acting as the payer, over plain HTTP (as the demo's buttons do)."""

from __future__ import annotations

import json
from typing import Any

import requests
from wechatpayv3 import WeChatPayType

from payments.sandbox.guard import COOKIE, TOKEN_HEADER
from payments.sandbox.testing import RunningSandbox


def _post(sandbox: RunningSandbox, path: str, body: dict[str, Any] | None = None) -> requests.Response:
    return requests.post(
        sandbox.control_base + path, json=body or {}, headers=sandbox.control_headers, timeout=5
    )


def test_decline_leaves_the_order_unpaid(sandbox: RunningSandbox) -> None:
    pay = sandbox.pay_client("http://127.0.0.1:9/n")
    openid = _post(sandbox, "/login-code").json()["openid"]
    _, text = pay.pay(description="x", out_trade_no="SO-C-1", amount={"total": 10}, payer={"openid": openid})
    prepay_id = json.loads(text)["prepay_id"]

    declined = _post(sandbox, f"/prepay/{prepay_id}/decline")
    assert (declined.status_code, declined.json()["trade_state"]) == (200, "NOTPAY")
    assert sandbox.state.orders["SO-C-1"].declined == 1
    assert sandbox.state.notifications == []

    # The payer can still change their mind and pay.
    assert (
        _post(sandbox, f"/prepay/{prepay_id}/approve", {"openid": openid}).json()["trade_state"] == "SUCCESS"
    )


def test_native_payment_code_and_refund_through_control(sandbox: RunningSandbox) -> None:
    pay = sandbox.pay_client("http://127.0.0.1:9/n")
    _, text = pay.pay(
        description="x", out_trade_no="POS-C-1", amount={"total": 99}, pay_type=WeChatPayType.NATIVE
    )
    scanned = _post(sandbox, "/native/pay", {"code_url": json.loads(text)["code_url"], "openid": "oScanner"})
    assert scanned.json()["payer"] == {"openid": "oScanner"}

    minted = _post(sandbox, "/payment-code", {"openid": "oShopper", "behaviour": "userpaying_then_success",
                                              "userpaying_seconds": 3}).json()  # fmt: skip
    assert len(minted["auth_code"]) == 18 and minted["auth_code"].startswith("13")
    _, text = pay.pay(description="x", out_trade_no="POS-C-2", amount={"total": 50},
                      payer={"auth_code": minted["auth_code"]}, pay_type=WeChatPayType.CODEPAY)  # fmt: skip
    assert json.loads(text)["trade_state"] == "USERPAYING"
    assert _post(sandbox, "/clock/advance", {"seconds": 3}).status_code == 200
    assert sandbox.state.orders["POS-C-2"].trade_state == "SUCCESS"

    pay.refund(
        out_refund_no="RF-C-1", amount={"refund": 99, "total": 99, "currency": "CNY"}, out_trade_no="POS-C-1"
    )
    done = _post(sandbox, "/refunds/RF-C-1/complete", {"status": "SUCCESS"})
    assert (done.json()["status"], done.json()["amount"]["refund"]) == ("SUCCESS", 99)

    summary = requests.get(sandbox.control_base + "/state", headers=sandbox.control_headers, timeout=5).json()
    assert sorted(o["out_trade_no"] for o in summary["orders"]) == ["POS-C-1", "POS-C-2"]


def test_control_errors_are_json(sandbox: RunningSandbox) -> None:
    bad = _post(sandbox, "/faults", {"kind": "duplicate", "out_trade_no": "X", "copies": "many"})
    assert (bad.status_code, bad.json()["code"]) == (400, "PARAM_ERROR")
    unknown = _post(sandbox, "/prepay/wx-nope/approve", {"openid": "o"})
    assert (unknown.status_code, unknown.json()["code"]) == (404, "PREPAY_NOT_FOUND")
    assert _post(sandbox, "/clock/advance", {"seconds": -1}).status_code == 400


def test_without_the_token_nobody_plays_the_phone(sandbox: RunningSandbox) -> None:
    """Minting a login code for a bound staff member's openid would log in as them: it needs the token."""
    codes_before = dict(sandbox.state.login_codes)
    for headers in ({}, {TOKEN_HEADER: "guessed"}, {TOKEN_HEADER: ""}):
        refused = requests.post(
            sandbox.control_base + "/login-code", json={"openid": "oStaff"}, headers=headers, timeout=5
        )
        assert (refused.status_code, refused.json()["code"]) == (401, "UNAUTHORIZED")
    assert sandbox.state.login_codes == codes_before and "oStaff" not in sandbox.state.users
    assert requests.get(sandbox.control_base + "/state", timeout=5).status_code == 401
    # The payer page and its buttons, without the cookie or with a wrong one.
    assert requests.get(sandbox.base_url + "/payer", timeout=5).status_code == 401
    assert requests.get(sandbox.base_url + "/payer", cookies={COOKIE: "x"}, timeout=5).status_code == 401
    pressed = requests.post(sandbox.base_url + "/payer/payment-code", data={"openid": "oStaff"}, timeout=5)
    assert pressed.status_code == 401 and sandbox.state.payment_codes == {}
    assert requests.get(sandbox.base_url + "/unlock?token=guessed", timeout=5).status_code == 401


def test_the_unlock_link_lets_a_browser_in_and_wechat_endpoints_need_no_token(
    sandbox: RunningSandbox,
) -> None:
    browser = requests.Session()
    opened = browser.get(f"{sandbox.base_url}/unlock?token={sandbox.control_token}", timeout=5)
    assert (opened.status_code, opened.url) == (200, sandbox.base_url + "/payer")
    cookie = next(c for c in browser.cookies if c.name == COOKIE)
    assert cookie.has_nonstandard_attr("HttpOnly") and cookie.path == "/"
    assert browser.get(sandbox.base_url + "/payer", timeout=5).status_code == 200
    # WeChat's own endpoints stay as WeChat has them: authenticated by the app secret.
    code = sandbox.login_code().code
    session = sandbox.miniprogram_client().wxa.code_to_session(code)
    assert session["openid"] == sandbox.state.login_codes[code].openid


def test_the_subscribe_quota_is_set_and_lifted_over_control(sandbox: RunningSandbox) -> None:
    assert (_post(sandbox, "/subscribe-quota", {"daily": 0}).json(), sandbox.state.subscribe_daily_quota) == (
        {"daily": 0},
        0,
    )
    bad = _post(sandbox, "/subscribe-quota", {"daily": -1})
    assert (bad.status_code, sandbox.state.subscribe_daily_quota) == (400, 0)
    assert _post(sandbox, "/subscribe-quota", {"daily": None}).json() == {"daily": None}
    assert sandbox.state.subscribe_daily_quota is None
