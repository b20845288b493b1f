"""The counter (开单 on the phone): staff look up goods at a customer's price and customers' standing,
and print an order's receipt or delivery note. Thin: parse, authorize, call."""

from __future__ import annotations

from typing import Any

import marshmallow as ma

from backend.kernel.models import Customer, Order
from backend.printing import layout
from backend.printing import services as printing
from backend.printing.models import KINDS
from backend.receivables.errors import UnknownCustomer
from miniprogram_api.api import Blueprint
from miniprogram_api.fields import ComputedInteger, ComputedNested, ComputedString
from miniprogram_api.idempotency import idempotent
from miniprogram_api.pagination import PageArgs, page, page_schema
from miniprogram_api.security import STAFF, access, current_user
from miniprogram_api.timestamps import Timestamp
from payments import shifts
from payments.shift_models import ShiftHandover
from store import counter, notify
from store.errors import OrderNotFound

blp = Blueprint("counter", __name__, url_prefix="/api/counter", description="柜台开单 Counter billing")

SEARCH = ma.validate.Length(min=1, max=64)


class SkuSearchArgs(ma.Schema):
    q = ma.fields.String(load_default=None, validate=SEARCH, metadata={"description": "part of the name"})
    barcode = ma.fields.String(load_default=None, validate=ma.validate.Regexp(r"^[0-9A-Za-z-]{4,32}$"))
    customer_id = ma.fields.Integer(load_default=None, metadata={"description": "price for this customer"})
    limit = ma.fields.Integer(load_default=20, validate=ma.validate.Range(min=1, max=counter.MAX_RESULTS))


class SkuForSaleOut(ma.Schema):
    sku_id = ComputedInteger(compute=lambda row: row.sku.id)
    name = ComputedString(compute=lambda row: row.sku.name)
    product_name = ma.fields.String()
    barcode = ComputedString(compute=lambda row: row.sku.barcode, allow_none=True)
    unit = ComputedString(compute=lambda row: row.sku.unit)
    list_price_fen = ComputedInteger(compute=lambda row: row.sku.price_fen)
    unit_price_fen = ma.fields.Integer(metadata={"description": "what this customer pays, VAT included"})
    available = ma.fields.Integer(metadata={"description": "in the counter's warehouse"})


class SkuSearchOut(ma.Schema):
    items = ma.fields.List(ma.fields.Nested(SkuForSaleOut))


class CustomerSearchArgs(ma.Schema):
    q = ma.fields.String(load_default=None, validate=SEARCH, metadata={"description": "name or phone"})
    limit = ma.fields.Integer(load_default=20, validate=ma.validate.Range(min=1, max=counter.MAX_RESULTS))


class StandingOut(ma.Schema):
    id = ComputedInteger(compute=lambda row: row.customer.id)
    kind = ComputedString(compute=lambda row: row.customer.kind)
    name = ComputedString(compute=lambda row: row.customer.name)
    phone = ComputedString(compute=lambda row: row.customer.phone, allow_none=True)
    payment_terms_days = ComputedInteger(compute=lambda row: row.customer.payment_terms_days)
    balance_fen = ma.fields.Integer()
    credit_limit_fen = ma.fields.Integer()
    headroom_fen = ma.fields.Integer(allow_none=True, metadata={"description": "null: no credit limit"})
    wechat = ma.fields.Boolean(metadata={"description": "has a WeChat login: the receipt can be sent there"})
    overdue_fen = ma.fields.Integer()
    oldest_due_on = ma.fields.Date(allow_none=True)
    overdue_days = ma.fields.Integer()


class StandingPage(ma.Schema):
    items = ma.fields.List(ma.fields.Nested(StandingOut))


class PrintIn(ma.Schema):
    kind = ma.fields.String(load_default="receipt", validate=ma.validate.OneOf(KINDS))


class PrintOut(ma.Schema):
    id = ma.fields.Integer()
    order_id = ma.fields.Integer()
    kind = ma.fields.String()
    width_mm = ma.fields.Integer()
    created_at = Timestamp()
    printed_at = Timestamp(allow_none=True)
    text = ComputedString(compute=lambda job: layout.as_text(printing.document_of(job)))


class DocumentArgs(ma.Schema):
    kind = ma.fields.String(load_default="receipt", validate=ma.validate.OneOf(KINDS))
    width_mm = ma.fields.Integer(load_default=58, validate=ma.validate.OneOf([58, 80]))


class DocumentOut(ma.Schema):
    order_id = ma.fields.Integer()
    kind = ma.fields.String()
    width_mm = ma.fields.Integer()
    text = ma.fields.String()


def _customer(customer_id: int | None) -> Customer | None:
    if customer_id is None:
        return None
    customer = Customer.get_or_none(Customer.id == customer_id)
    if customer is None:
        raise UnknownCustomer(details={"customer_id": customer_id})
    return customer


def _order(order_id: int) -> Order:
    order = Order.get_or_none(Order.id == order_id)
    if order is None:
        raise OrderNotFound(details={"order_id": order_id})
    return order


@blp.route("/skus", methods=["GET"])
@access(*STAFF)
@blp.arguments(SkuSearchArgs, location="query")
@blp.response(200, SkuSearchOut)
def find_skus(args: dict[str, Any]) -> Any:
    """查商品 Goods by barcode or part of the name, at the customer's price, with the stock available."""
    rows = counter.find_skus(
        q=args["q"], barcode=args["barcode"], customer=_customer(args["customer_id"]), limit=args["limit"]
    )
    return {"items": rows}


