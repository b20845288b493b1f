"""Approvals: the owner's inbox of requests (credit changes, orders over the limit, write-offs ...),
approve or reject with a note. Staff see the requests they filed."""

from __future__ import annotations

from typing import Any

import marshmallow as ma

from backend.approvals import services as approvals
from backend.approvals.errors import ApprovalNotFound
from backend.approvals.models import ApprovalRequest
from miniprogram_api.api import Blueprint
from miniprogram_api.idempotency import idempotent
from miniprogram_api.pagination import PageArgs, page, page_schema
from miniprogram_api.security import STAFF, access, current_user
from miniprogram_api.timestamps import Timestamp

blp = Blueprint("approvals", __name__, url_prefix="/api", description="审批 Approvals")


class ApprovalOut(ma.Schema):
    id = ma.fields.Integer()
    kind = ma.fields.String()
    kind_label = ma.fields.Function(lambda r: _label(r.kind), metadata={"type": "string"})
    subject_type = ma.fields.String()
    subject_id = ma.fields.String()
    payload = ma.fields.Function(lambda r: approvals.payload_of(r), metadata={"type": "object"})
    amount_fen = ma.fields.Integer(allow_none=True)
    reason = ma.fields.String()
    requested_by = ma.fields.Integer(attribute="requested_by_id", allow_none=True)
    status = ma.fields.String()
    decided_by = ma.fields.Integer(attribute="decided_by_id", allow_none=True)
    decided_at = Timestamp(allow_none=True)
    decision_note = ma.fields.String()
    result = ma.fields.Function(lambda r: approvals.result_of(r), metadata={"type": "object"})
    created_at = Timestamp()


def _label(kind: str) -> str:
    spec = {k.name: k for k in approvals.kinds()}.get(kind)
    return f"{spec.label_zh} {spec.label_en}" if spec else kind


ApprovalPage = page_schema(ApprovalOut, "ApprovalPage")


class ApprovalListArgs(PageArgs):
    status = ma.fields.String(
        load_default="pending", validate=ma.validate.OneOf(["pending", "approved", "rejected", "all"])
    )
    kind = ma.fields.String(load_default=None, validate=ma.validate.Length(max=32))


class ApprovalNoteIn(ma.Schema):
    note = ma.fields.String(load_default="", validate=ma.validate.Length(max=approvals.MAX_TEXT))


class ApprovalRejectionIn(ma.Schema):
    note = ma.fields.String(required=True, validate=ma.validate.Length(min=1, max=approvals.MAX_TEXT))


@blp.route("/approvals", methods=["GET"])
@access(*STAFF)
@blp.arguments(ApprovalListArgs, location="query")
@blp.response(200, ApprovalPage)
def list_approvals(args: dict[str, Any]) -> Any:
    """审批列表 Requests waiting for the owner (filter by `kind`, `status`), newest first; staff see their own."""
    user = current_user()
    status = None if args["status"] == "all" else args["status"]
    query = approvals.listing(
        status=status, kind=args["kind"], requested_by=None if user.role == "owner" else user.id
    )
    return page(query, ApprovalRequest.id, args)


def _visible(approval_id: int) -> ApprovalRequest:
    row = approvals.get(approval_id)
    user = current_user()
    if user.role != "owner" and row.requested_by_id != user.id:
        raise ApprovalNotFound(details={"approval_id": approval_id})
    return row


@blp.route("/approvals/<int:approval_id>", methods=["GET"])
@access(*STAFF)
@blp.response(200, ApprovalOut)
def get_approval(approval_id: int) -> Any:
    """一条审批 One request (staff: only their own)."""
    return _visible(approval_id)


@blp.route("/approvals/<int:approval_id>/approve", methods=["POST"])
@access("owner")
@idempotent
@blp.arguments(ApprovalNoteIn)
@blp.response(200, ApprovalOut)
def approve(data: dict[str, Any], approval_id: int) -> Any:
    """批准 Approve: the requested action is carried out with the decision, or neither happens."""
    return approvals.approve(approval_id, current_user().id, data["note"])


@blp.route("/approvals/<int:approval_id>/reject", methods=["POST"])
@access("owner")
@idempotent
@blp.arguments(ApprovalRejectionIn)
@blp.response(200, ApprovalOut)
def reject(data: dict[str, Any], approval_id: int) -> Any:
    """驳回 Reject, with a note saying why."""
    return approvals.reject(approval_id, current_user().id, data["note"])
