"""The owner manages accounts (staff, distributors) and reads the audit log."""

from __future__ import annotations

from typing import Any

import marshmallow as ma

from backend.audit import AuditEntry
from backend.auth import services as auth
from backend.auth.models import User
from miniprogram_api.api import Blueprint
from miniprogram_api.auth import UserOut
from miniprogram_api.idempotency import idempotent
from miniprogram_api.pagination import PageArgs, page, page_schema
from miniprogram_api.security import access, current_user
from miniprogram_api.timestamps import Timestamp

blp = Blueprint("users", __name__, url_prefix="/api", description="账号与审计 Accounts and audit log")


class UserIn(ma.Schema):
    role = ma.fields.String(required=True, validate=ma.validate.OneOf(["staff", "owner", "distributor"]))
    display_name = ma.fields.String(load_default="", validate=ma.validate.Length(max=64))
    username = ma.fields.String(load_default=None, validate=ma.validate.Length(min=2, max=64))
    phone = ma.fields.String(load_default=None, validate=ma.validate.Regexp(r"^1\d{10}$"))
    password = ma.fields.String(
        load_default=None, load_only=True, validate=ma.validate.Length(min=8, max=256)
    )


class AuditOut(ma.Schema):
    id = ma.fields.Integer()
    actor_id = ma.fields.Integer(allow_none=True)
    action = ma.fields.String()
    target_type = ma.fields.String()
    target_id = ma.fields.String()
    detail = ma.fields.String()
    at = Timestamp()


UserPage = page_schema(UserOut, "UserPage")
AuditPage = page_schema(AuditOut, "AuditPage")


@blp.route("/users", methods=["POST"])
@access("owner")
@idempotent
@blp.arguments(UserIn)
@blp.response(201, UserOut)
def create_user(data: dict[str, Any]) -> Any:
    """新建账号 Create a staff, owner or distributor account."""
    return auth.create_user(actor_id=current_user().id, **data)


@blp.route("/users", methods=["GET"])
@access("owner")
@blp.arguments(PageArgs, location="query")
@blp.response(200, UserPage)
def list_users(args: dict[str, Any]) -> Any:
    """账号列表 Accounts, newest first."""
    return page(User.select(), User.id, args)


@blp.route("/audit-log", methods=["GET"])
@access("owner")
@blp.arguments(PageArgs, location="query")
@blp.response(200, AuditPage)
def audit_log(args: dict[str, Any]) -> Any:
    """审计日志 Privileged actions, newest first."""
    return page(AuditEntry.select(), AuditEntry.id, args)
