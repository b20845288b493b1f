"""The WeChat Pay API v3 client (wechatpayv3 2.0.4) in public-key mode.

New merchant ids get a "WeChat Pay public key" instead of platform certificates, and
public-key mode also avoids the library fetching /v3/certificates inside ``__init__``
(before the gateway could be redirected). The gateway is the library's only URL knob.
"""

from __future__ import annotations

import functools
from dataclasses import dataclass
from typing import Any

from wechatpayv3 import WeChatPay, WeChatPayType

from backend.errors import refuse_inside_transaction

WECHATPAY_BASE = "https://api.mch.weixin.qq.com"


@dataclass(frozen=True)
class WeChatPaySettings:
    mchid: str
    appid: str
    private_key_pem: str  # the merchant's apiclient_key.pem
    cert_serial_no: str  # serial of the merchant API certificate
    apiv3_key: str
    public_key_pem: str  # the WeChat Pay public key
    public_key_id: str  # PUB_KEY_ID_...
    base_url: str = WECHATPAY_BASE
    notify_url: str | None = None

    def __repr__(self) -> str:
        # Keep keys out of logs and tracebacks.
        return f"WeChatPaySettings(mchid={self.mchid!r}, appid={self.appid!r}, base_url={self.base_url!r})"


def make_pay_client(settings: WeChatPaySettings) -> WeChatPay:
    client = WeChatPay(
        wechatpay_type=WeChatPayType.MINIPROG,
        mchid=settings.mchid,
        private_key=settings.private_key_pem,
        cert_serial_no=settings.cert_serial_no,
        appid=settings.appid,
        apiv3_key=settings.apiv3_key,
        notify_url=settings.notify_url,
        public_key=settings.public_key_pem,
        public_key_id=settings.public_key_id,
        # (connect, read): a hung gateway must not hold a web worker forever.
        timeout=(5, 20),
    )
    client._core._gate_way = settings.base_url.rstrip("/")
    _refuse_requests_inside_transactions(client)
    return client


def _refuse_requests_inside_transactions(client: WeChatPay) -> None:
    """Every HTTP request of the library goes through `Core.request` (signing, `callback` and
    `decrypt` stay local and allowed); wrap it so a call with a transaction open raises
    `OutsideCallInTransaction` before anything is sent. Pinned by a test that makes a real call."""
    send = client._core.request

    @functools.wraps(send)
    def request(*args: Any, **kwargs: Any) -> Any:
        refuse_inside_transaction("WeChat Pay")
        return send(*args, **kwargs)

    client._core.request = request
