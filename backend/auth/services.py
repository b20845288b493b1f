"""Identity verbs: create users, log in (WeChat code or password), bind WeChat, check and revoke tokens."""

from __future__ import annotations

import datetime as dt
import hashlib
import logging
import secrets
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import peewee as pw

from backend import audit, clock
from backend.auth import errors
from backend.auth.lockout import LoginGuard
from backend.auth.models import ROLES, AuthToken, User, WechatIdentity
from backend.auth.passwords import hash_password, verify_password
from backend.auth.sealing import seal
from backend.db import Param, Prepared, locked, savepoint, transaction
from backend.errors import NotFound, ValidationFailed

log = logging.getLogger(__name__)

# WeChat's "invalid code" family: 40029 invalid, 40163 already used, 40226 risky user.
_BAD_CODE_ERRCODES = {40029, 40163, 40226}


# What login needs from WeChat: js_code -> {openid, session_key, unionid?} (wechatpy's code_to_session).
CodeExchanger = Callable[[str], dict[str, Any]]


@dataclass(frozen=True)
class IssuedToken:
    token: str
    expires_at: dt.datetime
    user: User


def _hash_token(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def create_user(
    role: str,
    *,
    display_name: str = "",
    username: str | None = None,
    phone: str | None = None,
    password: str | None = None,
    actor_id: int | None = None,
) -> User:
    if role not in ROLES:
        raise ValidationFailed(f"Unknown role {role!r}", f"未知角色 {role}", details={"role": role})
    if role in ("staff", "owner") and not (username or phone):
        raise ValidationFailed(
            "Staff and owner accounts need a username or phone", "员工和老板账号需要用户名或手机号"
        )
    if password is not None and len(password) < 8:
        raise ValidationFailed("Passwords need at least 8 characters", "密码至少 8 位")
    with transaction():
        try:
            with savepoint():
                user = User.create(
                    role=role,
                    display_name=display_name,
                    username=username,
                    phone=phone,
                    password_hash=hash_password(password) if password else None,
                )
        except pw.IntegrityError:
            raise errors.AccountExists()
        audit.record(actor_id, "user.create", "user", user.id, role=role, username=username, phone=phone)
    return user


def issue_token(user: User, method: str, ttl_seconds: int) -> IssuedToken:
    token = "yc_" + secrets.token_urlsafe(32)
    expires_at = clock.now() + dt.timedelta(seconds=ttl_seconds)
    AuthToken.create(token_hash=_hash_token(token), user=user, method=method, expires_at=expires_at)
    return IssuedToken(token=token, expires_at=expires_at, user=user)


def login_with_password(
    login: str, password: str, ttl_seconds: int, *, guard: LoginGuard, address: str
) -> IssuedToken:
    """Check the password and issue a token; `guard` refuses while the account or the caller's
    `address` is locked out, and counts each wrong password."""
    user = User.get_or_none((User.username == login) | (User.phone == login))
    account = f"user:{user.id}" if user is not None else f"login:{login.casefold()}"
    guard.check(account, address)
    if not verify_password(password, user.password_hash if user else None) or user is None:
        guard.failed(account, address, user.id if user else None, login)
        raise errors.InvalidCredentials()
    if user.disabled_at is not None:
        raise errors.InvalidCredentials()
    guard.succeeded(account)
    with transaction():
        return issue_token(user, "password", ttl_seconds)


def _exchange(code: str, exchange: CodeExchanger) -> dict[str, Any]:
    from wechatpy.exceptions import WeChatClientException

    try:
        return exchange(code)
    except WeChatClientException as exc:
        if exc.errcode in _BAD_CODE_ERRCODES:
            raise errors.InvalidWechatCode()
        log.warning("code2session failed with errcode %s", exc.errcode)
        raise errors.WechatUnavailable()
    except OSError:
        raise errors.WechatUnavailable()


def _sealed_session_key(session: dict[str, Any], secret_key: str) -> str:
    """Every path that stores a session_key stores it sealed: a database dump must not hold it."""
    return seal(str(session["session_key"]), secret_key)


def login_with_wechat(code: str, exchange: CodeExchanger, ttl_seconds: int, secret_key: str) -> IssuedToken:
    """Exchange a wx.login code; a first-time openid becomes a new customer account."""
    session = _exchange(code, exchange)
    session_key = _sealed_session_key(session, secret_key)
    openid = session["openid"]
    with transaction():
        identity = locked(WechatIdentity.select().where(WechatIdentity.openid == openid)).first()
        if identity is None:
            user = User.create(role="customer")
            identity = WechatIdentity.create(
                openid=openid, unionid=session.get("unionid"), user=user, session_key=session_key
            )
        user = identity.user
        if user.disabled_at is not None:
            raise errors.InvalidCredentials()
        WechatIdentity.update(
            session_key=session_key, unionid=session.get("unionid"), last_login_at=clock.now()
        ).where(WechatIdentity.id == identity.id).execute()
        return issue_token(user, "wechat", ttl_seconds)


def bind_wechat(user: User, code: str, exchange: CodeExchanger, secret_key: str) -> WechatIdentity:
    """Staff and owners bind their WeChat so they can log in from the mini-program console."""
    session = _exchange(code, exchange)
    session_key = _sealed_session_key(session, secret_key)
    with transaction():
        identity = WechatIdentity.get_or_none(WechatIdentity.openid == session["openid"])
        if identity is not None and identity.user_id != user.id:
            raise errors.AlreadyBound()
        if identity is None:
            identity = WechatIdentity.create(
                openid=session["openid"], unionid=session.get("unionid"), user=user, session_key=session_key
            )
        else:  # binding again: keep the newest session_key, sealed like the first
            WechatIdentity.update(session_key=session_key).where(WechatIdentity.id == identity.id).execute()
        audit.record(user.id, "user.bind_wechat", "user", user.id)
        return identity


# Every authenticated request runs this one.
_TOKEN_WITH_USER = Prepared(
    lambda: AuthToken.select(AuthToken, User).join(User).where(AuthToken.token_hash == Param("hash")).limit(1)
)


def authenticate(token: str | None) -> User:
    if not token:
        raise errors.Unauthenticated()
    rows = _TOKEN_WITH_USER.rows({"hash": _hash_token(token)})
    row = rows[0] if rows else None
    now = clock.now()
    if row is None or row.revoked_at is not None or row.expires_at <= now or row.user.disabled_at is not None:
        raise errors.InvalidToken()
    user: User = row.user
    user.current_token_id = row.id  # type: ignore[attr-defined]
    return user


def revoke_token(user: User, token_id: int) -> None:
    with transaction():
        updated = (
            AuthToken.update(revoked_at=clock.now())
            .where((AuthToken.id == token_id) & (AuthToken.user == user) & AuthToken.revoked_at.is_null())
            .execute()
        )
        if (
            not updated
            and not AuthToken.select().where((AuthToken.id == token_id) & (AuthToken.user == user)).exists()
        ):
            raise NotFound("No such session", "没有该登录会话")


def sessions_of(user: User) -> pw.ModelSelect[Any]:
    return AuthToken.select().where(AuthToken.user == user)


def get_user(user_id: int) -> User:
    user = User.get_or_none(User.id == user_id)
    if user is None:
        raise NotFound("No such user", "没有该用户")
    return user
