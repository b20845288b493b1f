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
from backend.ledger import chart
from backend.ledger.models import JournalEntry
from backend.ledger.services import Cr, Dr, post_entry
from backend.money import round_half_up_div
from backend.receivables import advances
from backend.receivables import services as receivables
from store import refund_share
from store.shop_errors import AfterSaleDecided, InvalidAfterSale, NotYours
from store.shop_models import AfterSaleRequest

REQUESTABLE = ("paid", "shipped", "completed", "partially_refunded")
# refund: some lines' money back (the shop's); return (退货): the units come back to stock and their
# money with them; price_difference (价差补偿): a price correction per unit on lines kept, no goods move.
KINDS = ("refund", "return", "price_difference")


def _open_fen(order_id: int) -> int:
    total = (
        AfterSaleRequest.select(pw.fn.COALESCE(pw.fn.SUM(AfterSaleRequest.amount_fen), 0))
        .where((AfterSaleRequest.order == order_id) & (AfterSaleRequest.status == "requested"))
        .scalar()
    )
    return int(total or 0)


def sold_on_account(order_id: int) -> bool:
    """The order went on account (an open invoice, Dr 1122) rather than being paid when placed."""
    return bool(
        JournalEntry.select()
        .where(
            (JournalEntry.source_type == "order")
            & (JournalEntry.source_id == order_id)
            & (JournalEntry.event == "order.on_account")
        )
        .exists()
    )


def _whole(value: Any) -> bool:
    return isinstance(value, int) and not isinstance(value, bool)


def request(
    order_id: int, customer_id: int, lines: list[dict[str, int]], *, reason: str = "", kind: str = "refund"
) -> AfterSaleRequest:
    """Ask for some lines of an order back (refund or return: their share of what was paid) or for a
    price difference on them (`unit_fen` per unit, at most the unit price). On an order sold on account
    the claim may reach what was invoiced and not yet given back; otherwise what was paid and not yet
    refunded. Requests still waiting count against that too."""
    if kind not in KINDS:
        raise InvalidAfterSale(details={"kind": kind, "kinds": list(KINDS)})
    with transaction():
        order = locked(Order.select().where(Order.id == order_id)).first()
        if order is None or order.customer_id != customer_id:
            raise NotYours(details={"order_id": order_id})
        on_account = sold_on_account(order.id)
        allowed = REQUESTABLE + (("on_account",) if on_account else ())
        if order.status not in allowed or not lines:
            raise InvalidAfterSale(details={"order_id": order_id, "status": order.status})
        if kind == "return" and order.shipped_at is None:
            raise InvalidAfterSale(details={"order_id": order_id, "why": "not shipped: cancel it instead"})
        by_id = {line.id: line for line in OrderLine.select().where(OrderLine.order == order.id)}
        amount = 0
        seen: set[int] = set()
        for want in lines:
            line = by_id.get(want["line_id"])
            quantity = want["quantity"]
            if line is None or want["line_id"] in seen or not 0 < quantity <= line.quantity:
                raise InvalidAfterSale(details={"line": want})
            if kind == "return" and quantity > line.quantity - line.returned_quantity:
                raise InvalidAfterSale(
                    details={"line": want, "returnable": line.quantity - line.returned_quantity}
                )
            seen.add(line.id)
            if kind == "price_difference":
                unit = want.get("unit_fen")
                if unit is None or not _whole(unit) or not 0 < unit <= line.unit_price_fen:
                    raise InvalidAfterSale(details={"line": want, "unit_price_fen": line.unit_price_fen})
                amount += unit * quantity
            else:
                amount += round_half_up_div(line.total_fen * quantity, line.quantity)
        if on_account:  # what was invoiced and not yet given back (approvals count as refunded)
            left = order.total_fen - order.refunded_fen - _open_fen(order.id)
        else:
            left = order.paid_fen - order.refunded_fen - _open_fen(order.id)
        amount = min(amount, left)
        if amount <= 0:
            raise InvalidAfterSale(details={"order_id": order_id, "refundable_fen": max(left, 0)})
        kept = [
            {"line_id": w["line_id"], "quantity": w["quantity"]}
            | ({"unit_fen": w["unit_fen"]} if kind == "price_difference" else {})
            for w in lines
        ]
        return AfterSaleRequest.create(
            order=order.id,
            customer=customer_id,
            lines=json.dumps(kept),
            amount_fen=amount,
            reason=reason,
            kind=kind,
        )


def credit_on_account(req: AfterSaleRequest, *, actor_id: int | None) -> AfterSaleRequest:
    """An approved request on an order sold on account gives no money back: the amount lowers the
    order's open invoice (a credit note) and whatever the invoice no longer has open (already paid)
    becomes the customer's unapplied credit. Revenue and output VAT go down as a refund's would
    (销售退回 / 销售折让 reduce the revenue of the period, with their VAT; the last fen of VAT goes with
    the claim that gives back the whole order): Dr 5001 (net), Dr 2221 (VAT) / Cr 1122 (credit note),
    Cr 2203 (unapplied credit). Like a refund netted against the invoice, the credit note counts as
    paid and as refunded on the order, so paid + open stays its total. Returned goods moved before."""
    with transaction():
        order = locked(Order.select().where(Order.id == req.order_id)).first()
        invoice = receivables.invoice_for_order(order.id)
        open_now = invoice.open_fen if invoice is not None else 0
        amount = req.amount_fen
        credited = min(amount, open_now)
        unapplied = amount - credited
        everything, vat = refund_share.share(order, invoice, amount)
        if credited and invoice is not None:
            receivables.credit_open_invoice(invoice, credited)
        if unapplied:
            advances.grant(order.customer_id, unapplied, actor_id=actor_id)
        lines = [Dr(chart.REVENUE, amount - vat), Dr(chart.OUTPUT_VAT, vat)]
        if credited:
            lines.append(Cr(chart.RECEIVABLES, credited, order.customer_id))
        if unapplied:
            lines.append(Cr(chart.PREPAYMENTS, unapplied, order.customer_id))
        post_entry(
            "aftersale.credited",
            lines,
            memo=f"售后冲减 订单 {order.id} 售后 {req.id}",
            source_type="aftersale",
            source_id=req.id,
        )
        Order.update(
            paid_fen=Order.paid_fen + credited,
            refunded_fen=Order.refunded_fen + amount,
            refunded_vat_fen=Order.refunded_vat_fen + vat,
            status="refunded" if everything else "partially_refunded",
            closed_at=clock.now() if everything else None,
        ).where(Order.id == order.id).execute()
        AfterSaleRequest.update(credited_fen=credited, unapplied_fen=unapplied).where(
            AfterSaleRequest.id == req.id
        ).execute()
        return AfterSaleRequest.get_by_id(req.id)


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
