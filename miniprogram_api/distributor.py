"""The distributor's restocking: the catalogue at their own price with trade terms and stock per
warehouse, favourites, a cart, quick reorder, the order placed on account or for WeChat Pay, and
WeChat QR payment of their own orders and invoices from a browser outside WeChat. Staff set each
SKU's trade terms (整箱, 起订量).

Everything a distributor reaches is their own: another's order, invoice or payment is a 404.
"""

from __future__ import annotations

import base64
import io
from typing import Any

import marshmallow as ma
import qrcode
from flask import Response, url_for

from backend.kernel.models import Customer, Sku
from miniprogram_api.api import Blueprint
from miniprogram_api.idempotency import idempotent
from miniprogram_api.orders import OrderOut
from miniprogram_api.pagination import PageArgs, page, page_schema
from miniprogram_api.payments import (
    AllocationOut,
    InvoicesPaymentIn,
    NativeOut,
    allocation_pairs,
    allocations_out,
)
from miniprogram_api.security import STAFF, access, current_user
from miniprogram_api.shop_schemas import AfterSaleOut, AfterSalePage
from miniprogram_api.throttling import costly
from payments import services as payments
from payments.errors import PaymentNotFound
from payments.models import PaymentRecord
from store import aftersales, cart, catalog, pricing
from store.distribution import ordering
from store.shop_models import AfterSaleRequest

blp = Blueprint("distributor", __name__, url_prefix="/api", description="经销商订货 Distributor ordering")

DISTRIBUTOR = ("distributor",)


def _me() -> Customer:
    return catalog.customer_of_user(current_user().id)


class TradeTermsIn(ma.Schema):
    case_size = ma.fields.Integer(required=True, strict=True)
    min_order_quantity = ma.fields.Integer(required=True, strict=True)


class TradeTermsOut(ma.Schema):
    sku_id = ma.fields.Integer()
    case_size = ma.fields.Integer()
    min_order_quantity = ma.fields.Integer()


class StockOut(ma.Schema):
    warehouse_id = ma.fields.Integer()
    code = ma.fields.String()
    name = ma.fields.String()
    available = ma.fields.Integer()


class CatalogueItemOut(ma.Schema):
    sku_id = ma.fields.Integer()
    product_name = ma.fields.String()
    name = ma.fields.String()
    unit = ma.fields.String()
    barcode = ma.fields.String(allow_none=True)
    retail_price_fen = ma.fields.Integer()
    your_price_fen = ma.fields.Integer(metadata={"description": "your price for one case (or the minimum)"})
    rule = ma.fields.String()
    case_size = ma.fields.Integer()
    min_order_quantity = ma.fields.Integer()
    favourite = ma.fields.Boolean()
    stock = ma.fields.List(ma.fields.Nested(StockOut))


CataloguePage = page_schema(CatalogueItemOut, "CataloguePage")


class CatalogueArgs(PageArgs):
    q = ma.fields.String(load_default=None, validate=ma.validate.Length(max=64))
    favourites = ma.fields.Boolean(load_default=False)


class DistributorCartAddIn(ma.Schema):
    sku_id = ma.fields.Integer(required=True, strict=True)
    quantity = ma.fields.Integer(required=True, strict=True)


class DistributorQuantityIn(ma.Schema):
    quantity = ma.fields.Integer(required=True, strict=True)


class DistributorCartLineOut(ma.Schema):
    id = ma.fields.Integer()
    sku_id = ma.fields.Integer()
    name = ma.fields.String()
    quantity = ma.fields.Integer()
    unit_price_fen = ma.fields.Integer()
    rule = ma.fields.String()
    total_fen = ma.fields.Integer()
    case_size = ma.fields.Integer()
    min_order_quantity = ma.fields.Integer()
    available = ma.fields.Integer(metadata={"description": "across warehouses"})


class ReorderAdjustedOut(ma.Schema):
    sku_id = ma.fields.Integer()
    ordered = ma.fields.Integer(metadata={"description": "the past order's quantity"})
    added = ma.fields.Integer(
        metadata={"description": "what went into the cart, rounded up to today's terms"}
    )
    case_size = ma.fields.Integer()
    min_order_quantity = ma.fields.Integer()


class DistributorCartOut(ma.Schema):
    items = ma.fields.List(ma.fields.Nested(DistributorCartLineOut))
    goods_fen = ma.fields.Integer()
    skipped_sku_ids = ma.fields.List(
        ma.fields.Integer(), metadata={"description": "reorder: no longer on sale"}
    )
    adjusted = ma.fields.List(
        ma.fields.Nested(ReorderAdjustedOut),
        metadata={"description": "reorder: lines whose past quantity breaks today's case size or minimum"},
    )


