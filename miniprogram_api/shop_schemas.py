"""What the shop's endpoints answer (customers' and staff's), as marshmallow schemas.

The views return models or plain dicts and these schemas dump them, so the OpenAPI document shows
exactly what goes over the wire. Money is integer fen (`*_fen`).
"""

from __future__ import annotations

import marshmallow as ma

from miniprogram_api.catalog import SkuOut
from miniprogram_api.fields import JsonList, JsonNested
from miniprogram_api.pagination import page_schema
from miniprogram_api.payments import RequestPaymentOut
from miniprogram_api.timestamps import Timestamp


def items_of(item_schema: type[ma.Schema], name: str) -> type[ma.Schema]:
    """`{"items": [...]}` for a short list that is not paged."""
    return type(name, (ma.Schema,), {"items": ma.fields.List(ma.fields.Nested(item_schema))})


# ---------------------------------------------------------------- catalog


class ShopCategoryOut(ma.Schema):
    id = ma.fields.Integer()
    name = ma.fields.String()
    parent_id = ma.fields.Integer(allow_none=True)
    sort = ma.fields.Integer()


class CategoryOut(ShopCategoryOut):
    active = ma.fields.Boolean()


class ShopSkuOut(ma.Schema):
    id = ma.fields.Integer()
    name = ma.fields.String()
    barcode = ma.fields.String(allow_none=True)
    unit = ma.fields.String()
    price_fen = ma.fields.Integer()
    member_price_fen = ma.fields.Integer(allow_none=True)
    your_price_fen = ma.fields.Integer(metadata={"description": "what the caller pays for one unit"})
    available = ma.fields.Integer(metadata={"description": "units on hand not reserved, never below 0"})


class AdminProductOut(ma.Schema):
    id = ma.fields.Integer()
    name = ma.fields.String()
    description = ma.fields.String()
    category_id = ma.fields.Integer(allow_none=True)
    image_urls = JsonList(ma.fields.String())
    on_sale = ma.fields.Boolean()


class ShopProductOut(AdminProductOut):
    skus = ma.fields.List(ma.fields.Nested(ShopSkuOut))


class AdminSkuOut(SkuOut):
    """A SKU as staff edit it: the catalog's view plus its other prices and whether it is on sale."""

    member_price_fen = ma.fields.Integer(allow_none=True)
    distributor_price_fen = ma.fields.Integer(allow_none=True)
    active = ma.fields.Boolean()


# ---------------------------------------------------------------- cart and addresses


class CartLineOut(ma.Schema):
    id = ma.fields.Integer()
    sku_id = ma.fields.Integer()
    name = ma.fields.String()
    quantity = ma.fields.Integer()
    unit_price_fen = ma.fields.Integer()
    total_fen = ma.fields.Integer()
    available = ma.fields.Integer()
    on_sale = ma.fields.Boolean()


class CartOut(ma.Schema):
    items = ma.fields.List(ma.fields.Nested(CartLineOut))
    goods_fen = ma.fields.Integer()


class AddressOut(ma.Schema):
    id = ma.fields.Integer()
    name = ma.fields.String()
    phone = ma.fields.String()
    region = ma.fields.String()
    detail = ma.fields.String()
    is_default = ma.fields.Boolean()


class DeletedOut(ma.Schema):
    deleted = ma.fields.Integer(metadata={"description": "the id removed"})


# ---------------------------------------------------------------- coupons and membership


class CouponOut(ma.Schema):
    id = ma.fields.Integer()
    name = ma.fields.String()
    amount_off_fen = ma.fields.Integer()
    threshold_fen = ma.fields.Integer()
    per_customer_limit = ma.fields.Integer()
    valid_from = Timestamp()
    valid_until = Timestamp()


class HeldCouponOut(ma.Schema):
    id = ma.fields.Integer()
    status = ma.fields.String()
    order_id = ma.fields.Integer(allow_none=True, metadata={"description": "the order it was used on"})
    coupon = ma.fields.Nested(CouponOut)


class LevelBriefOut(ma.Schema):
    id = ma.fields.Integer()
    name = ma.fields.String()
    rank = ma.fields.Integer()


class MemberLevelOut(LevelBriefOut):
    points_per_yuan = ma.fields.Integer()


class MembershipOut(ma.Schema):
    level = ma.fields.Nested(LevelBriefOut, allow_none=True)
    points = ma.fields.Integer()
    stored_value_fen = ma.fields.Integer()
    fen_per_point = ma.fields.Integer(metadata={"description": "what one point takes off, in fen"})


class PointsEntryOut(ma.Schema):
    id = ma.fields.Integer()
    kind = ma.fields.String()
    points = ma.fields.Integer()
    order_id = ma.fields.Integer(allow_none=True)


class StoredValueEntryOut(ma.Schema):
    id = ma.fields.Integer()
    kind = ma.fields.String()
    amount_fen = ma.fields.Integer()
    order_id = ma.fields.Integer(allow_none=True)


class LevelPriceOut(ma.Schema):
    sku_id = ma.fields.Integer()
    level_id = ma.fields.Integer()
    price_fen = ma.fields.Integer()


class MemberOnLevelOut(ma.Schema):
    customer_id = ma.fields.Integer()
    level_id = ma.fields.Integer(allow_none=True)
    points = ma.fields.Integer()


