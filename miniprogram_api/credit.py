"""Credit: where a customer stands (limit, exposure, headroom, overdue, hold) and their credit profile."""

from __future__ import annotations

from typing import Any

import marshmallow as ma

from backend.kernel.models import Customer
from backend.receivables import advances
from backend.receivables.credit import allowances, interest, profiles, scoring
from backend.receivables.credit.models import OVERDUE_ACTIONS, TERMS_KINDS, CreditAllowance
from backend.receivables.credit.standing import standing
from backend.receivables.errors import UnknownCustomer
from miniprogram_api.api import Blueprint
from miniprogram_api.approvals import ApprovalOut
from miniprogram_api.idempotency import idempotent
from miniprogram_api.security import STAFF, access, current_user
from miniprogram_api.timestamps import Timestamp

blp = Blueprint("credit", __name__, url_prefix="/api", description="信用 Credit")


class TermsOut(ma.Schema):
    version = ma.fields.Integer()
    limit_fen = ma.fields.Integer()
    terms_kind = ma.fields.String(
        metadata={"description": "days: N days after the invoice; month_end: 月结 N days after month end"}
    )
    terms_days = ma.fields.Integer()
    grace_days = ma.fields.Integer()
    late_interest_ppm = ma.fields.Integer(
        metadata={"description": "per day, parts per million (日万分之五 = 500)"}
    )
    overdue_action = ma.fields.String(metadata={"description": "hold | warn"})


class CreditOut(ma.Schema):
    customer_id = ma.fields.Integer()
    limit_fen = ma.fields.Integer()
    balance_fen = ma.fields.Integer(metadata={"description": "open receivables"})
    advance_fen = ma.fields.Integer(metadata={"description": "预收 the customer's unapplied credit (2203)"})
    uninvoiced_fen = ma.fields.Integer(
        metadata={"description": "accepted on-account orders not yet invoiced"}
    )
    exposure_fen = ma.fields.Integer(metadata={"description": "balance + uninvoiced - advance"})
    headroom_fen = ma.fields.Integer(metadata={"description": "limit - exposure; negative when over"})
    overdue_fen = ma.fields.Integer()
    overdue_days = ma.fields.Integer()
    on_hold = ma.fields.Boolean()
    hold_reason = ma.fields.String(allow_none=True)
    score = ma.fields.Integer(allow_none=True)
    grade = ma.fields.String(allow_none=True)
    accrued_interest_fen = ma.fields.Integer(
        metadata={"description": "late interest accrued to yesterday, not yet posted"}
    )
    terms = ma.fields.Nested(TermsOut)
    allowances = ma.fields.List(ma.fields.Nested(lambda: AllowanceOut()))


class ProfileVersionOut(TermsOut):
    reason = ma.fields.String()
    changed_by = ma.fields.Integer(attribute="changed_by_id", allow_none=True)
    approval_id = ma.fields.Integer(allow_none=True)
    created_at = Timestamp()


class ProfileOut(ma.Schema):
    customer_id = ma.fields.Integer()
    current = ma.fields.Nested(TermsOut)
    versions = ma.fields.List(ma.fields.Nested(ProfileVersionOut))


class ProfileChangeIn(ma.Schema):
    limit_fen = ma.fields.Integer(strict=True)
    terms_kind = ma.fields.String(validate=ma.validate.OneOf(TERMS_KINDS))
    terms_days = ma.fields.Integer(strict=True)
    grace_days = ma.fields.Integer(strict=True)
    late_interest_ppm = ma.fields.Integer(strict=True)
    overdue_action = ma.fields.String(validate=ma.validate.OneOf(OVERDUE_ACTIONS))
    reason = ma.fields.String(load_default="", validate=ma.validate.Length(max=500))


class ProfileChangeOut(ma.Schema):
    status = ma.fields.String(metadata={"description": "applied | pending_approval"})
    profile = ma.fields.Nested(ProfileVersionOut, allow_none=True)
    approval = ma.fields.Nested(ApprovalOut, allow_none=True)


def _customer(customer_id: int) -> Customer:
    customer = Customer.get_or_none(Customer.id == customer_id)
    if customer is None:
        raise UnknownCustomer(details={"customer_id": customer_id})
    return customer