class FavouriteIn(ma.Schema):
    sku_id = ma.fields.Integer(required=True, strict=True)


class FavouriteOut(ma.Schema):
    sku_id = ma.fields.Integer()
    favourite = ma.fields.Boolean()


class DistributorPlaceIn(ma.Schema):
    pay_with = ma.fields.String(required=True, validate=ma.validate.OneOf(ordering.PAY_WITH))
    warehouse_id = ma.fields.Integer(load_default=None, strict=True)
    if_over_credit = ma.fields.String(
        load_default="refuse",
        validate=ma.validate.OneOf(ordering.IF_OVER_CREDIT),
        metadata={
            "description": "on account over your credit limit (or on hold): `refuse` (409), or `ask_owner`: "
            "the order waits for the owner's approval as `awaiting_approval`, its stock held"
        },
    )
    credit_reason = ma.fields.String(load_default="", validate=ma.validate.Length(max=500))


# ---------------------------------------------------------------- staff


@blp.route("/skus/<int:sku_id>/trade-terms", methods=["PUT"])
@access(*STAFF)
@blp.arguments(TradeTermsIn)
@blp.response(200, TradeTermsOut)
def set_trade_terms(data: dict[str, Any], sku_id: int) -> Any:
    """整箱与起订量 A SKU's case size and minimum order quantity for distributors (audited)."""
    terms = ordering.set_trade_terms(
        sku_id, data["case_size"], data["min_order_quantity"], actor_id=current_user().id
    )
    return {"sku_id": sku_id, "case_size": terms.case_size, "min_order_quantity": terms.min_order_quantity}


# ---------------------------------------------------------------- catalogue


def _catalogue(customer: Customer, skus: list[Sku]) -> list[dict[str, Any]]:
    """A page of SKUs at the distributor's price for their minimum order, with terms, favourites and
    stock per warehouse: four queries for the page, however long it is."""
    ids = [s.id for s in skus]
    terms = ordering.terms_of(ids)
    prices = pricing.price_lines(customer, "distributor", [(s, terms[s.id][1]) for s in skus])
    favourites = ordering.favourites_of(customer.id, ids)
    stock = ordering.stock_by_warehouse(ids)
    return [
        {
            "sku_id": sku.id,
            "product_name": sku.product.name,
            "name": sku.name,
            "unit": sku.unit,
            "barcode": sku.barcode,
            "retail_price_fen": sku.price_fen,
            "your_price_fen": price.unit_price_fen,
            "rule": price.rule,
            "case_size": terms[sku.id][0],
            "min_order_quantity": terms[sku.id][1],
            "favourite": sku.id in favourites,
            "stock": stock[sku.id],
        }
        for sku, price in zip(skus, prices, strict=True)
    ]


@blp.route("/distributor/catalog", methods=["GET"])
@access(*DISTRIBUTOR)
@blp.arguments(CatalogueArgs, location="query")
@blp.response(200, CataloguePage)
def catalogue(args: dict[str, Any]) -> Any:
    """订货目录 SKUs at your price, with case size, minimum and stock per warehouse; `favourites=true`
    for your favourites only; `q` searches names and barcodes."""
    me = _me()
    query = ordering.catalogue_skus(q=args["q"], favourites_of_customer=me.id if args["favourites"] else None)
    return page(query, Sku.id, args, lambda rows: _catalogue(me, rows))


@blp.route("/distributor/favourites", methods=["POST"])
@access(*DISTRIBUTOR)
@idempotent
@blp.arguments(FavouriteIn)
@blp.response(201, FavouriteOut)
def add_favourite(data: dict[str, Any]) -> Any:
    """收藏 Keep a SKU among your favourites."""
    ordering.add_favourite(_me().id, data["sku_id"])
    return {"sku_id": data["sku_id"], "favourite": True}


@blp.route("/distributor/favourites/<int:sku_id>", methods=["DELETE"])
@access(*DISTRIBUTOR)
@blp.response(200, FavouriteOut)
def remove_favourite(sku_id: int) -> Any:
    """取消收藏 Take a SKU off your favourites."""
    ordering.remove_favourite(_me().id, sku_id)
    return {"sku_id": sku_id, "favourite": False}


# ---------------------------------------------------------------- cart


