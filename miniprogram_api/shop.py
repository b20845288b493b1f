"""The mini-program shop for customers: browse, cart, addresses, coupons, checkout, receive,
after-sales, member points and stored value, share links. Thin: parse, authorize, call store/ or
payments/, serialize.

Everything a customer reaches is scoped to their own customer record: another customer's cart
line, address, coupon, order or request is a 404, exactly like one that does not exist. Input
schemas reject unknown fields, so a price, status or balance can never be sent in.
"""

from __future__ import annotations

from typing import Any

import marshmallow as ma
from flask import Response, jsonify

from backend import runtime
from backend.db import transaction
from backend.errors import NotFound
from backend.kernel.models import Category, Customer, Order, Product
from miniprogram_api import shop_schemas as schemas
from miniprogram_api.api import Blueprint
from miniprogram_api.idempotency import Unfinished, idempotent, idempotent_then
from miniprogram_api.pagination import PageArgs, page
from miniprogram_api.security import STAFF, access, current_user
from miniprogram_api.throttling import costly
from payments import cart_checkout, topups
from payments import services as payments
from store import (
    addresses,
    aftersales,
    cart,
    catalog,
    categories,
    fulfilment,
    members,
    order_reads,
    pricing,
    promotions,
    sharing,
    stored_value,
)
from store import checkout as checkouts
from store import services as sales
from store.errors import OrderNotFound
from store.shop_models import Coupon

blp = Blueprint("shop", __name__, url_prefix="/api", description="商城 The mini-program shop for customers")

ANY_ROLE = ("customer", "distributor", "staff", "owner")
SHOPPER = ("customer",)


def _me() -> Customer:
    return catalog.customer_of_user(current_user().id)


# ---------------------------------------------------------------- serialization


def sku_dict(sku: Any, your_price_fen: int, available: dict[int, int]) -> dict[str, Any]:
    return {
        "id": sku.id,
        "name": sku.name,
        "barcode": sku.barcode,
        "unit": sku.unit,
        "price_fen": sku.price_fen,
        "member_price_fen": sku.member_price_fen,
        "your_price_fen": your_price_fen,
        "available": max(available.get(sku.id, 0), 0),
    }


def product_dicts(products: list[Product], customer: Customer | None) -> list[dict[str, Any]]:
    """Products with their SKUs, the caller's price for one unit and what is available: a fixed
    number of queries for the whole page (SKUs, stock, pricing), however many products."""
    skus = categories.shopper_skus_of([p.id for p in products])
    every_sku = [s for p in products for s in skus[p.id]]
    available = categories.available_by_sku([s.id for s in every_sku])
    if customer is None:  # staff browsing: retail
        prices = {s.id: int(s.price_fen) for s in every_sku}
    else:
        priced = pricing.price_lines(customer, pricing.channel_of(customer), [(s, 1) for s in every_sku])
        prices = {s.id: p.unit_price_fen for s, p in zip(every_sku, priced, strict=True)}
    return [
        {
            "id": product.id,
            "name": product.name,
            "description": product.description,
            "category_id": product.category_id,
            "image_urls": categories.images(product),
            "on_sale": product.on_sale,
            "skus": [sku_dict(s, prices[s.id], available) for s in skus[product.id]],
        }
        for product in products
    ]


def product_dict(product: Product, customer: Customer | None) -> dict[str, Any]:
    return product_dicts([product], customer)[0]


def order_dicts(orders: list[Order]) -> list[dict[str, Any]]:
    """Orders with their lines, checkout (delivery address, discounts) and shipment, for
    ShopOrderOut: three reads for the whole list, however long it is."""
    ids = [o.id for o in orders]
    lines = order_reads.lines_by_order(ids)
    checkouts = order_reads.checkouts_by_order(ids)
    shipments = order_reads.shipments_by_order(ids)
    return [
        {
            "id": o.id,
            "status": o.status,
            "total_fen": o.total_fen,
            "vat_fen": o.vat_fen,
            "discount_fen": o.discount_fen,
            "paid_fen": o.paid_fen,
            "refunded_fen": o.refunded_fen,
            "created_at": o.created_at,
            "lines": lines[o.id],
            "checkout": checkouts.get(o.id),
            "shipment": shipments.get(o.id),
        }
        for o in orders
    ]


def order_dict(order: Order) -> dict[str, Any]:
    return order_dicts([order])[0]


