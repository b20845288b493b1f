"""Run a sandbox on a free loopback port for tests (of the sandbox and of the app).

    with running_sandbox() as sb:
        client = sb.miniprogram_client()
        pay = sb.pay_client(notify_url="http://127.0.0.1:5000/notify")
        code = sb.login_code().code
        ...
        sb.clock.advance(15)
        sb.deliver_due()

The default clock is frozen (moves only with ``advance``) so schedules are exact.
"""

from __future__ import annotations

import threading
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from flask import Flask
from werkzeug.serving import BaseWSGIServer, make_server

from . import guard, miniprogram, notify, transitions
from .app import create_sandbox_app
from .clock import SandboxClock
from .credentials import SandboxCredentials, generate_credentials
from .state import (
    DEFAULT_USERPAYING_SECONDS,
    DeliveryAttempt,
    Fault,
    LoginCode,
    Notification,
    Order,
    Refund,
    SandboxState,
    SlowAnswer,
)

if TYPE_CHECKING:
    from wechatpayv3 import WeChatPay

    from backend.wechat_client import RedirectedWeChatClient
    from payments.wechatpay_client import WeChatPaySettings


@dataclass
class RunningSandbox:
    base_url: str
    credentials: SandboxCredentials
    state: SandboxState
    clock: SandboxClock
    server: BaseWSGIServer
    app: Flask

    @property
    def wx_base(self) -> str:
        return self.base_url + "/wx"

    @property
    def pay_base(self) -> str:
        return self.base_url + "/pay"

    @property
    def control_base(self) -> str:
        return self.base_url + "/control"

    @property
    def control_token(self) -> str:
        token: str = self.app.config[guard.CONFIG_KEY]
        return token

    @property
    def control_headers(self) -> dict[str, str]:
        """What a caller of the control endpoints or the payer page sends (guard.py)."""
        return {guard.TOKEN_HEADER: self.control_token}

    @property
    def printer_url(self) -> str:
        """A cloud printer that records what it is sent (printer.py)."""
        return self.base_url + "/printer/counter"

    def printed(self) -> list[str]:
        """The text of every job the sandbox's printers received, oldest first."""
        from .printer import log_of

        return log_of(self.app).texts()

    # --- clients pointed at this sandbox --------------------------------------------------

    def miniprogram_client(self, session: Any = None) -> RedirectedWeChatClient:
        from backend.wechat_client import make_miniprogram_client

        return make_miniprogram_client(
            self.credentials.appid, self.credentials.app_secret, self.wx_base, session
        )

    def pay_settings(self, notify_url: str | None = None) -> WeChatPaySettings:
        from payments.wechatpay_client import WeChatPaySettings

        c = self.credentials
        return WeChatPaySettings(
            mchid=c.mchid,
            appid=c.appid,
            private_key_pem=c.merchant_private_key_pem,
            cert_serial_no=c.merchant_cert_serial,
            apiv3_key=c.apiv3_key,
            public_key_pem=c.wechatpay_public_key_pem,
            public_key_id=c.wechatpay_public_key_id,
            base_url=self.pay_base,
            notify_url=notify_url,
        )

    def pay_client(self, notify_url: str | None = None) -> WeChatPay:
        from payments.wechatpay_client import make_pay_client

        return make_pay_client(self.pay_settings(notify_url))

    # --- the phone ---------------------------------------------------------------------

    def login_code(self, openid: str | None = None) -> LoginCode:
        return miniprogram.mint_login_code(self.state, openid)

    def subscribe(self, openid: str, template_id: str, count: int = 1) -> int:
        return miniprogram.add_subscription(self.state, openid, template_id, count)

    def set_subscribe_quota(self, daily: int | None) -> None:
        """Cap subscribe-message calls per day (WeChat's 45009 past it); None lifts the cap."""
        miniprogram.set_subscribe_quota(self.state, daily)

    def phone_code(self, openid: str, phone: str, country_code: str = "86") -> str:
        return miniprogram.mint_phone_code(self.state, openid, phone, country_code).code

    def expire_tokens(self) -> int:
        return miniprogram.expire_tokens(self.state)

    # --- the payer ---------------------------------------------------------------------

    def approve(self, prepay_id: str, openid: str) -> Order:
        return transitions.approve_prepay(self.state, prepay_id, openid)

    def decline(self, prepay_id: str) -> Order:
        return transitions.decline_prepay(self.state, prepay_id)

    def scan_and_pay(self, code_url: str, openid: str) -> Order:
        return transitions.pay_code_url(self.state, code_url, openid)

    def payment_code(
        self,
        openid: str | None = None,
        behaviour: str = "success",
        userpaying_seconds: float = DEFAULT_USERPAYING_SECONDS,
    ) -> str:
        """Register a payment code (behaviours: success, userpaying_then_success,
        userpaying_then_fail, insufficient_funds) and return the 18-digit auth_code."""
        openid = openid or self.login_code().openid
        return transitions.register_payment_code(self.state, openid, behaviour, userpaying_seconds).auth_code

    def complete_refund(self, out_refund_no: str, status: str = "SUCCESS") -> Refund:
        return transitions.complete_refund(self.state, out_refund_no, status)

    # --- time, delivery, faults -----------------------------------------------------------

    def advance(self, seconds: float) -> float:
        now = self.clock.advance(seconds)
        transitions.settle_due(self.state)
        return now

    def deliver_due(self) -> list[DeliveryAttempt]:
        return notify.deliver_due(self.state)

    def notify_trade_state(
        self, out_trade_no: str, trade_state: str, event_type: str = "TRANSACTION.SUCCESS"
    ) -> Notification:
        """Queue a genuine notification reporting ``trade_state`` (see transitions.notify_trade_state)."""
        return transitions.notify_trade_state(self.state, out_trade_no, trade_state, event_type)

    def slow_down(self, api: str, seconds: float) -> SlowAnswer:
        """The next request to `api` (jsapi, native, codepay, refund) waits `seconds` or until
        the returned answer's `release()`; its `arrived` event is set when the request is in."""
        return transitions.slow_down(self.state, api, seconds)

    def inject_fault(self, kind: str, out_trade_no: str, **options: Any) -> Fault:
        """kind: duplicate(copies, concurrent) | late(until | delay_seconds) | out_of_order |
        lose | forged | wrong_amount(total); event_type defaults to TRANSACTION.SUCCESS."""
        return transitions.inject_fault(self.state, transitions.FaultSpec(kind, out_trade_no, **options))


@contextmanager
def running_sandbox(
    credentials: SandboxCredentials | None = None,
    clock: SandboxClock | None = None,
    **app_options: Any,
) -> Iterator[RunningSandbox]:
    """Serve a fresh sandbox on 127.0.0.1:<free port> in a thread; stop it on exit."""
    creds = credentials or generate_credentials()
    clock = clock or SandboxClock.frozen_at()
    app = create_sandbox_app(creds, clock, **app_options)
    server = make_server("127.0.0.1", 0, app, threaded=True)
    thread = threading.Thread(target=server.serve_forever, args=(0.05,), name="wechat-sandbox", daemon=True)
    thread.start()
    try:
        yield RunningSandbox(
            base_url=f"http://127.0.0.1:{server.server_port}",
            credentials=creds,
            state=app.extensions["wechat_sandbox"],
            clock=clock,
            server=server,
            app=app,
        )
    finally:
        delivery = app.extensions.get("wechat_sandbox_delivery")
        if delivery is not None:
            delivery.stop()
        server.shutdown()
        server.server_close()
        thread.join(timeout=5)
