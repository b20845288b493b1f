"""An order on account that the credit check refuses (over the limit, or the customer held for an
overdue beyond grace) can wait for the owner instead of being turned away: the order's intent is
filed as an approval request, and the owner's approval places it, over the limit, in the same
transaction (audited as a credit override). Nothing is reserved while it waits; if the stock is gone
by then, the approval fails and the request stays open for a rejection.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from typing import Any

from backend.approvals import services as approvals
from backend.approvals.models import ApprovalRequest
from backend.db import savepoint, transaction
from backend.kernel.models import Order
from backend.receivables.credit import check as credit_check
from backend.receivables.credit import writeoffs
from backend.receivables.credit.errors import CreditHold
from backend.receivables.errors import CreditLimitExceeded
from backend.receivables.models import Payment
from store import on_account
from store import services as sales

OVER_LIMIT_ORDER = "over_limit_order"


def _items(items: Iterable[Any]) -> list[dict[str, int]]:
    out = []
    for raw in items:
        sku_id, quantity = (raw["sku_id"], raw["quantity"]) if isinstance(raw, dict) else (raw[0], raw[1])
        out.append({"sku_id": sku_id, "quantity": quantity})
    return out


def sell_on_account_or_ask(
    customer_id: int,
    items: Iterable[sales.Item | Sequence[int] | dict[str, Any]],
    *,
    channel: str,
    warehouse_id: int | None = None,
    placed_by: int | None = None,
    reason: str = "",
) -> Order | ApprovalRequest:
    """The sale on account, or, when the credit check refuses it, a request for the owner to allow it."""
    items = _items(items)
    with transaction():
        try:
            with savepoint():
                return sales.sell_on_account(
                    customer_id, items, channel=channel, warehouse_id=warehouse_id, placed_by=placed_by
                )
        except (CreditLimitExceeded, CreditHold) as refused:
            return approvals.request(
                OVER_LIMIT_ORDER,
                subject_type="customer",
                subject_id=customer_id,
                payload={
                    "items": items,
                    "channel": channel,
                    "warehouse_id": warehouse_id,
                    "placed_by": placed_by,
                    "refused": refused.code,
                    "details": refused.details,
                },
                amount_fen=refused.details.get("requested_fen"),
                reason=reason,
                requested_by=placed_by,
            )


def _approve(request: ApprovalRequest, decider_id: int) -> dict[str, Any]:
    wanted = approvals.payload_of(request)
    with credit_check.override(decider_id, request.reason or wanted["refused"], approval_id=request.id):
        order = sales.sell_on_account(
            int(request.subject_id),
            wanted["items"],
            channel=wanted["channel"],
            warehouse_id=wanted["warehouse_id"],
            placed_by=wanted["placed_by"],
        )
    return {"order_id": order.id, "total_fen": order.total_fen}


approvals.register(
    approvals.Kind(OVER_LIMIT_ORDER, "超额度订单", "Order over the credit limit", approve=_approve)
)


# ---------------------------------------------------------------- a distributor's own order

HELD_ORDER = "held_order_over_credit"


def sell_on_account_or_hold(
    customer_id: int,
    items: list[tuple[int, int]],
    *,
    channel: str,
    warehouse_id: int | None = None,
    placed_by: int | None = None,
    reason: str = "",
) -> Order:
    """A distributor's own order on account; when the credit check refuses it, the order is written
    anyway as awaiting_approval (stock reserved, campaign units taken) and filed for the owner, who
    puts it on account over the limit (approve) or cancels it, giving the stock and units back (reject).
    Unlike the staff's `sell_on_account_or_ask`, the distributor sees the order itself while it waits."""
    with transaction():
        try:
            with savepoint():
                return sales.sell_on_account(
                    customer_id, items, channel=channel, warehouse_id=warehouse_id, placed_by=placed_by
                )
        except (CreditLimitExceeded, CreditHold) as refused:
            order = sales.hold_for_approval(
                customer_id, items, channel=channel, warehouse_id=warehouse_id, placed_by=placed_by
            )
            approvals.request(
                HELD_ORDER,
                subject_type="order",
                subject_id=order.id,
                payload={"customer_id": customer_id, "refused": refused.code, "details": refused.details},
                amount_fen=order.total_fen,
                reason=reason,
                requested_by=placed_by,
            )
            return order


def _approve_held(request: ApprovalRequest, decider_id: int) -> dict[str, Any]:
    wanted = approvals.payload_of(request)
    with credit_check.override(decider_id, request.reason or wanted["refused"], approval_id=request.id):
        order = sales.post_held_on_account(int(request.subject_id))
    return {"order_id": order.id, "total_fen": order.total_fen}


def _reject_held(request: ApprovalRequest, decider_id: int) -> None:
    order = Order.get_or_none(Order.id == int(request.subject_id))
    if order is not None and order.status == "awaiting_approval":  # not already cancelled meanwhile
        sales.cancel_order(order.id, actor_id=decider_id)


approvals.register(
    approvals.Kind(
        HELD_ORDER,
        "经销商超额度订单",
        "Distributor order over the credit limit",
        approve=_approve_held,
        reject=_reject_held,
        one_open_per_subject=True,
    )
)


def sell_on_account_overriding(
    customer_id: int,
    items: Iterable[sales.Item | Sequence[int] | dict[str, Any]],
    *,
    channel: str,
    owner_id: int,
    reason: str,
    warehouse_id: int | None = None,
) -> Order:
    """The owner's one-off override: this one sale goes through over the limit or a hold, audited."""
    with transaction(), credit_check.override(owner_id, reason):
        return sales.sell_on_account(
            customer_id, items, channel=channel, warehouse_id=warehouse_id, placed_by=owner_id
        )


def recover_written_off(
    write_off_id: int, amount_fen: int, method: str, reference: str, *, actor_id: int
) -> Payment:
    """Money in for a debt written off: put back on its invoice against 5301 and collected against it
    (the order behind the invoice records the money as paid), as one event."""
    with transaction():
        row = writeoffs.reinstate_for_recovery(write_off_id, amount_fen, actor_id=actor_id)
        return on_account.collect(
            row.customer_id, amount_fen, method, reference, invoice_ids=[row.invoice_id], actor_id=actor_id
        )
