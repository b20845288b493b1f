"""A slow WeChat on request: the next answer of one API waits, once."""

from __future__ import annotations

import time

import requests
from wechatpayv3 import WeChatPayType


def test_the_control_endpoint_slows_the_next_answer_of_one_api_once(sandbox):
    pay = sandbox.pay_client(notify_url="http://127.0.0.1:9/notify")
    bad = requests.post(
        sandbox.control_base + "/slow",
        json={"api": "query", "seconds": 1},
        headers=sandbox.control_headers,
        timeout=5,
    )
    assert (bad.status_code, bad.json()["code"]) == (400, "PARAM_ERROR")
    too_long = requests.post(
        sandbox.control_base + "/slow",
        json={"api": "jsapi", "seconds": 61},
        headers=sandbox.control_headers,
        timeout=5,
    )
    assert too_long.status_code == 400
    ok = requests.post(
        sandbox.control_base + "/slow",
        json={"api": "native", "seconds": 0.5},
        headers=sandbox.control_headers,
        timeout=5,
    )
    assert ok.json() == {"api": "native", "seconds": 0.5, "consumed": False}

    def native(no: str) -> float:
        started = time.monotonic()
        status, _ = pay.pay(
            description="慢", out_trade_no=no, amount={"total": 1}, pay_type=WeChatPayType.NATIVE
        )
        assert status == 200
        return time.monotonic() - started

    assert native("SLOW000001") >= 0.5
    assert native("SLOW000002") < 0.5  # only the next one