def cart_dict(customer: Customer) -> dict[str, Any]:
    items = cart.items(customer.id)  # with their SKUs and products: one query
    available = categories.available_by_sku([i.sku_id for i in items])
    prices = pricing.price_lines(customer, pricing.channel_of(customer), [(i.sku, i.quantity) for i in items])
    rows = []
    for item, price in zip(items, prices, strict=True):
        sku = item.sku
        rows.append(
            {
                "id": item.id,
                "sku_id": sku.id,
                "name": f"{sku.product.name} {sku.name}",
                "quantity": item.quantity,
                "unit_price_fen": price.unit_price_fen,
                "total_fen": price.unit_price_fen * item.quantity,
                "available": max(available.get(sku.id, 0), 0),
                "on_sale": cart.on_sale(item),
            }
        )
    return {"items": rows, "goods_fen": sum(r["total_fen"] for r in rows)}


# ---------------------------------------------------------------- catalog


class ProductArgs(PageArgs):
    q = ma.fields.String(load_default=None, validate=ma.validate.Length(max=64))
    category_id = ma.fields.Integer(load_default=None)


@blp.route("/shop/categories", methods=["GET"])
@access(*ANY_ROLE)
@blp.response(200, schemas.CategoryList)
def list_categories() -> Any:
    """商品分类 Active categories, in display order."""
    rows = Category.select().where(Category.active == True).order_by(Category.sort, Category.id)  # noqa: E712
    return {"items": rows}


@blp.route("/shop/products", methods=["GET"])
@access(*ANY_ROLE)
@blp.arguments(ProductArgs, location="query")
@blp.response(200, schemas.ProductPage)
def list_products(args: dict[str, Any]) -> Any:
    """商品列表 Products on sale with their SKUs, your price and available stock; search by name or barcode."""
    user = current_user()
    customer = None if user.role in STAFF else catalog.customer_of_user(user.id)
    query = categories.shopper_products(q=args["q"], category_id=args["category_id"])
    return page(query, Product.id, args, lambda rows: product_dicts(rows, customer))


@blp.route("/shop/products/<int:product_id>", methods=["GET"])
@access(*ANY_ROLE)
@blp.response(200, schemas.ShopProductOut)
def get_product(product_id: int) -> Any:
    """商品详情 One product on sale (an off-sale or unknown one is a 404)."""
    user = current_user()
    customer = None if user.role in STAFF else catalog.customer_of_user(user.id)
    product = categories.shopper_products().where(Product.id == product_id).first()
    if product is None:
        raise NotFound(details={"product_id": product_id})
    return product_dict(product, customer)


# ---------------------------------------------------------------- cart


class CartAddIn(ma.Schema):
    sku_id = ma.fields.Integer(required=True, strict=True)
    quantity = ma.fields.Integer(required=True, strict=True)


class QuantityIn(ma.Schema):
    quantity = ma.fields.Integer(required=True, strict=True)


@blp.route("/cart", methods=["GET"])
@access(*SHOPPER)
@blp.response(200, schemas.CartOut)
def get_cart() -> Any:
    """购物车 Your cart at today's prices for you."""
    return cart_dict(_me())


@blp.route("/cart/items", methods=["POST"])
@access(*SHOPPER)
@idempotent
@blp.arguments(CartAddIn)
@blp.response(201, schemas.CartOut)
def add_to_cart(data: dict[str, Any]) -> Any:
    """加入购物车 Add a SKU on sale to your cart (merged with the same SKU)."""
    me = _me()
    cart.add(me.id, data["sku_id"], data["quantity"])
    return cart_dict(me)


@blp.route("/cart/items/<int:item_id>", methods=["PATCH"])
@access(*SHOPPER)
@blp.arguments(QuantityIn)
@blp.response(200, schemas.CartOut)
def set_cart_quantity(data: dict[str, Any], item_id: int) -> Any:
    """改数量 Change the quantity of one of your cart lines."""
    me = _me()
    cart.set_quantity(me.id, item_id, data["quantity"])
    return cart_dict(me)


@blp.route("/cart/items/<int:item_id>", methods=["DELETE"])
@access(*SHOPPER)
@blp.response(200, schemas.CartOut)
def remove_from_cart(item_id: int) -> Any:
    """删除 Remove one of your cart lines."""
    me = _me()
    cart.remove(me.id, item_id)
    return cart_dict(me)


# ---------------------------------------------------------------- addresses


