"""Orders from every channel: the counter (staff), the mini-program (customers) and distributors.

Prices are decided on the server: a line carries only a SKU and a quantity, and marshmallow rejects
any other field (a client-sent `unit_price_fen` is a 422 and creates nothing).
"""

from __future__ import annotations

import uuid
from typing import Any

import marshmallow as ma

from backend.errors import Conflict, ValidationFailed
from backend.kernel.models import CHANNELS, ORDER_STATUSES, Order
from miniprogram_api import credit_on_account
from miniprogram_api.api import Blueprint
from miniprogram_api.approvals import ApprovalOut
from miniprogram_api.fields import ComputedNested, JsonNested
from miniprogram_api.idempotency import idempotent
from miniprogram_api.pagination import PageArgs, page, page_schema
from miniprogram_api.security import STAFF, access, current_user
from miniprogram_api.shop_schemas import ShipToOut
from miniprogram_api.timestamps import Timestamp
from payments import offline
from payments import services as payment_services
from store import catalog, order_reads
from store import services as sales
from store.errors import OrderNotFound

blp = Blueprint("orders", __name__, url_prefix="/api", description="订单 Orders from every channel")

BUYERS = ("customer", "distributor")
ANY_ROLE = ("customer", "distributor", "staff", "owner")


class ItemIn(ma.Schema):
    sku_id = ma.fields.Integer(required=True, strict=True)
    quantity = ma.fields.Integer(required=True, strict=True)  # range checked by the domain (invalid_quantity)


class OrderIn(ma.Schema):
    items = ma.fields.List(ma.fields.Nested(ItemIn), required=True)
    customer_id = ma.fields.Integer(
        load_default=None, metadata={"description": "staff only; omit for walk-in"}
    )
    warehouse_id = ma.fields.Integer(load_default=None)
    on_account = ma.fields.Boolean(
        load_default=False, metadata={"description": "sell on credit (open invoice)"}
    )
    if_over_credit = ma.fields.String(
        load_default="refuse",
        validate=ma.validate.OneOf(["refuse", "ask_owner", "override"]),
        metadata={
            "description": "on account, when the credit check refuses (over the limit, or held for an "
            "overdue): refuse (409), ask_owner (202 with the approval request the owner decides), or "
            "override (owner only: this one sale goes through, audited with credit_reason)"
        },
    )
    credit_reason = ma.fields.String(load_default="", validate=ma.validate.Length(max=500))


class CounterSaleIn(ma.Schema):
    items = ma.fields.List(ma.fields.Nested(ItemIn), required=True)
    customer_id = ma.fields.Integer(load_default=None)
    warehouse_id = ma.fields.Integer(load_default=None)
    deliver_later = ma.fields.Boolean(
        load_default=False,
        metadata={"description": "goods stay reserved for a later fulfil instead of leaving now"},
    )


class CashPaymentIn(ma.Schema):
    amount_fen = ma.fields.Integer(required=True, strict=True)
    deliver_later = ma.fields.Boolean(
        load_default=False,
        metadata={"description": "a counter order's goods stay reserved instead of leaving now"},
    )


class RefundIn(ma.Schema):
    amount_fen = ma.fields.Integer(
        load_default=None, strict=True, metadata={"description": "omit: all that is left"}
    )
    method = ma.fields.String(load_default=None, validate=ma.validate.OneOf(["cash", "bank_transfer"]))


class ReturnLineIn(ma.Schema):
    line_id = ma.fields.Integer(required=True, strict=True)
    quantity = ma.fields.Integer(required=True, strict=True)


class ReturnIn(ma.Schema):
    lines = ma.fields.List(ma.fields.Nested(ReturnLineIn), required=True)


class LineOut(ma.Schema):
    id = ma.fields.Integer()
    sku_id = ma.fields.Integer()
    quantity = ma.fields.Integer()
    unit_price_fen = ma.fields.Integer()
    vat_rate_bp = ma.fields.Integer()
    total_fen = ma.fields.Integer()
    net_fen = ma.fields.Integer()
    vat_fen = ma.fields.Integer()
    returned_quantity = ma.fields.Integer()


class OrderOut(ma.Schema):
    id = ma.fields.Integer()
    channel = ma.fields.String()
    customer_id = ma.fields.Integer()
    warehouse_id = ma.fields.Integer()
    status = ma.fields.String()
    total_fen = ma.fields.Integer()
    vat_fen = ma.fields.Integer()
    paid_fen = ma.fields.Integer()
    refunded_fen = ma.fields.Integer()
    created_at = Timestamp()
    paid_at = Timestamp(allow_none=True)
    shipped_at = Timestamp(allow_none=True)
    lines = ComputedNested(LineOut, many=True, compute=sales.order_lines)


