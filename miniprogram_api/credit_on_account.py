"""An order on account that the credit check would refuse: ask the owner (202 with the approval
request), or, for the owner, a one-off override of this one sale."""

from __future__ import annotations

from typing import Any

from flask import Response, jsonify

from backend.approvals.models import ApprovalRequest
from backend.auth.models import User
from backend.errors import PermissionDenied, ValidationFailed
from miniprogram_api.approvals import ApprovalOut
from store import credit_orders

_APPROVAL = ApprovalOut()


def place(customer_id: int, data: dict[str, Any], *, channel: str, user: User) -> Any:
    if data["if_over_credit"] == "override":
        if user.role != "owner":
            raise PermissionDenied(
                "Only the owner overrides the credit check", "只有老板可以越过信用检查", code="owner_only"
            )
        if not data["credit_reason"].strip():
            raise ValidationFailed(
                "An override needs a reason", "越过信用检查需写明原因", code="reason_required"
            )
        return credit_orders.sell_on_account_overriding(
            customer_id,
            data["items"],
            channel=channel,
            owner_id=user.id,
            reason=data["credit_reason"].strip(),
            warehouse_id=data["warehouse_id"],
        )
    placed = credit_orders.sell_on_account_or_ask(
        customer_id,
        data["items"],
        channel=channel,
        warehouse_id=data["warehouse_id"],
        placed_by=user.id,
        reason=data["credit_reason"],
    )
    if isinstance(placed, ApprovalRequest):
        response: Response = jsonify(_APPROVAL.dump(placed))
        response.status_code = 202
        return response
    return placed
