"""The shop for staff and the owner: categories, product pictures and listing, SKU and level prices,
member levels, coupons, shipping, after-sales decisions, and who brought whom. Thin: parse,
authorize, call store/ or payments/, serialize."""

from __future__ import annotations

from typing import Any

import marshmallow as ma

from miniprogram_api import shop_schemas as schemas
from miniprogram_api.api import Blueprint
from miniprogram_api.idempotency import idempotent
from miniprogram_api.pagination import PageArgs, page
from miniprogram_api.security import STAFF, access, current_user
from miniprogram_api.shop import order_dict
from miniprogram_api.timestamps import Timestamp
from payments import aftersales as payment_aftersales
from store import aftersales, categories, fulfilment, members, promotions, sharing
from store.shop_models import AfterSaleRequest

blp = Blueprint("shop_admin", __name__, url_prefix="/api", description="商城管理 The shop for staff")

FEN = ma.validate.Range(min=0, max=10**12)


# A display order or a level's rank is a 32-bit column: a larger number is a 422, not a database
# overflow (PostgreSQL refuses it, as a 500 it would be).
INT32 = ma.validate.Range(min=-(2**31), max=2**31 - 1)


class CategoryIn(ma.Schema):
    name = ma.fields.String(required=True, validate=ma.validate.Length(min=1, max=64))
    parent_id = ma.fields.Integer(load_default=None, strict=True)
    sort = ma.fields.Integer(load_default=0, strict=True, validate=INT32)


class CategoryPatch(ma.Schema):
    name = ma.fields.String(validate=ma.validate.Length(min=1, max=64))
    parent_id = ma.fields.Integer(allow_none=True, strict=True)
    sort = ma.fields.Integer(strict=True, validate=INT32)
    active = ma.fields.Boolean()


class ProductPatch(ma.Schema):
    name = ma.fields.String(validate=ma.validate.Length(min=1, max=128))
    description = ma.fields.String(validate=ma.validate.Length(max=5000))
    category_id = ma.fields.Integer(allow_none=True, strict=True)
    image_urls = ma.fields.List(ma.fields.String())
    on_sale = ma.fields.Boolean()


class SkuPatch(ma.Schema):
    name = ma.fields.String(validate=ma.validate.Length(min=1, max=128))
    unit = ma.fields.String(validate=ma.validate.Length(min=1, max=16))
    price_fen = ma.fields.Integer(strict=True, validate=FEN)
    member_price_fen = ma.fields.Integer(allow_none=True, strict=True, validate=FEN)
    distributor_price_fen = ma.fields.Integer(allow_none=True, strict=True, validate=FEN)
    active = ma.fields.Boolean()


class LevelIn(ma.Schema):
    name = ma.fields.String(required=True, validate=ma.validate.Length(min=1, max=32))
    rank = ma.fields.Integer(required=True, strict=True, validate=INT32)
    points_per_yuan = ma.fields.Integer(
        load_default=1, strict=True, validate=ma.validate.Range(min=0, max=100)
    )


class LevelPriceIn(ma.Schema):
    price_fen = ma.fields.Integer(required=True, strict=True, validate=FEN)


class MemberPatch(ma.Schema):
    level_id = ma.fields.Integer(required=True, allow_none=True, strict=True)


class CouponIn(ma.Schema):
    name = ma.fields.String(required=True, validate=ma.validate.Length(min=1, max=64))
    amount_off_fen = ma.fields.Integer(
        required=True, strict=True, validate=ma.validate.Range(min=1, max=10**9)
    )
    threshold_fen = ma.fields.Integer(load_default=0, strict=True, validate=FEN)
    per_customer_limit = ma.fields.Integer(
        load_default=1, strict=True, validate=ma.validate.Range(min=1, max=100)
    )
    valid_from = Timestamp(required=True)
    valid_until = Timestamp(required=True)


class ShipIn(ma.Schema):
    carrier = ma.fields.String(required=True, validate=ma.validate.Length(min=1, max=32))
    tracking_no = ma.fields.String(required=True, validate=ma.validate.Regexp(r"^[0-9A-Za-z-]{4,64}$"))


class DecisionIn(ma.Schema):
    note = ma.fields.String(load_default="", validate=ma.validate.Length(max=255))


class ApprovalIn(DecisionIn):
    goods_returned = ma.fields.Boolean(
        load_default=False,
        metadata={"description": "退货退款: the goods came back; put them in stock before refunding"},
    )


class AfterSaleArgs(PageArgs):
    status = ma.fields.String(
        load_default=None, validate=ma.validate.OneOf(["requested", "approved", "rejected"])
    )
    kind = ma.fields.String(load_default=None, validate=ma.validate.OneOf(list(aftersales.KINDS)))


@blp.route("/categories", methods=["POST"])
@access(*STAFF)
@idempotent
@blp.arguments(CategoryIn)
@blp.response(201, schemas.CategoryOut)
def create_category(data: dict[str, Any]) -> Any:
    """新建分类 Create a category (optionally under a parent)."""
    return categories.create_category(data["name"], parent_id=data["parent_id"], sort=data["sort"])


@blp.route("/categories/<int:category_id>", methods=["PATCH"])
@access(*STAFF)
@blp.arguments(CategoryPatch)
@blp.response(200, schemas.CategoryOut)
def update_category(data: dict[str, Any], category_id: int) -> Any:
    """修改分类 Rename, move, reorder or hide a category."""
    return categories.update_category(category_id, **data)