def cart_dict(
    customer: Customer, skipped: list[int] | None = None, adjusted: list[Any] | None = None
) -> dict[str, Any]:
    """The cart at the distributor's price for each line's quantity: four queries in all."""
    items = cart.items(customer.id)
    ids = [i.sku_id for i in items]
    terms = ordering.terms_of(ids)
    prices = pricing.price_lines(customer, "distributor", [(i.sku, i.quantity) for i in items])
    stock = ordering.stock_by_warehouse(ids)
    rows = [
        {
            "id": item.id,
            "sku_id": item.sku_id,
            "name": f"{item.sku.product.name} {item.sku.name}",
            "quantity": item.quantity,
            "unit_price_fen": price.unit_price_fen,
            "rule": price.rule,
            "total_fen": price.unit_price_fen * item.quantity,
            "case_size": terms[item.sku_id][0],
            "min_order_quantity": terms[item.sku_id][1],
            "available": sum(s["available"] for s in stock[item.sku_id]),
        }
        for item, price in zip(items, prices, strict=True)
    ]
    return {
        "items": rows,
        "goods_fen": sum(r["total_fen"] for r in rows),
        "skipped_sku_ids": skipped or [],
        "adjusted": adjusted or [],
    }


@blp.route("/distributor/cart", methods=["GET"])
@access(*DISTRIBUTOR)
@blp.response(200, DistributorCartOut)
def get_cart() -> Any:
    """订货车 Your cart at your prices (quantity breaks applied)."""
    return cart_dict(_me())


@blp.route("/distributor/cart/items", methods=["POST"])
@access(*DISTRIBUTOR)
@idempotent
@blp.arguments(DistributorCartAddIn)
@blp.response(201, DistributorCartOut)
def add_to_cart(data: dict[str, Any]) -> Any:
    """加入订货车 Add whole cases of a SKU (merged with its line; the line must meet the trade terms)."""
    me = _me()
    ordering.add_to_cart(me.id, data["sku_id"], data["quantity"])
    return cart_dict(me)


@blp.route("/distributor/cart/items/<int:item_id>", methods=["PATCH"])
@access(*DISTRIBUTOR)
@blp.arguments(DistributorQuantityIn)
@blp.response(200, DistributorCartOut)
def set_quantity(data: dict[str, Any], item_id: int) -> Any:
    """修改数量 Change a line's quantity (whole cases, at least the minimum)."""
    me = _me()
    ordering.set_cart_quantity(me.id, item_id, data["quantity"])
    return cart_dict(me)


@blp.route("/distributor/cart/items/<int:item_id>", methods=["DELETE"])
@access(*DISTRIBUTOR)
@blp.response(200, DistributorCartOut)
def remove_line(item_id: int) -> Any:
    """删除 Take a line out of the cart."""
    me = _me()
    cart.remove(me.id, item_id)
    return cart_dict(me)


@blp.route("/distributor/orders/<int:order_id>/reorder", methods=["POST"])
@access(*DISTRIBUTOR)
@idempotent
@blp.response(201, DistributorCartOut)
def reorder(order_id: int) -> Any:
    """再来一单 Put a past order's lines into your cart: SKUs no longer on sale are left out and listed
    as skipped; a quantity that breaks today's case size or minimum goes in rounded up to them and is
    listed as adjusted."""
    me = _me()
    done = ordering.reorder(me.id, order_id)
    return cart_dict(me, done.skipped, done.adjusted)


@blp.route("/distributor/orders", methods=["POST"])
@access(*DISTRIBUTOR)
@idempotent
@blp.arguments(DistributorPlaceIn)
@blp.response(201, OrderOut)
def place(data: dict[str, Any]) -> Any:
    """提交订单 Your cart becomes an order: `on_account` (an open invoice, within your credit; over it,
    `if_over_credit: ask_owner` leaves the order `awaiting_approval` until the owner approves or rejects
    it) or `wechat` (waiting for payment: POST /api/orders/<id>/wechat-checkout, or /wechat-qr outside WeChat)."""
    return ordering.place_from_cart(
        _me().id,
        pay_with=data["pay_with"],
        warehouse_id=data["warehouse_id"],
        placed_by=current_user().id,
        if_over_credit=data["if_over_credit"],
        credit_reason=data["credit_reason"],
    )


# ---------------------------------------------------------------- after-sales