class AddressIn(ma.Schema):
    name = ma.fields.String(required=True, validate=ma.validate.Length(min=1, max=32))
    phone = ma.fields.String(required=True, validate=ma.validate.Regexp(r"^1\d{10}$"))
    region = ma.fields.String(required=True, validate=ma.validate.Length(min=1, max=64))
    detail = ma.fields.String(required=True, validate=ma.validate.Length(min=1, max=128))
    is_default = ma.fields.Boolean(load_default=False)


class AddressPatch(ma.Schema):
    name = ma.fields.String(validate=ma.validate.Length(min=1, max=32))
    phone = ma.fields.String(validate=ma.validate.Regexp(r"^1\d{10}$"))
    region = ma.fields.String(validate=ma.validate.Length(min=1, max=64))
    detail = ma.fields.String(validate=ma.validate.Length(min=1, max=128))
    is_default = ma.fields.Boolean()


@blp.route("/addresses", methods=["GET"])
@access(*SHOPPER)
@blp.response(200, schemas.AddressList)
def list_addresses() -> Any:
    """收货地址 Your delivery addresses, the default first."""
    rows = addresses.of_customer(_me().id).order_by(addresses.Address.is_default.desc(), addresses.Address.id)
    return {"items": rows}


@blp.route("/addresses", methods=["POST"])
@access(*SHOPPER)
@idempotent
@blp.arguments(AddressIn)
@blp.response(201, schemas.AddressOut)
def create_address(data: dict[str, Any]) -> Any:
    """新增地址 Add a delivery address (the first one is the default)."""
    return addresses.create(_me().id, **data)


@blp.route("/addresses/<int:address_id>", methods=["PATCH"])
@access(*SHOPPER)
@blp.arguments(AddressPatch)
@blp.response(200, schemas.AddressOut)
def update_address(data: dict[str, Any], address_id: int) -> Any:
    """修改地址 Change one of your addresses."""
    return addresses.update(_me().id, address_id, **data)


@blp.route("/addresses/<int:address_id>", methods=["DELETE"])
@access(*SHOPPER)
@blp.response(200, schemas.DeletedOut)
def delete_address(address_id: int) -> Any:
    """删除地址 Remove one of your addresses."""
    addresses.delete(_me().id, address_id)
    return {"deleted": address_id}


# ---------------------------------------------------------------- coupons and membership


@blp.route("/coupons", methods=["GET"])
@access(*ANY_ROLE)
@blp.response(200, schemas.CouponList)
def list_coupons() -> Any:
    """可领优惠券 Coupons that can be claimed now."""
    from backend import clock

    now = clock.now()
    rows = Coupon.select().where(
        (Coupon.active == True) & (Coupon.valid_from <= now) & (Coupon.valid_until > now)  # noqa: E712
    )
    return {"items": rows.order_by(Coupon.id)}


@blp.route("/coupons/<int:coupon_id>/claim", methods=["POST"])
@access(*SHOPPER)
@idempotent
@blp.response(201, schemas.HeldCouponOut)
def claim_coupon(coupon_id: int) -> Any:
    """领券 Claim a coupon (up to its per-customer limit)."""
    held = promotions.claim(_me().id, coupon_id)
    return held


@blp.route("/me/coupons", methods=["GET"])
@access(*SHOPPER)
@blp.response(200, schemas.HeldCouponList)
def my_coupons() -> Any:
    """我的优惠券 Your coupons, used and available."""
    held = promotions.of_customer(_me().id).select_extend(Coupon).join(Coupon)  # each with its coupon
    return {"items": held.order_by(promotions.CustomerCoupon.id)}


@blp.route("/me/member", methods=["GET"])
@access(*SHOPPER)
@blp.response(200, schemas.MembershipOut)
def my_membership() -> Any:
    """会员 Your level, points and stored-value balance."""
    acc = members.MemberAccount.get_or_none(
        members.MemberAccount.customer == _me().id
    )  # a GET writes nothing
    level = acc.level if acc is not None and acc.level_id is not None else None
    return {
        "level": level,
        "points": acc.points if acc is not None else 0,
        "stored_value_fen": acc.stored_value_fen if acc is not None else 0,
        "fen_per_point": members.FEN_PER_POINT,
    }


@blp.route("/me/points", methods=["GET"])
@access(*SHOPPER)
@blp.arguments(PageArgs, location="query")
@blp.response(200, schemas.PointsPage)
def my_points(args: dict[str, Any]) -> Any:
    """积分明细 Your points ledger, newest first."""
    return page(members.points_history(_me().id), members.PointsEntry.id, args)