@blp.route("/products/<int:product_id>", methods=["PATCH"])
@access(*STAFF)
@blp.arguments(ProductPatch)
@blp.response(200, schemas.AdminProductOut)
def update_product(data: dict[str, Any], product_id: int) -> Any:
    """修改商品 Name, description, category, pictures (https URLs), on/off sale."""
    product = categories.update_product(product_id, actor_id=current_user().id, **data)
    return product


@blp.route("/skus/<int:sku_id>", methods=["PATCH"])
@access(*STAFF)
@blp.arguments(SkuPatch)
@blp.response(200, schemas.AdminSkuOut)
def update_sku(data: dict[str, Any], sku_id: int) -> Any:
    """修改规格 Specification name, unit, retail/member/distributor prices, on/off sale."""
    sku = categories.update_sku(sku_id, actor_id=current_user().id, **data)  # audited with the change
    return sku


@blp.route("/member-levels", methods=["POST"])
@access(*STAFF)
@idempotent
@blp.arguments(LevelIn)
@blp.response(201, schemas.MemberLevelOut)
def create_level(data: dict[str, Any]) -> Any:
    """新建会员等级 A member level with its points rate (points per yuan paid)."""
    return members.create_level(data["name"], data["rank"], data["points_per_yuan"])


@blp.route("/skus/<int:sku_id>/level-prices/<int:level_id>", methods=["PUT"])
@access(*STAFF)
@blp.arguments(LevelPriceIn)
@blp.response(200, schemas.LevelPriceOut)
def set_level_price(data: dict[str, Any], sku_id: int, level_id: int) -> Any:
    """等级价 The price of a SKU for one member level."""
    categories.set_level_price(sku_id, level_id, data["price_fen"], actor_id=current_user().id)
    return {"sku_id": sku_id, "level_id": level_id, "price_fen": data["price_fen"]}


@blp.route("/members/<int:customer_id>", methods=["PATCH"])
@access(*STAFF)
@blp.arguments(MemberPatch)
@blp.response(200, schemas.MemberOnLevelOut)
def set_member_level(data: dict[str, Any], customer_id: int) -> Any:
    """会员等级 Put a member on a level."""
    acc = members.set_level(customer_id, data["level_id"], actor_id=current_user().id)
    return {"customer_id": customer_id, "level_id": acc.level_id, "points": acc.points}


@blp.route("/coupons", methods=["POST"])
@access(*STAFF)
@idempotent
@blp.arguments(CouponIn)
@blp.response(201, schemas.CouponOut)
def create_coupon(data: dict[str, Any]) -> Any:
    """新建优惠券 满减: amount off over a threshold, per-customer limit, validity window."""
    coupon = promotions.create_coupon(data.pop("name"), actor_id=current_user().id, **data)
    return coupon


@blp.route("/shop/orders/<int:order_id>/ship", methods=["POST"])
@access(*STAFF)
@blp.arguments(ShipIn)
@blp.response(200, schemas.ShopOrderOut)
def ship(data: dict[str, Any], order_id: int) -> Any:
    """发货 Ship a paid order: stock issued, carrier and tracking number recorded, customer notified."""
    order = fulfilment.ship(
        order_id, carrier=data["carrier"], tracking_no=data["tracking_no"], staff_id=current_user().id
    )
    return order_dict(order)


@blp.route("/aftersales", methods=["GET"])
@access(*STAFF)
@blp.arguments(AfterSaleArgs, location="query")
@blp.response(200, schemas.AfterSalePage)
def list_aftersales(args: dict[str, Any]) -> Any:
    """售后列表 After-sales requests, newest first."""
    query = AfterSaleRequest.select()
    if args["status"]:
        query = query.where(AfterSaleRequest.status == args["status"])
    if args["kind"]:
        query = query.where(AfterSaleRequest.kind == args["kind"])
    return page(query, AfterSaleRequest.id, args)


@blp.route("/aftersales/<int:request_id>/approve", methods=["POST"])
@access(*STAFF)
@blp.arguments(ApprovalIn)
@blp.response(200, schemas.AfterSaleOut)
def approve_aftersale(data: dict[str, Any], request_id: int) -> Any:
    """同意退款 Approve: the amount goes back the way it was paid (WeChat refund, or to the balance).

    With `goods_returned` the request's units go back to stock first (退货退款); a `return` always
    brings them back, a `price_difference` never. On an order sold on account (a distributor's) no
    money moves: the amount lowers the open invoice (a credit note) or, once paid, becomes credit."""
    return payment_aftersales.approve(
        request_id, staff_id=current_user().id, note=data["note"], goods_returned=data["goods_returned"]
    )


@blp.route("/aftersales/<int:request_id>/reject", methods=["POST"])
@access(*STAFF)
@blp.arguments(DecisionIn)
@blp.response(200, schemas.AfterSaleOut)
def reject_aftersale(data: dict[str, Any], request_id: int) -> Any:
    """拒绝退款 Reject an after-sales request with a note."""
    req = aftersales.reject(request_id, staff_id=current_user().id, note=data["note"])
    return req


@blp.route("/referrals", methods=["GET"])
@access("owner")
@blp.response(200, schemas.ReferralList)
def referrals() -> Any:
    """分享带客 Which member brought which customer."""
    return {"items": sharing.referrals()}
