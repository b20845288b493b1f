"""Adjustments against one invoice (折让, 抹零, price corrections, settled disputes) and the owner's
approval threshold for them."""

from __future__ import annotations

from typing import Any

import marshmallow as ma

from backend.receivables import adjustments
from backend.receivables.models import ADJUSTMENT_KINDS
from miniprogram_api.api import Blueprint
from miniprogram_api.approvals import ApprovalOut
from miniprogram_api.idempotency import idempotent
from miniprogram_api.security import STAFF, access, current_user
from miniprogram_api.timestamps import Timestamp

blp = Blueprint("adjustments", __name__, url_prefix="/api", description="应收调整 Receivable adjustments")


class AdjustmentIn(ma.Schema):
    kind = ma.fields.String(
        required=True,
        validate=ma.validate.OneOf(ADJUSTMENT_KINDS),
        metadata={
            "description": "discount 折让 | rounding 抹零 | price_correction 价格更正 | dispute_settlement"
        },
    )
    amount_fen = ma.fields.Integer(required=True, strict=True, metadata={"description": "positive fen"})
    direction = ma.fields.String(
        load_default="lower",
        validate=ma.validate.OneOf(adjustments.DIRECTIONS),
        metadata={"description": "lower what is owed (default) or raise it (price_correction only)"},
    )
    reason = ma.fields.String(required=True, validate=ma.validate.Length(min=1, max=adjustments.MAX_REASON))


class AdjustmentOut(ma.Schema):
    id = ma.fields.Integer()
    invoice_id = ma.fields.Integer()
    customer_id = ma.fields.Integer()
    kind = ma.fields.String()
    kind_label = ma.fields.Function(lambda a: adjustments.KIND_LABELS[a.kind], metadata={"type": "string"})
    amount_fen = ma.fields.Integer(metadata={"description": "signed: negative lowers what is owed"})
    vat_fen = ma.fields.Integer(metadata={"description": "the output VAT part of amount_fen, same sign"})
    account_code = ma.fields.String(metadata={"description": "5001 revenue, 5603 finance costs, 5301"})
    reason = ma.fields.String()
    source_type = ma.fields.String(allow_none=True)
    source_id = ma.fields.Integer(allow_none=True)
    approval_id = ma.fields.Integer(allow_none=True)
    created_by = ma.fields.Integer(attribute="created_by_id", allow_none=True)
    journal_entry_id = ma.fields.Integer()
    created_at = Timestamp()


class AdjustmentResultOut(ma.Schema):
    status = ma.fields.String(metadata={"description": "applied | pending_approval"})
    approval_id = ma.fields.Integer(
        allow_none=True, metadata={"description": "the request waiting for the owner"}
    )
    adjustment = ma.fields.Nested(AdjustmentOut, allow_none=True)
    approval = ma.fields.Nested(ApprovalOut, allow_none=True)


class AdjustmentListOut(ma.Schema):
    items = ma.fields.List(ma.fields.Nested(AdjustmentOut))


class ThresholdOut(ma.Schema):
    threshold_fen = ma.fields.Integer(
        metadata={"description": "a staff member's adjustment above this waits for the owner's approval"}
    )
    is_default = ma.fields.Boolean()
    changed_by = ma.fields.Integer(allow_none=True)
    changed_at = Timestamp(allow_none=True)
    reason = ma.fields.String()


class ThresholdIn(ma.Schema):
    threshold_fen = ma.fields.Integer(
        required=True, strict=True, validate=ma.validate.Range(min=0, max=10**13)
    )
    reason = ma.fields.String(load_default="", validate=ma.validate.Length(max=adjustments.MAX_REASON))


@blp.route("/invoices/<int:invoice_id>/adjustments", methods=["POST"])
@access(*STAFF)
@idempotent
@blp.arguments(AdjustmentIn)
@blp.response(201, AdjustmentResultOut)
@blp.alt_response(
    202, schema=AdjustmentResultOut, description="staff, above the threshold: waits for the owner"
)
def adjust_invoice(data: dict[str, Any], invoice_id: int) -> Any:
    """应收调整 Lower what is owed on an invoice (折让, 抹零, price correction, dispute) or raise it (a price
    correction, through the credit check), with a reason. The owner's apply at once; a staff member's
    above the owner's threshold waits for approval (202)."""
    outcome = adjustments.adjust(
        invoice_id,
        data["kind"],
        data["amount_fen"],
        data["reason"],
        direction=data["direction"],
        actor_id=current_user().id,
    )
    if outcome.adjustment is not None:
        return {"status": "applied", "approval_id": None, "adjustment": outcome.adjustment, "approval": None}
    approval = outcome.approval
    assert approval is not None
    return {
        "status": "pending_approval",
        "approval_id": approval.id,
        "adjustment": None,
        "approval": approval,
    }, 202


@blp.route("/invoices/<int:invoice_id>/adjustments", methods=["GET"])
@access(*STAFF)
@blp.response(200, AdjustmentListOut)
def invoice_adjustments(invoice_id: int) -> Any:
    """一张发票的调整 Every adjustment of one invoice, oldest first."""
    return {"items": adjustments.for_invoice(invoice_id)}


def _threshold() -> dict[str, Any]:
    row = adjustments.threshold()
    if row is None:
        return {
            "threshold_fen": adjustments.DEFAULT_THRESHOLD_FEN,
            "is_default": True,
            "changed_by": None,
            "changed_at": None,
            "reason": "",
        }
    return {
        "threshold_fen": row.threshold_fen,
        "is_default": False,
        "changed_by": row.changed_by_id,
        "changed_at": row.created_at,
        "reason": row.reason,
    }


@blp.route("/settings/adjustment-approval-threshold", methods=["GET"])
@access("owner")
@blp.response(200, ThresholdOut)
def get_threshold() -> Any:
    """调整审批金额 Above this amount a staff member's adjustment waits for the owner's approval."""
    return _threshold()


@blp.route("/settings/adjustment-approval-threshold", methods=["PUT"])
@access("owner")
@blp.arguments(ThresholdIn)
@blp.response(200, ThresholdOut)
def put_threshold(data: dict[str, Any]) -> Any:
    """设置调整审批金额 Set it (audited; 0: every staff adjustment needs approval)."""
    adjustments.set_threshold(data["threshold_fen"], actor_id=current_user().id, reason=data["reason"])
    return _threshold()