class DistAfterSaleLineIn(ma.Schema):
    line_id = ma.fields.Integer(required=True, strict=True)
    quantity = ma.fields.Integer(required=True, strict=True)
    unit_fen = ma.fields.Integer(
        strict=True, metadata={"description": "price_difference: the difference claimed per unit, in fen"}
    )


class DistAfterSaleIn(ma.Schema):
    kind = ma.fields.String(required=True, validate=ma.validate.OneOf(["return", "price_difference"]))
    lines = ma.fields.List(
        ma.fields.Nested(DistAfterSaleLineIn), required=True, validate=ma.validate.Length(min=1, max=100)
    )
    reason = ma.fields.String(load_default="", validate=ma.validate.Length(max=255))


@blp.route("/distributor/orders/<int:order_id>/aftersales", methods=["POST"])
@access(*DISTRIBUTOR)
@idempotent
@blp.arguments(DistAfterSaleIn)
@blp.response(201, AfterSaleOut)
def request_aftersale(data: dict[str, Any], order_id: int) -> Any:
    """申请售后 On one of your orders: `return` (退货: units of shipped lines back, their price with them)
    or `price_difference` (价差补偿: `unit_fen` per unit). Staff decide; on account the amount lowers
    your open invoice, or becomes your credit once the invoice is paid."""
    return aftersales.request(order_id, _me().id, data["lines"], reason=data["reason"], kind=data["kind"])


@blp.route("/distributor/aftersales", methods=["GET"])
@access(*DISTRIBUTOR)
@blp.arguments(PageArgs, location="query")
@blp.response(200, AfterSalePage)
def my_aftersales(args: dict[str, Any]) -> Any:
    """我的售后 Your returns and price-difference claims, newest first, with how each was settled."""
    return page(aftersales.of_customer(_me().id), AfterSaleRequest.id, args)


# ---------------------------------------------------------------- paying by QR outside WeChat


class QrOut(NativeOut):
    qr_data_url = ma.fields.String(
        metadata={"description": "the QR as a data: URL, for an <img> on the page"}
    )


def _png(code_url: str) -> bytes:
    out = io.BytesIO()
    qrcode.make(code_url).save(out)
    return out.getvalue()


def _native(record: PaymentRecord) -> dict[str, Any]:
    return {
        "payment": record,
        "code_url": record.code_url,
        "qr_png_url": url_for("distributor.my_payment_qr", payment_id=record.id),
        "qr_data_url": "data:image/png;base64," + base64.b64encode(_png(str(record.code_url))).decode(),
    }


@blp.route("/my/orders/<int:order_id>/wechat-qr", methods=["POST"])
@access("distributor", "customer")
@blp.response(200, QrOut)
def order_qr(order_id: int) -> Any:
    """扫码付款 A WeChat QR (NATIVE) for your own pending order, to scan with WeChat's 扫一扫."""
    return _native(payments.start_native_own_order(order_id, current_user().id))


@blp.route("/my/invoices/<int:invoice_id>/wechat-qr", methods=["POST"])
@access("distributor", "customer")
@blp.response(200, QrOut)
def invoice_qr(invoice_id: int) -> Any:
    """扫码付账单 A WeChat QR (NATIVE) for what is open on your own invoice."""
    return _native(payments.start_native_invoice_checkout(invoice_id, current_user().id))


class InvoicesQrOut(QrOut):
    allocations = ma.fields.List(ma.fields.Nested(AllocationOut))


@blp.route("/my/invoices/wechat-qr", methods=["POST"])
@access("distributor", "customer")
@costly("invoice-wechat-checkout")
@blp.arguments(InvoicesPaymentIn)
@blp.response(200, InvoicesQrOut)
def invoices_qr(data: dict[str, Any]) -> Any:
    """扫码付多张账单 A WeChat QR (NATIVE) paying the invoices and amounts you choose in one payment."""
    record = payments.start_native_invoices_checkout(allocation_pairs(data), current_user().id)
    return {**_native(record), "allocations": allocations_out(record)}


@blp.route("/my/payments/<int:payment_id>/qr.png", methods=["GET"])
@access("distributor", "customer")
@blp.binary_response("image/png", "二维码 PNG")
def my_payment_qr(payment_id: int) -> Response:
    """付款二维码图片 Your own NATIVE payment's QR as a PNG."""
    record = PaymentRecord.get_or_none(PaymentRecord.id == payment_id)
    if record is None or not record.code_url or record.customer_id != _me().id:
        raise PaymentNotFound(details={"payment_id": payment_id})
    return Response(_png(str(record.code_url)), mimetype="image/png")