class DetailLineOut(LineOut):
    sku_name = ma.fields.String(metadata={"description": "the SKU's name now"})


class OrderDetailOut(OrderOut):
    """An order as GET shows it: also where a mini-program order goes (null for other channels)."""

    # Read with the whole page of orders, names included.
    lines = ComputedNested(DetailLineOut, many=True, compute=lambda detail: detail.lines)
    ship_to = JsonNested(ShipToOut, allow_none=True, metadata={"description": "delivery address at checkout"})


OrderPage = page_schema(OrderDetailOut, "OrderPage")


class OrderListArgs(PageArgs):
    status = ma.fields.String(load_default=None, validate=ma.validate.OneOf(ORDER_STATUSES))
    channel = ma.fields.String(load_default=None, validate=ma.validate.OneOf(CHANNELS))
    customer_id = ma.fields.Integer(load_default=None, metadata={"description": "staff only"})
    created_from = ma.fields.Date(
        load_default=None, metadata={"description": "first business day (merchant's time zone), included"}
    )
    created_to = ma.fields.Date(
        load_default=None, metadata={"description": "last business day (merchant's time zone), included"}
    )

    @ma.validates_schema
    def _range_in_order(self, data: dict[str, Any], **kwargs: Any) -> None:
        if data["created_from"] and data["created_to"] and data["created_from"] > data["created_to"]:
            raise ma.ValidationError("created_from is after created_to", "created_to")


class _OrderDetail:
    """An order with its lines and delivery address, read for a whole page at once."""

    def __init__(self, order: Order, lines: list[Any], ship_to: str | None) -> None:
        self.order, self.lines, self.ship_to = order, lines, ship_to

    def __getattr__(self, name: str) -> Any:
        return getattr(self.order, name)


def _details(orders: list[Order]) -> list[_OrderDetail]:
    ids = [o.id for o in orders]
    lines = order_reads.lines_by_order(ids)
    checkouts = order_reads.checkouts_by_order(ids)
    return [
        _OrderDetail(o, lines[o.id], checkouts[o.id].ship_to if o.id in checkouts else None) for o in orders
    ]


def _visible_order(order_id: int) -> Order:
    """Staff see every order; a customer or distributor only their own (anyone else's is a 404)."""
    order = Order.get_or_none(Order.id == order_id)
    user = current_user()
    if order is None or (
        user.role not in STAFF and order.customer_id != catalog.customer_of_user(user.id).id
    ):
        raise OrderNotFound(details={"order_id": order_id})
    return order


def _reference(prefix: str) -> str:
    return f"{prefix}:{uuid.uuid4().hex}"


@blp.route("/orders", methods=["POST"])
@access(*ANY_ROLE)
@idempotent
@blp.arguments(OrderIn)
@blp.response(201, OrderOut)
@blp.alt_response(
    202, schema=ApprovalOut, description="over credit, if_over_credit=ask_owner: waiting for the owner"
)
def place_order(data: dict[str, Any]) -> Any:
    """下单 Place an order; its stock is reserved. `on_account` sells on credit (distributors, staff)."""
    user = current_user()
    if user.role in STAFF:
        channel, customer_id = "counter", data["customer_id"]
    else:
        if data["customer_id"] is not None:
            raise ValidationFailed(
                "customer_id is for staff only", "只有员工可以指定客户", code="customer_not_allowed"
            )
        customer_id = catalog.customer_of_user(user.id).id
        channel = "distributor" if user.role == "distributor" else "miniprogram"
    if data["on_account"]:
        if customer_id is None:
            raise ValidationFailed(
                "A sale on account needs a customer", "赊销必须指定客户", code="customer_required"
            )
        if data["if_over_credit"] != "refuse":
            return credit_on_account.place(customer_id, data, channel=channel, user=user)
        return sales.sell_on_account(
            customer_id, data["items"], channel=channel, warehouse_id=data["warehouse_id"], placed_by=user.id
        )
    return sales.place_order(
        customer_id, data["items"], channel=channel, warehouse_id=data["warehouse_id"], placed_by=user.id
    )


@blp.route("/counter-sales", methods=["POST"])
@access(*STAFF)
@idempotent
@blp.arguments(CounterSaleIn)
@blp.response(201, OrderOut)
def counter_sale(data: dict[str, Any]) -> Any:
    """柜台现金销售 Bill, take cash and hand over at the counter in one step: order placed, paid, stock
    issued with its cost of goods. `deliver_later` keeps the goods reserved for a later fulfil."""
    return offline.counter_sale(
        data["customer_id"],
        data["items"],
        warehouse_id=data["warehouse_id"],
        staff_id=current_user().id,
        deliver_later=data["deliver_later"],
    )


