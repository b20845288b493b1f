"""The WeChat Pay client of this process, built from `runtime.settings()`, and small helpers
around wechatpayv3's `(status_code, text)` answers."""

from __future__ import annotations

import datetime as dt
import json
import threading
from typing import Any

from wechatpayv3 import WeChatPay, WeChatPayType

from backend import runtime
from payments.wechatpay_client import WeChatPaySettings, make_pay_client

NOTIFY_PATH = "/api/payments/wechat/notify"

_lock = threading.Lock()
_clients: dict[tuple[str, ...], WeChatPay] = {}


def notify_url() -> str:
    return runtime.settings().public_base_url.rstrip("/") + NOTIFY_PATH


def pay_settings() -> WeChatPaySettings:
    s = runtime.settings()
    return WeChatPaySettings(
        mchid=s.wechatpay_mchid,
        appid=s.wechat_appid,
        private_key_pem=s.wechatpay_private_key,
        cert_serial_no=s.wechatpay_cert_serial,
        apiv3_key=s.wechatpay_apiv3_key,
        public_key_pem=s.wechatpay_public_key,
        public_key_id=s.wechatpay_public_key_id,
        base_url=s.wechatpay_base,
        notify_url=notify_url(),
    )


def client() -> WeChatPay:
    """One client per configuration (tests rebuild apps with other settings in one process)."""
    settings = pay_settings()
    key = (
        settings.mchid,
        settings.appid,
        settings.base_url,
        settings.cert_serial_no,
        settings.public_key_id,
        settings.notify_url or "",
    )
    with _lock:
        found = _clients.get(key)
        if found is None:
            found = _clients[key] = make_pay_client(settings)
        return found


def jsapi_order(text: str, out_trade_no: str, amount_fen: int, openid: str) -> tuple[int, Any]:
    """Place a JSAPI transaction (for wx.requestPayment); WeChat answers a resubmission of one
    out_trade_no with the same prepay_id as long as every detail is the same."""
    result: tuple[int, Any] = client().pay(
        description=text,
        out_trade_no=out_trade_no,
        amount={"total": amount_fen, "currency": "CNY"},
        payer={"openid": openid},
        pay_type=WeChatPayType.JSAPI,
        notify_url=notify_url(),
    )
    return result


def answer(result: tuple[int, Any]) -> tuple[int, dict[str, Any]]:
    """wechatpayv3 returns (status, text); decode the JSON body (empty for a 204)."""
    status, text = result
    if not text:
        return status, {}
    try:
        data = json.loads(text)
    except (TypeError, ValueError):
        return status, {"message": str(text)[:200]}
    return status, data if isinstance(data, dict) else {}


def parse_time(value: str | None) -> dt.datetime | None:
    """WeChat's RFC 3339 time (`2024-05-01T12:00:00+08:00`) as naive UTC, like every time we store."""
    if not value:
        return None
    parsed = dt.datetime.fromisoformat(value)
    if parsed.tzinfo is None:
        return parsed
    return parsed.astimezone(dt.UTC).replace(tzinfo=None)


CHINA = dt.timezone(dt.timedelta(hours=8))
