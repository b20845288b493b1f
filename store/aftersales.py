"""After-sales refund requests (售后): the customer asks for some lines (a quantity of each) of a
paid order back; staff approve or reject.

The amount is computed on the server from what the customer paid for those units: a line's
`total_fen` (after its share of the discount) x units / line quantity, rounded half up, and never
more than what is still refundable on the order. Approving hands the refund to the way the order
was paid (the HTTP layer calls payments for WeChat, or the spine with method stored_value for the
balance); the spine then reverses revenue, VAT and points in proportion, and stock on a full refund.
"""

from __future__ import annotations

import json
from typing import Any

import peewee as pw

from backend import audit, clock
from backend.db import locked, transaction
from backend.kernel.models import Order, OrderLine
from backend.money import round_half_up_div
from store.shop_errors import AfterSaleDecided, InvalidAfterSale, NotYours
from store.shop_models import AfterSaleRequest

REQUESTABLE = ("paid", "shipped", "completed", "partially_refunded")


def _open_fen(order_id: int) -> int:
    total = (
        AfterSaleRequest.select(pw.fn.COALESCE(pw.fn.SUM(AfterSaleRequest.amount_fen), 0))
        .where((AfterSaleRequest.order == order_id) & (AfterSaleRequest.status == "requested"))
        .scalar()
    )
    return int(total or 0)


def request(
    order_id: int, customer_id: int, lines: list[dict[str, int]], *, reason: str = ""
) -> AfterSaleRequest:
    with transaction():
        order = locked(Order.select().where(Order.id == order_id)).first()
        if order is None or order.customer_id != customer_id:
            raise NotYours(details={"order_id": order_id})
        if order.status not in REQUESTABLE or not lines:
            raise InvalidAfterSale(details={"order_id": order_id, "status": order.status})
        by_id = {line.id: line for line in OrderLine.select().where(OrderLine.order == order.id)}
        amount = 0
        seen: set[int] = set()
        for want in lines:
            line = by_id.get(want["line_id"])
            quantity = want["quantity"]
            if line is None or want["line_id"] in seen or not 0 < quantity <= line.quantity:
                raise InvalidAfterSale(details={"line": want})
            seen.add(line.id)
            amount += round_half_up_div(line.total_fen * quantity, line.quantity)
        refundable = order.paid_fen - order.refunded_fen - _open_fen(order.id)
        amount = min(amount, refundable)
        if amount <= 0:
            raise InvalidAfterSale(details={"order_id": order_id, "refundable_fen": max(refundable, 0)})
        return AfterSaleRequest.create(
            order=order.id, customer=customer_id, lines=json.dumps(lines), amount_fen=amount, reason=reason
        )


def decide(request_id: int, *, approve: bool, staff_id: int, note: str = "") -> AfterSaleRequest:
    """Mark a request approved or rejected (once); the caller starts the refund of an approval."""
    with transaction():
        found = locked(AfterSaleRequest.select().where(AfterSaleRequest.id == request_id)).first()
        if found is None:
            raise NotYours(details={"aftersale_id": request_id})
        if found.status != "requested":
            raise AfterSaleDecided(details={"aftersale_id": request_id, "status": found.status})
        AfterSaleRequest.update(
            status="approved" if approve else "rejected",
            decided_by=staff_id,
            decided_at=clock.now(),
            note=note,
        ).where(AfterSaleRequest.id == request_id).execute()
        return AfterSaleRequest.get_by_id(request_id)


def reject(request_id: int, *, staff_id: int, note: str = "") -> AfterSaleRequest:
    """Say no to a request (once), with a note for the customer."""
    with transaction():
        req = decide(request_id, approve=False, staff_id=staff_id, note=note)
        audit.record(staff_id, "aftersale.reject", "aftersale", req.id, order_id=req.order_id, note=note)
        return req


def of_customer(customer_id: int) -> Any:
    return AfterSaleRequest.select().where(AfterSaleRequest.customer == customer_id)
