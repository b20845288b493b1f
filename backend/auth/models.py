"""Who can call the API: users with one role each, their WeChat identities and session tokens."""

from __future__ import annotations

import peewee as pw

from backend import clock
from backend.db import BaseModel

ROLES = ("customer", "distributor", "staff", "owner")


class User(BaseModel):
    role = pw.CharField(max_length=16, index=True)
    display_name = pw.CharField(max_length=64, default="")
    username = pw.CharField(max_length=64, null=True, unique=True)
    phone = pw.CharField(max_length=20, null=True, unique=True)
    # "scrypt$n$r$p$salt$hash"; null for users who only ever log in through WeChat.
    password_hash = pw.CharField(max_length=255, null=True)
    created_at = pw.DateTimeField(default=clock.now)
    disabled_at = pw.DateTimeField(null=True)

    class Meta:
        table_name = "app_user"  # "user" is reserved in PostgreSQL


class WechatIdentity(BaseModel):
    """A WeChat openid bound to a user. session_key is sealed (auth/sealing.py): never in a response or a log."""

    openid = pw.CharField(max_length=64, unique=True)
    unionid = pw.CharField(max_length=64, null=True)
    user = pw.ForeignKeyField(User, backref="wechat_identities", on_delete="CASCADE")
    session_key = pw.CharField(max_length=128, default="")  # sealed
    created_at = pw.DateTimeField(default=clock.now)
    last_login_at = pw.DateTimeField(null=True)


class AuthToken(BaseModel):
    """An opaque session token; only its SHA-256 is stored, so a database leak yields no sessions."""

    token_hash = pw.CharField(max_length=64, unique=True)
    user = pw.ForeignKeyField(User, backref="tokens", on_delete="CASCADE")
    method = pw.CharField(max_length=16)  # wechat | password
    created_at = pw.DateTimeField(default=clock.now)
    expires_at = pw.DateTimeField()
    revoked_at = pw.DateTimeField(null=True)
    last_used_at = pw.DateTimeField(null=True)