# ---------------------------------------------------------------- orders, checkout, after-sales


class ShipToOut(ma.Schema):
    """The delivery address as it was at checkout (later edits to the address do not change it)."""

    name = ma.fields.String()
    phone = ma.fields.String()
    region = ma.fields.String()
    detail = ma.fields.String()


class ShopLineOut(ma.Schema):
    id = ma.fields.Integer()
    sku_id = ma.fields.Integer()
    quantity = ma.fields.Integer()
    unit_price_fen = ma.fields.Integer()
    discount_fen = ma.fields.Integer()
    total_fen = ma.fields.Integer()
    vat_fen = ma.fields.Integer()


class CheckoutDetailOut(ma.Schema):
    ship_to = JsonNested(ShipToOut)
    goods_fen = ma.fields.Integer(metadata={"description": "before discounts"})
    points_used = ma.fields.Integer()
    points_discount_fen = ma.fields.Integer()
    coupon_discount_fen = ma.fields.Integer()
    pay_with = ma.fields.String()


class ShipmentOut(ma.Schema):
    carrier = ma.fields.String()
    tracking_no = ma.fields.String()
    shipped_at = Timestamp()
    received_at = Timestamp(allow_none=True)
    received_by = ma.fields.String(metadata={"description": "customer | auto; empty until received"})


class ShopOrderOut(ma.Schema):
    id = ma.fields.Integer()
    status = ma.fields.String()
    total_fen = ma.fields.Integer()
    vat_fen = ma.fields.Integer()
    discount_fen = ma.fields.Integer()
    paid_fen = ma.fields.Integer()
    refunded_fen = ma.fields.Integer()
    created_at = Timestamp()
    lines = ma.fields.List(ma.fields.Nested(ShopLineOut))
    checkout = ma.fields.Nested(CheckoutDetailOut, allow_none=True)
    shipment = ma.fields.Nested(ShipmentOut, allow_none=True)


class ShopPaymentOut(ma.Schema):
    id = ma.fields.Integer()
    out_trade_no = ma.fields.String()
    amount_fen = ma.fields.Integer()
    status = ma.fields.String()


class CheckoutResultOut(ma.Schema):
    order = ma.fields.Nested(ShopOrderOut)
    payment = ma.fields.Nested(ShopPaymentOut, allow_none=True, metadata={"description": "pay_with=wechat"})
    request_payment = ma.fields.Nested(
        RequestPaymentOut,
        allow_none=True,
        metadata={"description": "wx.requestPayment(...); pay_with=wechat"},
    )


class AfterSaleLineOut(ma.Schema):
    line_id = ma.fields.Integer()
    quantity = ma.fields.Integer()
    unit_fen = ma.fields.Integer(metadata={"description": "price_difference: the difference per unit"})


class AfterSaleOut(ma.Schema):
    id = ma.fields.Integer()
    order_id = ma.fields.Integer()
    customer_id = ma.fields.Integer()
    kind = ma.fields.String(metadata={"description": "refund | return (退货) | price_difference (价差补偿)"})
    lines = JsonList(ma.fields.Nested(AfterSaleLineOut))
    amount_fen = ma.fields.Integer()
    reason = ma.fields.String()
    status = ma.fields.String()
    note = ma.fields.String()
    credited_fen = ma.fields.Integer(metadata={"description": "on account: what lowered the open invoice"})
    unapplied_fen = ma.fields.Integer(metadata={"description": "on account: what became unapplied credit"})
    created_at = Timestamp()


# ---------------------------------------------------------------- stored value top-up and sharing


class TopUpOut(ma.Schema):
    id = ma.fields.Integer()
    amount_fen = ma.fields.Integer()
    status = ma.fields.String()


class TopUpResultOut(ma.Schema):
    top_up = ma.fields.Nested(TopUpOut)
    request_payment = ma.fields.Nested(RequestPaymentOut, metadata={"description": "wx.requestPayment(...)"})


class ShareLinkOut(ma.Schema):
    code = ma.fields.String()
    product_id = ma.fields.Integer(allow_none=True)
    path = ma.fields.String(metadata={"description": "the mini-program page the link opens"})


class ArrivalOut(ma.Schema):
    sharer_customer_id = ma.fields.Integer(allow_none=True, metadata={"description": "null: no one"})


class ReferralOut(ma.Schema):
    customer_id = ma.fields.Integer()
    customer_name = ma.fields.String()
    sharer_customer_id = ma.fields.Integer()
    sharer_name = ma.fields.String()
    share_link_id = ma.fields.Integer()


CategoryList = items_of(ShopCategoryOut, "ShopCategoryList")
ProductPage = page_schema(ShopProductOut, "ShopProductPage")
AddressList = items_of(AddressOut, "AddressList")
CouponList = items_of(CouponOut, "CouponList")
HeldCouponList = items_of(HeldCouponOut, "HeldCouponList")
PointsPage = page_schema(PointsEntryOut, "PointsPage")
StoredValuePage = page_schema(StoredValueEntryOut, "StoredValuePage")
ShopOrderPage = page_schema(ShopOrderOut, "ShopOrderPage")
AfterSalePage = page_schema(AfterSaleOut, "AfterSalePage")
ReferralList = items_of(ReferralOut, "ReferralList")
