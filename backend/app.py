"""The application factory: the one place that wires configuration, database, jobs and the HTTP surface."""

from __future__ import annotations

import logging
from collections.abc import Mapping
from typing import Any

from flask import Flask

from backend import redaction, wiring
from backend.config import Settings, load_settings
from backend.db import db

# Where the WeChat simulator is mounted when one is given (demo and tests).
SANDBOX_MOUNT = "/sandbox"


def create_app(config: Settings | Mapping[str, Any] | None = None, *, sandbox: Any = None) -> Flask:
    """Build the WSGI app.

    `config` is a Settings, or a mapping of Settings field overrides on top of the environment.
    `sandbox`, if given, is the WeChat simulator's WSGI app, mounted at /sandbox (demo and tests).
    """
    settings = config if isinstance(config, Settings) else load_settings(**dict(config or {}))
    wiring.configure(settings)
    # WeChat's protocol puts secrets in URLs: every log line this process writes is redacted.
    redaction.install(
        [
            settings.secret_key,
            settings.wechat_secret,
            settings.wechatpay_apiv3_key,
            settings.wechatpay_private_key,
        ]
    )

    app = Flask("yecai", instance_path=settings.instance_dir)
    app.config.update(
        SECRET_KEY=settings.secret_key or None,
        MAX_CONTENT_LENGTH=settings.max_request_bytes,
        TESTING=settings.testing,
        JSON_SORT_KEYS=False,
    )
    if settings.trusted_proxies:
        # Behind nginx: the client's address is the one our own proxies put in X-Forwarded-For;
        # without this setting the header is ignored, since any client can send it.
        from werkzeug.middleware.proxy_fix import ProxyFix

        app.wsgi_app = ProxyFix(app.wsgi_app, x_for=settings.trusted_proxies)  # type: ignore[method-assign]
    app.json.ensure_ascii = False  # type: ignore[attr-defined]
    app.extensions["yecai"] = settings

    # peewee connects lazily on the first query of a request, so /healthz never needs the database.
    @app.teardown_request
    def _release(_exc: BaseException | None) -> None:
        if not db.is_closed():
            db.close()  # returns the connection to the pool on PostgreSQL

    # The HTTP surface is wired here, at the composition root; domain code never imports it.
    import console
    import miniprogram_api

    miniprogram_api.register(app)
    console.register(app)  # the phone console's pages under /m/

    if sandbox is not None:
        from werkzeug.middleware.dispatcher import DispatcherMiddleware

        from backend import demo
        from miniprogram_api.home import (
            DEMO_LOGINS_KEY,
            DEMO_TOKEN_FILE_KEY,
            SANDBOX_MOUNT_KEY,
            SANDBOX_TOKEN_KEY,
        )
        from payments.sandbox.guard import CONFIG_KEY

        app.extensions[SANDBOX_MOUNT_KEY] = SANDBOX_MOUNT
        app.extensions[DEMO_LOGINS_KEY] = str(demo.logins_file(settings.instance_dir))
        app.extensions[DEMO_TOKEN_FILE_KEY] = str(demo.sandbox_token_file(settings.instance_dir))
        app.extensions[SANDBOX_TOKEN_KEY] = sandbox.config.get(CONFIG_KEY)
        app.wsgi_app = DispatcherMiddleware(app.wsgi_app, {SANDBOX_MOUNT: sandbox})  # type: ignore[method-assign]
    logging.getLogger("yecai").setLevel(logging.INFO)
    return app