@blp.route("/me/stored-value", methods=["GET"])
@access(*SHOPPER)
@blp.arguments(PageArgs, location="query")
@blp.response(200, schemas.StoredValuePage)
def my_stored_value(args: dict[str, Any]) -> Any:
    """储值明细 Your stored-value ledger, newest first."""
    return page(members.stored_value_history(_me().id), members.StoredValueEntry.id, args)


# ---------------------------------------------------------------- checkout and orders


class CheckoutIn(ma.Schema):
    address_id = ma.fields.Integer(required=True, strict=True)
    points = ma.fields.Integer(load_default=0, strict=True)
    customer_coupon_id = ma.fields.Integer(load_default=None, strict=True)
    pay_with = ma.fields.String(load_default="wechat", validate=ma.validate.OneOf(checkouts.PAY_WITH))


def _answer(schema: type[ma.Schema], body: dict[str, Any], status: int = 201) -> Response:
    """What `@blp.response(status, schema)` would answer, for the part of a view that runs after
    commit (`idempotent_then`), outside flask-smorest's response decorator."""
    response = jsonify(schema().dump(body))
    response.status_code = status
    return response


def _finish_checkout(state: dict[str, Any]) -> Response:
    """After the checkout committed: the WeChat prepay, with no transaction open."""
    started = payments.prepay_jsapi(state["payment_id"])
    body = {
        "payment": {
            "id": started.payment.id,
            "out_trade_no": started.payment.out_trade_no,
            "amount_fen": started.payment.amount_fen,
            "status": started.payment.status,
        },
        "request_payment": started.params,
        "order": order_dict(Order.get_by_id(state["order_id"])),
    }
    return _answer(schemas.CheckoutResultOut, body)


@blp.route("/checkout", methods=["POST"])
@access(*SHOPPER)
@costly("checkout")
@idempotent_then(_finish_checkout)
@blp.arguments(CheckoutIn)
@blp.response(201, schemas.CheckoutResultOut)
def checkout(data: dict[str, Any]) -> Any:
    """结算 Turn your cart into an order (stock reserved, points and coupon applied) and pay.

    `pay_with=wechat` answers wx.requestPayment's parameters; `pay_with=stored_value` pays from your
    balance at once. The order commits before WeChat is asked for the prepay, so a slow WeChat holds
    no stock. The same Idempotency-Key replays the first answer and never orders twice; if the first
    request failed after the order was placed (WeChat unreachable), it finishes that same payment.
    """
    done = cart_checkout.check_out_cart(_me().id, current_user().id, **data)
    if done.payment is not None:
        return Unfinished({"order_id": done.order.id, "payment_id": done.payment.id})
    return {"payment": None, "request_payment": None, "order": order_dict(done.order)}


def _own_order(order_id: int) -> Order:
    order = Order.get_or_none(Order.id == order_id)
    if order is None or order.customer_id != _me().id:
        raise OrderNotFound(details={"order_id": order_id})
    return order


@blp.route("/shop/orders", methods=["GET"])
@access(*SHOPPER)
@blp.arguments(PageArgs, location="query")
@blp.response(200, schemas.ShopOrderPage)
def my_orders(args: dict[str, Any]) -> Any:
    """我的订单 Your orders with discounts and shipping, newest first."""
    return page(Order.select().where(Order.customer == _me().id), Order.id, args, order_dicts)


@blp.route("/shop/orders/<int:order_id>", methods=["GET"])
@access(*SHOPPER, *STAFF)
@blp.response(200, schemas.ShopOrderOut)
def my_order(order_id: int) -> Any:
    """订单详情 One of your orders (staff: any order): lines with their discount, delivery address,
    shipment."""
    if current_user().role in STAFF:
        order = Order.get_or_none(Order.id == order_id)
        if order is None:
            raise OrderNotFound(details={"order_id": order_id})
        return order_dict(order)
    return order_dict(_own_order(order_id))


@blp.route("/shop/orders/<int:order_id>/pay-with-stored-value", methods=["POST"])
@access(*SHOPPER)
@blp.response(200, schemas.ShopOrderOut)
def pay_with_stored_value(order_id: int) -> Any:
    """余额支付 Pay one of your pending orders from your stored-value balance."""
    with transaction():
        order = _own_order(order_id)
        stored_value.pay_order(order.id, order.customer_id)
    return order_dict(Order.get_by_id(order_id))


@blp.route("/shop/orders/<int:order_id>/receive", methods=["POST"])
@access(*SHOPPER)
@blp.response(200, schemas.ShopOrderOut)
def receive(order_id: int) -> Any:
    """确认收货 Confirm you received one of your shipped orders."""
    _own_order(order_id)
    return order_dict(fulfilment.receive(order_id, by="customer"))


