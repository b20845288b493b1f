"""Control endpoints acting as the payer, over plain HTTP (as the demo's buttons do)."""

from __future__ import annotations

import json
from typing import Any

import requests
from wechatpayv3 import WeChatPayType

from payments.sandbox.testing import RunningSandbox


def _post(sandbox: RunningSandbox, path: str, body: dict[str, Any] | None = None) -> requests.Response:
    return requests.post(sandbox.control_base + path, json=body or {}, timeout=5)


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

    summary = requests.get(sandbox.control_base + "/state", timeout=5).json()
    assert sorted(o["out_trade_no"] for o in summary["orders"]) == ["POS-C-1", "POS-C-2"]


def test_control_errors_are_json(sandbox: RunningSandbox) -> None:
    bad = _post(sandbox, "/faults", {"kind": "duplicate", "out_trade_no": "X", "copies": "many"})
    assert (bad.status_code, bad.json()["code"]) == (400, "PARAM_ERROR")
    unknown = _post(sandbox, "/prepay/wx-nope/approve", {"openid": "o"})
    assert (unknown.status_code, unknown.json()["code"]) == (404, "PREPAY_NOT_FOUND")
    assert _post(sandbox, "/clock/advance", {"seconds": -1}).status_code == 400
