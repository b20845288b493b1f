"""Log in (WeChat code or password), see and revoke your sessions, bind WeChat to a staff account."""

from __future__ import annotations

from typing import Any

import marshmallow as ma

from backend import runtime
from backend.auth import services as auth
from backend.auth.models import AuthToken
from miniprogram_api.api import Blueprint
from miniprogram_api.fields import ComputedBoolean
from miniprogram_api.pagination import PageArgs, page, page_schema
from miniprogram_api.security import PUBLIC, access, current_user
from miniprogram_api.throttling import client_address, costly, documents_429
from miniprogram_api.timestamps import Timestamp

blp = Blueprint("auth", __name__, url_prefix="/api/auth", description="登录与会话 Login and sessions")

ANY_ROLE = ("customer", "distributor", "staff", "owner")


class UserOut(ma.Schema):
    id = ma.fields.Integer()
    role = ma.fields.String()
    display_name = ma.fields.String()
    username = ma.fields.String(allow_none=True)
    phone = ma.fields.String(allow_none=True)


class WechatLoginIn(ma.Schema):
    code = ma.fields.String(required=True, validate=ma.validate.Length(min=1, max=128))


class PasswordLoginIn(ma.Schema):
    login = ma.fields.String(required=True, validate=ma.validate.Length(min=1, max=64))
    password = ma.fields.String(required=True, validate=ma.validate.Length(min=1, max=256), load_only=True)


class TokenOut(ma.Schema):
    token = ma.fields.String()
    expires_at = Timestamp()
    user = ma.fields.Nested(UserOut)


class SessionOut(ma.Schema):
    id = ma.fields.Integer()
    method = ma.fields.String()
    created_at = Timestamp()
    expires_at = Timestamp()
    revoked_at = Timestamp(allow_none=True)
    current = ComputedBoolean(
        compute=lambda token: token.id == getattr(current_user(), "current_token_id", None)
    )


SessionPage = page_schema(SessionOut, "SessionPage")


def _code_exchanger(code: str) -> dict[str, Any]:
    return runtime.miniprogram_client().wxa.code_to_session(code)


@blp.route("/wechat-login", methods=["POST"])
@access(PUBLIC)
@costly("wechat-login")
@blp.arguments(WechatLoginIn)
@blp.response(200, TokenOut)
def wechat_login(data: dict[str, Any]) -> Any:
    """用 wx.login 的 code 登录 Log in with a wx.login code (new WeChat users become customers)."""
    settings = runtime.settings()
    return auth.login_with_wechat(
        data["code"], _code_exchanger, settings.token_ttl_seconds, settings.secret_key
    )


@blp.route("/password-login", methods=["POST"])
@access(PUBLIC)
@documents_429(
    "login_locked: too many wrong passwords for this account; login_rate_limited: too many from this address"
)
@blp.arguments(PasswordLoginIn)
@blp.response(200, TokenOut)
def password_login(data: dict[str, Any]) -> Any:
    """员工/老板用户名或手机号 + 密码登录 Staff and owner log in with username or phone and password."""
    return auth.login_with_password(
        data["login"],
        data["password"],
        runtime.settings().token_ttl_seconds,
        guard=runtime.login_guard(),
        address=client_address(),
    )


@blp.route("/wechat-bind", methods=["POST"])
@access("staff", "owner", "distributor")
@blp.arguments(WechatLoginIn)
@blp.response(200, UserOut)
def wechat_bind(data: dict[str, Any]) -> Any:
    """绑定微信 Bind your WeChat identity so you can log in from the mini-program."""
    auth.bind_wechat(current_user(), data["code"], _code_exchanger, runtime.settings().secret_key)
    return current_user()


@blp.route("/logout", methods=["POST"])
@access(*ANY_ROLE)
@blp.response(204)
def logout() -> None:
    """退出登录 Revoke the token used for this request."""
    auth.revoke_token(current_user(), current_user().current_token_id)


@blp.route("/sessions", methods=["GET"])
@access(*ANY_ROLE)
@blp.arguments(PageArgs, location="query")
@blp.response(200, SessionPage)
def list_sessions(args: dict[str, Any]) -> Any:
    """我的登录会话 Your sessions, newest first."""
    return page(auth.sessions_of(current_user()), AuthToken.id, args)


@blp.route("/sessions/<int:session_id>", methods=["DELETE"])
@access(*ANY_ROLE)
@blp.response(204)
def revoke_session(session_id: int) -> None:
    """注销某个会话 Revoke one of your sessions (another user's session is a 404)."""
    auth.revoke_token(current_user(), session_id)


@blp.route("/me", methods=["GET"])
@access(*ANY_ROLE)
@blp.response(200, UserOut)
def me() -> Any:
    """当前用户 The caller."""
    return current_user()