@blp.route("/customers", methods=["GET"])
@access(*STAFF)
@blp.arguments(CustomerSearchArgs, location="query")
@blp.response(200, StandingPage)
def find_customers(args: dict[str, Any]) -> Any:
    """查客户 Customers by name or phone, with balance, credit headroom and what is overdue."""
    return {"items": counter.find_customers(args["q"], args["limit"])}


@blp.route("/customers/<int:customer_id>", methods=["GET"])
@access(*STAFF)
@blp.response(200, StandingOut)
def customer_standing(customer_id: int) -> Any:
    """客户信用 One customer's balance, credit headroom and what is overdue."""
    customer = _customer(customer_id)
    assert customer is not None
    return counter.standings([customer])[0]


@blp.route("/orders/<int:order_id>/prints", methods=["POST"])
@access(*STAFF)
@idempotent
@blp.arguments(PrintIn)
@blp.response(201, PrintOut)
def print_order(data: dict[str, Any], order_id: int) -> Any:
    """打印小票/送货单 Print the order's receipt or delivery note on the counter's printer (sent after
    commit, at most once: a print whose outcome is unknown is flagged, never repeated)."""
    return printing.print_order(_order(order_id), data["kind"], actor_id=current_user().id)


class WechatReceiptOut(ma.Schema):
    order_id = ma.fields.Integer()
    status = ma.fields.String(
        metadata={"description": "queued | sent | refused (no grant left, or WeChat's daily quota spent)"}
    )


@blp.route("/orders/<int:order_id>/wechat-receipt", methods=["POST"])
@access(*STAFF)
@idempotent
@blp.response(202, WechatReceiptOut)
def wechat_receipt(order_id: int) -> Any:
    """微信电子小票 Send the order's receipt to its customer's WeChat as a subscribe message, after commit
    and once per order (asked again, it answers how the first went). 409 customer_without_wechat when
    the customer has no WeChat login: print the receipt or share it instead."""
    return {"order_id": order_id, "status": notify.request_receipt(order_id)}


@blp.route("/orders/<int:order_id>/document", methods=["GET"])
@access(*STAFF)
@blp.arguments(DocumentArgs, location="query")
@blp.response(200, DocumentOut)
def order_document(args: dict[str, Any], order_id: int) -> Any:
    """小票预览 The receipt or delivery note as text, to show or send to the customer."""
    order = _order(order_id)
    doc = printing.document(order, args["kind"], args["width_mm"])
    return {
        "order_id": order.id,
        "kind": args["kind"],
        "width_mm": args["width_mm"],
        "text": layout.as_text(doc),
    }


class TakingsOut(ma.Schema):
    method = ma.fields.String(metadata={"description": "cash | wechat | bank_transfer | stored_value"})
    count = ma.fields.Integer()
    amount_fen = ma.fields.Integer()
    refunded_fen = ma.fields.Integer()
    net_fen = ma.fields.Integer()


class ShiftOut(ma.Schema):
    staff_id = ma.fields.Integer()
    started_at = Timestamp()
    ended_at = Timestamp()
    takings = ma.fields.List(ma.fields.Nested(TakingsOut))
    total_fen = ma.fields.Integer()
    expected_cash_fen = ma.fields.Integer()


class HandoverIn(ma.Schema):
    counted_cash_fen = ma.fields.Integer(required=True, strict=True)
    note = ma.fields.String(load_default="", validate=ma.validate.Length(max=200))


class HandoverOut(ma.Schema):
    id = ma.fields.Integer()
    staff_id = ma.fields.Integer()
    started_at = Timestamp()
    ended_at = Timestamp()
    takings = ComputedNested(TakingsOut, many=True, compute=shifts.takings_of)
    expected_cash_fen = ma.fields.Integer()
    counted_cash_fen = ma.fields.Integer()
    difference_fen = ma.fields.Integer()
    note = ma.fields.String()


class HandoverArgs(PageArgs):
    staff_id = ma.fields.Integer(
        load_default=None, metadata={"description": "owner only; staff see their own"}
    )


HandoverPage = page_schema(HandoverOut, "HandoverPage")


@blp.route("/shift", methods=["GET"])
@access(*STAFF)
@blp.response(200, ShiftOut)
def current_shift() -> Any:
    """本班收款 Your shift so far: what you took since your last handover, by payment method."""
    return shifts.current_shift(current_user().id)


@blp.route("/shift/handovers", methods=["POST"])
@access(*STAFF)
@idempotent
@blp.arguments(HandoverIn)
@blp.response(201, HandoverOut)
def hand_over(data: dict[str, Any]) -> Any:
    """交班 Hand over: close your shift with the cash you counted; the difference is recorded."""
    return shifts.hand_over(current_user().id, data["counted_cash_fen"], data["note"])


@blp.route("/shift/handovers", methods=["GET"])
@access(*STAFF)
@blp.arguments(HandoverArgs, location="query")
@blp.response(200, HandoverPage)
def list_handovers(args: dict[str, Any]) -> Any:
    """交班记录 Handovers, newest first: staff see their own, the owner everyone's."""
    user = current_user()
    staff_id = args["staff_id"] if user.role == "owner" else user.id
    return page(shifts.handovers(staff_id), ShiftHandover.id, args)
