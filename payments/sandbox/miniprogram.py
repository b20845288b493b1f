"""Mini-program server APIs (api.weixin.qq.com), mounted under ``/wx``.

Errors follow WeChat: HTTP 200 with ``{"errcode": N, "errmsg": ...}``. The Python
functions at the top are what a phone would do (wx.login, accepting a subscription,
tapping "allow" on the phone-number button); control endpoints and tests call them.
"""

from __future__ import annotations

import base64
import io
import secrets
from typing import Any

import qrcode
from flask import Blueprint, Response, current_app, jsonify, request

from .clock import china_date
from .state import (
    LOGIN_CODE_LIFETIME,
    TOKEN_LIFETIME,
    LoginCode,
    PhoneCode,
    SandboxState,
    SentMessage,
    User,
    random_token,
)

bp = Blueprint("wx", __name__, url_prefix="/wx")


def _state() -> SandboxState:
    state: SandboxState = current_app.extensions["wechat_sandbox"]
    return state


def _err(errcode: int, errmsg: str) -> Response:
    return jsonify({"errcode": errcode, "errmsg": errmsg})


# --- what the phone does -------------------------------------------------------------


def ensure_user(state: SandboxState, openid: str | None = None) -> User:
    """The same openid always keeps the same unionid, as on WeChat."""
    with state.lock:
        if openid is None:
            openid = "o" + random_token(27)
        user = state.users.get(openid)
        if user is None:
            user = User(openid=openid, unionid="oU" + random_token(26))
            state.users[openid] = user
        return user


def mint_login_code(state: SandboxState, openid: str | None = None) -> LoginCode:
    """What ``wx.login`` hands the mini-program: a one-time code for code2session."""
    with state.lock:
        user = ensure_user(state, openid)
        code = random_token(32)
        login = LoginCode(
            code=code,
            openid=user.openid,
            unionid=user.unionid,
            expires_at=state.now() + LOGIN_CODE_LIFETIME,
        )
        state.login_codes[code] = login
        return login


def add_subscription(state: SandboxState, openid: str, template_id: str, count: int = 1) -> int:
    """The user ticks "allow" on a subscribe prompt: one acceptance buys one message."""
    with state.lock:
        ensure_user(state, openid)
        state.subscriptions[(openid, template_id)] += count
        return state.subscriptions[(openid, template_id)]


def set_subscribe_quota(state: SandboxState, daily: int | None) -> None:
    """Cap the app's subscribe-message calls per day (None lifts the cap); today's count stays."""
    if daily is not None and daily < 0:
        raise ValueError("a daily quota is zero or more")
    with state.lock:
        state.subscribe_daily_quota = daily


def mint_phone_code(state: SandboxState, openid: str, phone: str, country_code: str = "86") -> PhoneCode:
    """What the getPhoneNumber button hands the mini-program."""
    with state.lock:
        ensure_user(state, openid)
        code = random_token(40)
        pc = PhoneCode(
            code=code,
            openid=openid,
            phone=phone,
            country_code=country_code,
            expires_at=state.now() + LOGIN_CODE_LIFETIME,
        )
        state.phone_codes[code] = pc
        return pc


def expire_tokens(state: SandboxState) -> int:
    """Expire every access token now, to force the client's refresh-and-retry path."""
    with state.lock:
        now = state.now()
        count = 0
        for token, expires_at in state.tokens.items():
            if expires_at > now:
                state.tokens[token] = now
                count += 1
        return count


# --- the API ---------------------------------------------------------------------------


def _token_error(state: SandboxState) -> Response | None:
    token = request.args.get("access_token", "")
    with state.lock:
        expires_at = state.tokens.get(token)
        if expires_at is None or expires_at <= state.now():
            # 40001 for unknown and expired alike: wechatpy refreshes and retries on it.
            return _err(40001, "invalid credential, access_token is invalid or not latest")
    return None


def _app_error(state: SandboxState) -> Response | None:
    creds = state.credentials
    if request.args.get("appid") != creds.appid:
        return _err(40013, "invalid appid")
    if request.args.get("secret") != creds.app_secret:
        return _err(40125, "invalid appsecret")
    return None