@blp.route("/orders", methods=["GET"])
@access(*ANY_ROLE)
@blp.arguments(OrderListArgs, location="query")
@blp.response(200, OrderPage)
def list_orders(args: dict[str, Any]) -> Any:
    """订单列表 Orders, newest first: staff see all, customers and distributors their own. Filter by
    status, channel, customer (staff) and the business days they were placed on."""
    user = current_user()
    customer_id = args["customer_id"]
    if user.role not in STAFF:
        if customer_id is not None:
            raise ValidationFailed(
                "customer_id is for staff only", "只有员工可以指定客户", code="customer_not_allowed"
            )
        customer_id = catalog.customer_of_user(user.id).id
    query = order_reads.find_orders(
        customer_id=customer_id,
        status=args["status"],
        channel=args["channel"],
        created_from=args["created_from"],
        created_to=args["created_to"],
    )
    return page(query, Order.id, args, _details)


@blp.route("/orders/<int:order_id>", methods=["GET"])
@access(*ANY_ROLE)
@blp.response(200, OrderDetailOut)
def get_order(order_id: int) -> Any:
    """订单详情 One order with its lines and, for a mini-program order, its delivery address
    (another customer's order is a 404)."""
    return _details([_visible_order(order_id)])[0]


@blp.route("/orders/<int:order_id>/cash-payment", methods=["POST"])
@access(*STAFF)
@idempotent
@blp.arguments(CashPaymentIn)
@blp.response(200, OrderOut)
def cash_payment(data: dict[str, Any], order_id: int) -> Any:
    """收现金 Take the order's amount due in cash at the counter (once per order); a counter order's
    goods are handed over with it unless `deliver_later`."""
    _visible_order(order_id)
    offline.record_offline_payment(
        order_id,
        "cash",
        data["amount_fen"],
        staff_id=current_user().id,
        deliver_later=data["deliver_later"],
    )
    return Order.get_by_id(order_id)


@blp.route("/orders/<int:order_id>/fulfil", methods=["POST"])
@access(*STAFF)
@blp.response(200, OrderOut)
def fulfil(order_id: int) -> Any:
    """发货/交付 Hand over the goods: stock issued at moving-average cost, COGS posted."""
    _visible_order(order_id)
    return sales.fulfil_order(order_id)


@blp.route("/orders/<int:order_id>/cancel", methods=["POST"])
@access(*ANY_ROLE)
@blp.response(200, OrderOut)
def cancel(order_id: int) -> Any:
    """取消订单 Cancel an order not yet paid or shipped: its reservation is released and any open
    WeChat Pay transaction for it is closed (a payment racing the cancel is refunded, never lost)."""
    _visible_order(order_id)
    return sales.cancel_order(order_id, actor_id=current_user().id)


@blp.route("/orders/<int:order_id>/refunds", methods=["POST"])
@access(*STAFF)
@idempotent
@blp.arguments(RefundIn)
@blp.response(200, OrderOut)
def refund(data: dict[str, Any], order_id: int) -> Any:
    """退款 Refund all or part of what was paid in cash or by transfer; a full refund also reverses the
    stock. Orders paid with WeChat Pay are refunded through WeChat: POST /api/orders/<id>/wechat-refunds."""
    _visible_order(order_id)
    if payment_services.paid_with_wechat(order_id):
        raise Conflict(
            "This order was paid with WeChat Pay; refund it through WeChat",
            "该订单为微信支付，请走微信退款",
            code="refund_through_wechat",
        )
    return sales.refund_order(
        order_id,
        data["amount_fen"],
        reference=_reference("refund"),
        method=data["method"],
        actor_id=current_user().id,
    )


@blp.route("/orders/<int:order_id>/returns", methods=["POST"])
@access(*STAFF)
@idempotent
@blp.arguments(ReturnIn)
@blp.response(201, OrderOut)
def return_goods(data: dict[str, Any], order_id: int) -> Any:
    """退货入库 Goods handed back after shipping go back to stock at the cost they left with.

    Money is refunded separately (`/refunds` for cash and transfer, `/wechat-refunds` for WeChat Pay).
    """
    _visible_order(order_id)
    return sales.return_goods(
        order_id, data["lines"], reference=_reference("return"), actor_id=current_user().id
    )
