"""Late interest (charge one invoice now, waive a charge), bad-debt write-offs and recoveries, and
credit scores."""

from __future__ import annotations

import json
import uuid
from typing import Any

import marshmallow as ma

from backend.approvals.models import ApprovalRequest
from backend.receivables.credit import interest, scoring, writeoffs
from backend.receivables.credit.models import WRITE_OFF_CONDITIONS, WriteOff
from miniprogram_api.api import Blueprint
from miniprogram_api.approvals import ApprovalOut
from miniprogram_api.idempotency import idempotent
from miniprogram_api.security import STAFF, access, current_user
from miniprogram_api.timestamps import Timestamp
from store import credit_orders

blp = Blueprint(
    "bad_debt", __name__, url_prefix="/api", description="逾期利息与坏账 Late interest and bad debt"
)


class ChargeOut(ma.Schema):
    id = ma.fields.Integer()
    invoice_id = ma.fields.Integer()
    customer_id = ma.fields.Integer()
    period_from = ma.fields.Date()
    period_to = ma.fields.Date()
    fen_days = ma.fields.Integer(metadata={"description": "sum over the days of what was outstanding"})
    rate_ppm = ma.fields.Integer()
    amount_fen = ma.fields.Integer()
    interest_invoice_id = ma.fields.Integer(allow_none=True)
    status = ma.fields.String()
    waived_fen = ma.fields.Integer()


class ChargeIn(ma.Schema):
    through = ma.fields.Date(required=True, metadata={"description": "the last day charged (before today)"})


class ReasonIn(ma.Schema):
    reason = ma.fields.String(load_default="", validate=ma.validate.Length(max=500))


class WaiverOut(ma.Schema):
    status = ma.fields.String(metadata={"description": "waived | pending_approval"})
    charge = ma.fields.Nested(ChargeOut, allow_none=True)
    approval = ma.fields.Nested(ApprovalOut, allow_none=True)


class WriteOffIn(ma.Schema):
    amount_fen = ma.fields.Integer(required=True, strict=True)
    condition = ma.fields.String(
        required=True,
        validate=ma.validate.OneOf(sorted(WRITE_OFF_CONDITIONS)),
        metadata={
            "description": "小企业会计准则 第十条: "
            + "; ".join(f"{k}: {v}" for k, v in WRITE_OFF_CONDITIONS.items())
        },
    )
    evidence = ma.fields.String(required=True, validate=ma.validate.Length(min=1, max=2000))


class WriteOffOut(ma.Schema):
    id = ma.fields.Integer()
    invoice_id = ma.fields.Integer()
    customer_id = ma.fields.Integer()
    amount_fen = ma.fields.Integer()
    condition = ma.fields.String()
    evidence = ma.fields.String()
    approval_id = ma.fields.Integer()
    recovered_fen = ma.fields.Integer()
    created_at = Timestamp()


class WriteOffResultOut(ma.Schema):
    status = ma.fields.String(metadata={"description": "written_off | pending_approval"})
    write_off = ma.fields.Nested(WriteOffOut, allow_none=True)
    approval = ma.fields.Nested(ApprovalOut, allow_none=True)


class RecoveryIn(ma.Schema):
    amount_fen = ma.fields.Integer(required=True, strict=True)
    method = ma.fields.String(required=True, validate=ma.validate.OneOf(["cash", "bank_transfer"]))


class RecoveryOut(ma.Schema):
    write_off = ma.fields.Nested(WriteOffOut)
    payment_id = ma.fields.Integer()


class ScoreOut(ma.Schema):
    scored_on = ma.fields.Date()
    score = ma.fields.Integer()
    grade = ma.fields.String()
    factors = ma.fields.Function(lambda s: json.loads(s.factors), metadata={"type": "object"})
    proposal = ma.fields.String(allow_none=True)
    proposed_limit_fen = ma.fields.Integer(allow_none=True)


class ScoresOut(ma.Schema):
    customer_id = ma.fields.Integer()
    items = ma.fields.List(ma.fields.Nested(ScoreOut))


@blp.route("/invoices/<int:invoice_id>/late-interest", methods=["POST"])
@access("owner")
@idempotent
@blp.arguments(ChargeIn)
@blp.response(201, ChargeOut)
def charge(data: dict[str, Any], invoice_id: int) -> Any:
    """计收逾期利息 Charge one invoice's late interest now, up to `through` (normally the monthly run does it)."""
    return interest.charge_invoice(invoice_id, data["through"], actor_id=current_user().id)


@blp.route("/interest-charges/<int:charge_id>/waiver", methods=["POST"])
@access(*STAFF)
@idempotent
@blp.arguments(ReasonIn)
@blp.response(201, WaiverOut)
@blp.alt_response(202, schema=WaiverOut, description="staff: waiting for the owner's approval")
def waive(data: dict[str, Any], charge_id: int) -> Any:
    """减免利息 Waive what is open of a late-interest charge, by reversal; staff need the owner's approval."""
    done = interest.waive(charge_id, actor_id=current_user().id, reason=data["reason"])
    if isinstance(done, ApprovalRequest):
        return {"status": "pending_approval", "charge": None, "approval": done}, 202
    return {"status": "waived", "charge": done, "approval": None}


@blp.route("/invoices/<int:invoice_id>/write-off", methods=["POST"])
@access(*STAFF)
@idempotent
@blp.arguments(WriteOffIn)
@blp.response(201, WriteOffResultOut)
@blp.alt_response(202, schema=WriteOffResultOut, description="staff: waiting for the owner's approval")
def write_off(data: dict[str, Any], invoice_id: int) -> Any:
    """坏账核销 Write off what is lost of an invoice (Dr 5711 / Cr 1122), naming the 第十条 condition."""
    done = writeoffs.write_off(
        invoice_id, data["amount_fen"], data["condition"], data["evidence"], actor_id=current_user().id
    )
    if isinstance(done, ApprovalRequest):
        return {"status": "pending_approval", "write_off": None, "approval": done}, 202
    return {"status": "written_off", "write_off": done, "approval": None}


@blp.route("/write-offs/<int:write_off_id>/recoveries", methods=["POST"])
@access(*STAFF)
@idempotent
@blp.arguments(RecoveryIn)
@blp.response(201, RecoveryOut)
def recover(data: dict[str, Any], write_off_id: int) -> Any:
    """坏账收回 Money in for a debt written off: back on the invoice against 5301, then collected."""
    payment = credit_orders.recover_written_off(
        write_off_id,
        data["amount_fen"],
        data["method"],
        f"recovery:{uuid.uuid4().hex}",
        actor_id=current_user().id,
    )
    return {"write_off": WriteOff.get_by_id(write_off_id), "payment_id": payment.id}


@blp.route("/customers/<int:customer_id>/credit/scores", methods=["GET"])
@access(*STAFF)
@blp.response(200, ScoresOut)
def scores(customer_id: int) -> Any:
    """信用评分 The customer's scores, newest first, with each factor's value and points."""
    return {"customer_id": customer_id, "items": scoring.scores_by_customer(customer_id)}