@bp.get("/cgi-bin/token")
def token() -> Response:
    state = _state()
    if request.args.get("grant_type") != "client_credential":
        return _err(40002, "invalid grant_type")
    error = _app_error(state)
    if error is not None:
        return error
    with state.lock:
        access_token = random_token(64)
        state.tokens[access_token] = state.now() + TOKEN_LIFETIME
    return jsonify({"access_token": access_token, "expires_in": TOKEN_LIFETIME})


@bp.get("/sns/jscode2session")
def jscode2session() -> Response:
    # Real WeChat does not need an access_token here (wechatpy sends one anyway).
    state = _state()
    error = _app_error(state)
    if error is not None:
        return error
    code = request.args.get("js_code", "")
    with state.lock:
        login = state.login_codes.get(code)
        if login is None or login.used or login.expires_at <= state.now():
            return _err(40029, "invalid code")
        login.used = True
        session_key = base64.b64encode(secrets.token_bytes(16)).decode("ascii")
        login.session_key = session_key
    return jsonify({"openid": login.openid, "session_key": session_key, "unionid": login.unionid})


def _json_body() -> dict[str, Any]:
    body = request.get_json(force=True, silent=True)
    return body if isinstance(body, dict) else {}


@bp.post("/cgi-bin/message/subscribe/send")
def subscribe_send() -> Response:
    state = _state()
    error = _token_error(state)
    if error is not None:
        return error
    body = _json_body()
    touser, template_id = body.get("touser"), body.get("template_id")
    if (
        not isinstance(touser, str)
        or not isinstance(template_id, str)
        or not isinstance(body.get("data"), dict)
    ):
        return _err(47003, "argument invalid! data.touser/template_id/data required")
    with state.lock:
        day = china_date(state.now())
        if (
            state.subscribe_daily_quota is not None
            and state.subscribe_calls[day] >= state.subscribe_daily_quota
        ):
            return _err(45009, "reach max api daily quota limit")
        state.subscribe_calls[day] += 1
        key = (touser, template_id)
        if state.subscriptions[key] <= 0:
            return _err(43101, "user refuse to accept the msg")
        state.subscriptions[key] -= 1
        msgid = 3_000_000_000_000_000 + state.next_seq()
        state.sent_messages.append(
            SentMessage(
                msgid=msgid,
                touser=touser,
                template_id=template_id,
                data=body["data"],
                page=body.get("page"),
                miniprogram_state=body.get("miniprogram_state"),
                lang=body.get("lang"),
                sent_at=state.now(),
            )
        )
    return jsonify({"errcode": 0, "errmsg": "ok", "msgid": msgid})


@bp.post("/wxa/getwxacodeunlimit")
def wxacode_unlimit() -> Response:
    state = _state()
    error = _token_error(state)
    if error is not None:
        return error
    body = _json_body()
    scene = body.get("scene")
    if not isinstance(scene, str) or not scene:
        return _err(40169, "invalid length for scene, or the data is not json string")
    if len(scene) > 32:
        return _err(40169, "invalid length for scene, or the data is not json string")
    page = body.get("page") or ""
    # A real mini-program code is a round "sun code"; a QR code that carries the same
    # page and scene is close enough for a simulator and can be scanned in the demo.
    image = qrcode.make(f"{page}?scene={scene}")
    out = io.BytesIO()
    image.save(out)
    return Response(out.getvalue(), mimetype="image/png")


@bp.post("/wxa/business/getuserphonenumber")
def get_user_phone_number() -> Response:
    state = _state()
    error = _token_error(state)
    if error is not None:
        return error
    code = _json_body().get("code", "")
    with state.lock:
        pc = state.phone_codes.get(code) if isinstance(code, str) else None
        if pc is None or pc.used or pc.expires_at <= state.now():
            return _err(40029, "invalid code")
        pc.used = True
        now = int(state.now())
    full = pc.phone if pc.country_code == "86" else f"+{pc.country_code}{pc.phone}"
    return jsonify(
        {
            "errcode": 0,
            "errmsg": "ok",
            "phone_info": {
                "phoneNumber": full,
                "purePhoneNumber": pc.phone,
                "countryCode": pc.country_code,
                "watermark": {"timestamp": now, "appid": state.credentials.appid},
            },
        }
    )