@blp.route("/shop/orders/<int:order_id>/cancel", methods=["POST"])
@access(*SHOPPER)
@blp.response(200, schemas.ShopOrderOut)
def cancel(order_id: int) -> Any:
    """取消订单 Cancel one of your unpaid orders: stock released, points and coupon back, WeChat closed."""
    _own_order(order_id)
    return order_dict(sales.cancel_order(order_id, actor_id=current_user().id))


# ---------------------------------------------------------------- after-sales


class AfterSaleLineIn(ma.Schema):
    line_id = ma.fields.Integer(required=True, strict=True)
    quantity = ma.fields.Integer(required=True, strict=True)


class AfterSaleIn(ma.Schema):
    lines = ma.fields.List(ma.fields.Nested(AfterSaleLineIn), required=True)
    reason = ma.fields.String(load_default="", validate=ma.validate.Length(max=255))


@blp.route("/shop/orders/<int:order_id>/aftersales", methods=["POST"])
@access(*SHOPPER)
@idempotent
@blp.arguments(AfterSaleIn)
@blp.response(201, schemas.AfterSaleOut)
def request_aftersale(data: dict[str, Any], order_id: int) -> Any:
    """申请售后 Ask for a refund of some lines of one of your paid orders (staff decide)."""
    order = _own_order(order_id)
    req = aftersales.request(order.id, order.customer_id, data["lines"], reason=data["reason"])
    return req


@blp.route("/me/aftersales", methods=["GET"])
@access(*SHOPPER)
@blp.arguments(PageArgs, location="query")
@blp.response(200, schemas.AfterSalePage)
def my_aftersales(args: dict[str, Any]) -> Any:
    """我的售后 Your after-sales requests, newest first."""
    return page(aftersales.of_customer(_me().id), aftersales.AfterSaleRequest.id, args)


# ---------------------------------------------------------------- stored value top-up and sharing


class TopUpIn(ma.Schema):
    amount_fen = ma.fields.Integer(required=True, strict=True, validate=ma.validate.Range(min=1, max=10**8))


def _finish_top_up(state: dict[str, Any]) -> Response:
    """After the top-up record committed: the WeChat prepay, with no transaction open."""
    started = topups.prepay_top_up(state["top_up_id"])
    return _answer(schemas.TopUpResultOut, {"top_up": started.record, "request_payment": started.params})


@blp.route("/me/stored-value/top-ups", methods=["POST"])
@access(*SHOPPER)
@costly("top-up")
@idempotent_then(_finish_top_up)
@blp.arguments(TopUpIn)
@blp.response(201, schemas.TopUpResultOut)
def top_up(data: dict[str, Any]) -> Any:
    """储值充值 Top up your balance with WeChat Pay; answers wx.requestPayment's parameters."""
    record = topups.open_top_up(current_user().id, _me().id, data["amount_fen"])
    return Unfinished({"top_up_id": record.id})


class ShareIn(ma.Schema):
    product_id = ma.fields.Integer(load_default=None, strict=True)


@blp.route("/share-links", methods=["POST"])
@access(*SHOPPER)
@idempotent
@blp.arguments(ShareIn)
@blp.response(201, schemas.ShareLinkOut)
def create_share_link(data: dict[str, Any]) -> Any:
    """分享给好友 A share link (and mini-program code) that records you as the sharer."""
    link = sharing.create_link(_me().id, data["product_id"])
    return sharing.as_dict(link)


@blp.route("/share-links/<string:code>/wxacode.png", methods=["GET"])
@access(*SHOPPER)
@blp.binary_response("image/png", "小程序码 PNG")
def share_code_image(code: str) -> Response:
    """小程序码 The mini-program code of one of your share links, as a PNG."""
    link = sharing.own_link(_me().id, code)
    image = runtime.miniprogram_client().wxa.get_wxa_code_unlimited(link.code, page=sharing.PAGE)
    return Response(image.content, mimetype="image/png")


@blp.route("/share-links/<string:code>/arrivals", methods=["POST"])
@access(*SHOPPER, shared=("code",))
@blp.response(200, schemas.ArrivalOut)
def arrive_by_share(code: str) -> Any:
    """通过分享进入 Record that you came through a share link (the first link that brought you wins)."""
    referral = sharing.arrive(_me().id, code)
    return {"sharer_customer_id": None if referral is None else referral.sharer_id}