def credit_view(customer_id: int) -> dict[str, Any]:
    now = standing(customer_id)
    score = scoring.latest(customer_id)
    return {
        "customer_id": customer_id,
        "limit_fen": now.limit_fen,
        "balance_fen": now.balance_fen,
        "advance_fen": advances.balance_of(customer_id),
        "uninvoiced_fen": now.uninvoiced_fen,
        "exposure_fen": now.exposure_fen,
        "headroom_fen": now.headroom_fen,
        "overdue_fen": now.overdue_fen,
        "overdue_days": now.overdue_days,
        "on_hold": now.on_hold,
        "hold_reason": now.hold_reason,
        "score": score.score if score else None,
        "grade": score.grade if score else None,
        "accrued_interest_fen": interest.accrued_unposted(customer_id),
        "terms": now.terms,
        "allowances": allowances.open_allowances(customer_id),
    }


@blp.route("/customers/<int:customer_id>/credit", methods=["GET"])
@access(*STAFF)
@blp.response(200, CreditOut)
def customer_credit(customer_id: int) -> Any:
    """客户信用 Limit, exposure (open items + accepted orders not invoiced - credit paid ahead), headroom, overdue and hold."""
    return credit_view(customer_id)


@blp.route("/customers/<int:customer_id>/credit/profile", methods=["GET"])
@access(*STAFF)
@blp.response(200, ProfileOut)
def credit_profile(customer_id: int) -> Any:
    """信用条件 The credit profile in force and every earlier version, newest first."""
    customer = _customer(customer_id)
    return {
        "customer_id": customer.id,
        "current": profiles.current_terms(customer),
        "versions": profiles.history(customer.id),
    }


@blp.route("/customers/<int:customer_id>/credit/profile", methods=["POST"])
@access(*STAFF)
@idempotent
@blp.arguments(ProfileChangeIn)
@blp.response(201, ProfileChangeOut)
@blp.alt_response(202, schema=ProfileChangeOut, description="staff: waiting for the owner's approval")
def change_credit_profile(data: dict[str, Any], customer_id: int) -> Any:
    """修改信用条件 Change the credit profile: the owner's change applies at once (a new version);
    a staff member's waits for the owner's approval. Give only the fields that change."""
    reason = data.pop("reason")
    change = profiles.change_profile(customer_id, data, actor_id=current_user().id, reason=reason)
    if change.profile is not None:
        return {"status": "applied", "profile": change.profile, "approval": None}
    return {"status": "pending_approval", "profile": None, "approval": change.approval}, 202


class AllowanceOut(ma.Schema):
    id = ma.fields.Integer()
    amount_fen = ma.fields.Integer()
    until = ma.fields.Date()
    reason = ma.fields.String()
    granted_by = ma.fields.Integer(attribute="granted_by_id")
    approval_id = ma.fields.Integer(allow_none=True)
    used_at = Timestamp(allow_none=True)
    used_for = ma.fields.String(allow_none=True)


class AllowanceIn(ma.Schema):
    amount_fen = ma.fields.Integer(required=True, strict=True)
    until = ma.fields.Date(required=True)
    reason = ma.fields.String(load_default="", validate=ma.validate.Length(max=500))


class AllowanceGrantOut(ma.Schema):
    status = ma.fields.String(metadata={"description": "granted | pending_approval"})
    allowance = ma.fields.Nested(AllowanceOut, allow_none=True)
    approval = ma.fields.Nested(ApprovalOut, allow_none=True)


@blp.route("/customers/<int:customer_id>/credit/allowances", methods=["POST"])
@access(*STAFF)
@idempotent
@blp.arguments(AllowanceIn)
@blp.response(201, AllowanceGrantOut)
@blp.alt_response(202, schema=AllowanceGrantOut, description="staff: waiting for the owner's approval")
def grant_allowance(data: dict[str, Any], customer_id: int) -> Any:
    """一次性超额度 A one-off override: the next sale on account over the limit by up to `amount_fen`, until
    `until`, goes through (once). The owner grants it; a staff member's request waits for approval."""
    granted = allowances.grant(
        customer_id, data["amount_fen"], data["until"], actor_id=current_user().id, reason=data["reason"]
    )
    if isinstance(granted, CreditAllowance):
        return {"status": "granted", "allowance": granted, "approval": None}
    return {"status": "pending_approval", "allowance": None, "approval": granted}, 202
