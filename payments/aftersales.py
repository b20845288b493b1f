"""Approving an after-sales request (售后) is one event: the request is decided, the goods come back
to stock if they were handed back (退货退款), and the amount goes back the way the order was paid:
through WeChat if WeChat Pay money was captured for it (`services.paid_with_wechat`, the same test
the HTTP refund uses), otherwise by the spine in the order's own method (cash, transfer, stored
value). It lives in payments because the WeChat refund path does; store/ keeps the request itself."""

from __future__ import annotations

import json

from backend import audit
from backend.db import transaction
from backend.kernel.models import Order
from payments import refunds
from payments.services import paid_with_wechat
from store import aftersales
from store import services as sales
from store.shop_errors import InvalidAfterSale
from store.shop_models import AfterSaleRequest


def approve(
    request_id: int, *, staff_id: int, note: str = "", goods_returned: bool = False
) -> AfterSaleRequest:
    """Approve and refund, all or nothing. A WeChat refund completes on WeChat's word (a job)."""
    with transaction():
        req = aftersales.decide(request_id, approve=True, staff_id=staff_id, note=note)
        if req.kind != "refund":  # a return always brings the goods back; a price difference never
            goods_returned = req.kind == "return"
        if goods_returned:
            sales.return_goods(
                req.order_id,
                [{"line_id": w["line_id"], "quantity": w["quantity"]} for w in json.loads(req.lines)],
                reference=f"aftersale:{req.id}",
                actor_id=staff_id,
            )
        order = Order.get_by_id(req.order_id)
        if aftersales.sold_on_account(order.id):
            # On account no money goes back: the open invoice is lowered, or the customer keeps credit.
            req = aftersales.credit_on_account(req, actor_id=staff_id)
            how = "credit"
        elif paid_with_wechat(order.id):
            refunds.request_refund(order.id, req.amount_fen, requested_by=staff_id)
            how = "wechat"
        elif order.paid_fen:
            sales.refund_order(order.id, req.amount_fen, reference=f"aftersale:{req.id}", actor_id=staff_id)
            how = "spine"
        else:
            raise InvalidAfterSale(details={"order_id": order.id, "paid_fen": 0})
        audit.record(
            staff_id,
            "aftersale.approve",
            "aftersale",
            req.id,
            order_id=order.id,
            amount_fen=req.amount_fen,
            goods_returned=goods_returned,
            refund=how,
            **({"kind": req.kind} if req.kind != "refund" else {}),
            **(
                {"credited_fen": req.credited_fen, "unapplied_fen": req.unapplied_fen}
                if how == "credit"
                else {}
            ),
        )
        return req
