"""Who may play the phone: the control endpoints and the payer page need the sandbox's token.

Without it, anyone who reaches the port could mint a wx.login code for any openid and log in as
a staff member or distributor who bound that WeChat, or pay orders on someone's behalf. The
WeChat-protocol endpoints (``/wx``, ``/pay``) stay as WeChat's protocol has them: they are
authenticated by the app secret, access tokens and signatures already.

A caller shows the token in the ``X-Sandbox-Token`` header (scripts, tests) or in a cookie a
browser gets by opening ``<sandbox>/unlock?token=<token>`` once (the link ``yecai demo`` prints).
"""

from __future__ import annotations

import hmac
import secrets

from flask import Blueprint, Flask, current_app, jsonify, redirect, request, url_for
from werkzeug.wrappers import Response

TOKEN_HEADER = "X-Sandbox-Token"
COOKIE = "yecai_sandbox_token"
CONFIG_KEY = "SANDBOX_CONTROL_TOKEN"
PROTECTED_KEY = "SANDBOX_PROTECTED_BLUEPRINTS"
COOKIE_MAX_AGE = 30 * 24 * 3600

bp = Blueprint("guard", __name__)

REFUSAL = (
    "需要沙箱口令：打开 yecai demo 启动时打印的链接，或带上 X-Sandbox-Token 请求头。"
    " The sandbox's control token is required: open the link `yecai demo` printed, or send the"
    " X-Sandbox-Token header."
)


def new_token() -> str:
    return secrets.token_urlsafe(24)


def _matches(given: str | None) -> bool:
    expected: str = current_app.config[CONFIG_KEY]
    return bool(given) and hmac.compare_digest(str(given).encode(), expected.encode())


def _refuse_without_token() -> Response | tuple[Response, int] | None:
    if request.blueprint not in current_app.config[PROTECTED_KEY]:
        return None
    if _matches(request.headers.get(TOKEN_HEADER)) or _matches(request.cookies.get(COOKIE)):
        return None
    if request.blueprint == "control":
        return jsonify({"code": "UNAUTHORIZED", "message": REFUSAL}), 401
    return Response(REFUSAL, status=401, mimetype="text/plain")


def protect(app: Flask, token: str, *blueprints: Blueprint) -> None:
    """Require ``token`` on every route of ``blueprints``; add ``/unlock`` for browsers."""
    app.config[CONFIG_KEY] = token
    app.config[PROTECTED_KEY] = frozenset(b.name for b in blueprints)
    app.before_request(_refuse_without_token)
    app.register_blueprint(bp)


@bp.get("/unlock")
def unlock() -> Response | tuple[Response, int]:
    """Open once with the token: a cookie for this sandbox, then the payer page."""
    if not _matches(request.args.get("token")):
        return Response(REFUSAL, status=401, mimetype="text/plain")
    response = redirect(url_for("payer.page"), code=303)
    response.set_cookie(
        COOKIE,
        current_app.config[CONFIG_KEY],
        max_age=COOKIE_MAX_AGE,
        path=(request.script_root or "") + "/",
        httponly=True,
        samesite="Strict",  # the payer page's buttons cannot be pressed from another site
    )
    return response
