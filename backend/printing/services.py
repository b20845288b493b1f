"""Print an order's receipt or delivery note: laid out now, sent after commit (at most once)."""

from __future__ import annotations

import json

from backend import clock, runtime
from backend.auth.models import User
from backend.db import transaction
from backend.jobs import outbox
from backend.kernel.models import Customer, Order, OrderLine, Product, Sku
from backend.printing import layout
from backend.printing.errors import NoPrinter
from backend.printing.models import PrintJob
from backend.receivables.models import Invoice, Payment
from store import order_reads

SEND_JOB = "printing.send"

METHOD_NAMES = {
    "cash": "现金 Cash",
    "wechat": "微信支付 WeChat Pay",
    "bank_transfer": "转账 Transfer",
    "stored_value": "储值 Stored value",
}


def sale_of(order: Order) -> layout.Sale:
    """What the documents show of an order, read in a fixed number of queries."""
    settings = runtime.settings()
    rows = (
        OrderLine.select(OrderLine, Sku, Product)
        .join(Sku)
        .join(Product)
        .where(OrderLine.order == order.id)
        .order_by(OrderLine.id)
    )
    staff = User.get_or_none(User.id == order.placed_by) if order.placed_by else None
    customer = Customer.get_by_id(order.customer_id)
    paid = (
        Payment.select(Payment.method, Payment.amount_fen)
        .where((Payment.order == order.id) & (Payment.direction == "in"))
        .order_by(Payment.id)
    )
    invoice = Invoice.get_or_none(Invoice.order == order.id)
    checkout = order_reads.checkouts_by_order([order.id]).get(order.id)
    return layout.Sale(
        shop_name=settings.shop_name,
        order_id=order.id,
        when=clock.local(order.created_at).strftime("%Y-%m-%d %H:%M"),
        staff=(staff.display_name or staff.username or "") if staff else "",
        customer=customer.name,
        lines=[
            layout.Line(
                f"{r.sku.product.name} {r.sku.name}", r.quantity, r.sku.unit, r.unit_price_fen, r.total_fen
            )
            for r in rows
        ],
        total_fen=order.total_fen,
        vat_fen=order.vat_fen,
        paid=[(METHOD_NAMES.get(p.method, p.method), p.amount_fen) for p in paid],
        on_account_due=invoice.due_on.isoformat()
        if invoice is not None and order.status == "on_account"
        else None,
        ship_to=_address(checkout.ship_to) if checkout is not None and checkout.ship_to else None,
    )


def _address(ship_to: str) -> str:
    """The delivery address kept at checkout (JSON) as one line: name, phone, region, detail."""
    fields = json.loads(ship_to)
    return " ".join(str(fields[k]) for k in ("name", "phone", "region", "detail") if fields.get(k))


def document(order: Order, kind: str, width_mm: int) -> layout.Document:
    sale = sale_of(order)
    return layout.receipt(sale, width_mm) if kind == "receipt" else layout.delivery_note(sale, width_mm)


def print_order(order: Order, kind: str, *, actor_id: int | None) -> PrintJob:
    """Lay out the order's receipt or delivery note for the configured printer, and send it after commit."""
    settings = runtime.settings()
    if not settings.printer_url:
        raise NoPrinter()
    with transaction():
        job = PrintJob.create(
            order=order.id,
            kind=kind,
            width_mm=settings.printer_width_mm,
            printer_url=settings.printer_url,
            document=json.dumps(document(order, kind, settings.printer_width_mm), ensure_ascii=False),
            requested_by=actor_id,
        )
        outbox.enqueue(SEND_JOB, {"print_job_id": job.id})
        return job


def document_of(job: PrintJob) -> layout.Document:
    return [(style, text) for style, text in json.loads(job.document)]
