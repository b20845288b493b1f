"""``create_sandbox_app``: the whole simulator as one Flask app with relative routes.

Mounted alone or under a prefix (e.g. ``/sandbox`` via DispatcherMiddleware), the client
base URLs are ``<root>/wx`` (wechatpy) and ``<root>/pay`` (wechatpayv3 gateway).
"""

from __future__ import annotations

from flask import Flask, Response, jsonify, url_for

from backend import redaction

from . import control, guard, miniprogram, pay, payer, printer
from .clock import SandboxClock
from .credentials import SandboxCredentials
from .notify import DeliveryThread
from .persistence import SandboxStore
from .state import DEFAULT_REFUND_SECONDS, SandboxState


def create_sandbox_app(
    credentials: SandboxCredentials,
    clock: SandboxClock | None = None,
    *,
    deliver_in_background: bool = False,
    delivery_interval: float = 0.5,
    refund_seconds: float = DEFAULT_REFUND_SECONDS,
    codepay_notify_url: str | None = None,
    store: SandboxStore | None = None,
    control_token: str | None = None,
) -> Flask:
    """A sandbox with its own in-memory state at ``app.extensions["wechat_sandbox"]``.

    ``deliver_in_background`` starts a daemon thread that sends due notifications (the
    demo wants this; tests leave it off and call ``deliver_due`` themselves). The thread
    is at ``app.extensions["wechat_sandbox_delivery"]``. ``codepay_notify_url`` is where
    payment-code charges are notified (WeChat itself sends none; off by default).
    ``store`` (the demo's) starts from the state it saved and saves it after every request
    and every delivery round that sent something; ``credentials`` must be the store's.
    ``control_token`` guards the control endpoints and the payer page (guard.py); a fresh one is
    made if none is given, at ``app.config[guard.CONFIG_KEY]``.
    """
    # The sandbox's access log would otherwise record the app secret and access tokens that
    # WeChat's protocol puts in query strings.
    redaction.install([credentials.app_secret, credentials.apiv3_key, credentials.merchant_private_key_pem])
    app = Flask("payments.sandbox")
    app.json.ensure_ascii = False  # type: ignore[attr-defined]
    state = SandboxState(
        credentials=credentials, clock=clock or SandboxClock(), refund_seconds=refund_seconds
    )
    app.extensions["wechat_sandbox"] = state
    app.register_blueprint(miniprogram.bp)
    app.register_blueprint(pay.bp)
    app.register_blueprint(control.bp)
    app.register_blueprint(payer.bp)
    printer.install(app, state.printed)  # a receipt printer that records what it is sent
    guard.protect(app, control_token or guard.new_token(), control.bp, payer.bp, printer.control_bp)

    def save() -> None:
        if store is not None:
            store.save(state)

    if store is not None:
        store.restore(state)

        # Teardown runs before the server sends the body: the answer a client reads is on disk.
        @app.teardown_request
        def _save(_exc: BaseException | None) -> None:
            save()

    @app.get("/")
    def index() -> Response:
        return jsonify(
            {
                "service": "yecai WeChat sandbox",
                "appid": credentials.appid,
                "mchid": credentials.mchid,
                "wechatpay_public_key_id": credentials.wechatpay_public_key_id,
                "payer_page": url_for("payer.page"),
            }
        )

    if deliver_in_background:
        thread = DeliveryThread(state, delivery_interval, on_sent=save if store is not None else None)
        app.extensions["wechat_sandbox_delivery"] = thread
        thread.start()
    return app
