"""The mini-program shop's own tables: member levels and accounts with their points and stored-value
ledgers, level prices, addresses, carts, coupons, checkouts, shipments, after-sales requests, share
links and the subscribe messages sent.

Ledgers (`PointsEntry`, `StoredValueEntry`) are append-only; `MemberAccount.points` and
`MemberAccount.stored_value_fen` are caches of their sums moved in SQL in the same transaction
(`yecai check` verifies them). Each entry carries a unique `reference`, so an event applied twice
writes once.
"""

from __future__ import annotations

import peewee as pw

from backend import clock
from backend.db import BaseModel
from backend.kernel.models import Customer, Order, Sku

POINTS_KINDS = ("earn", "redeem", "earn_reversed", "redeem_returned", "expire")
STORED_VALUE_KINDS = ("top_up", "pay", "refund")
COUPON_STATUSES = ("available", "used")
AFTERSALE_STATUSES = ("requested", "approved", "rejected")


class MemberLevel(BaseModel):
    name = pw.CharField(max_length=32)
    rank = pw.IntegerField(unique=True)  # higher is better; new members get the lowest
    points_per_yuan = pw.IntegerField(default=1)  # points earned per whole yuan paid
    created_at = pw.DateTimeField(default=clock.now)

    class Meta:
        table_name = "member_level"
        constraints = [pw.Check("points_per_yuan >= 0")]


class SkuLevelPrice(BaseModel):
    sku = pw.ForeignKeyField(Sku, on_delete="CASCADE")
    level = pw.ForeignKeyField(MemberLevel, on_delete="CASCADE")
    price_fen = pw.BigIntegerField()  # VAT-inclusive

    class Meta:
        table_name = "sku_level_price"
        indexes = ((("sku", "level"), True),)
        constraints = [pw.Check("price_fen >= 0")]


class MemberAccount(BaseModel):
    customer = pw.ForeignKeyField(Customer, unique=True, on_delete="RESTRICT")
    level = pw.ForeignKeyField(MemberLevel, null=True, on_delete="SET NULL")
    points = pw.BigIntegerField(default=0)  # cache of PointsEntry; a reversal may take it below 0
    stored_value_fen = pw.BigIntegerField(default=0)  # cache of StoredValueEntry
    created_at = pw.DateTimeField(default=clock.now)

    class Meta:
        table_name = "member_account"
        constraints = [pw.Check("stored_value_fen >= 0")]


class PointsEntry(BaseModel):
    customer = pw.ForeignKeyField(Customer, on_delete="RESTRICT")
    kind = pw.CharField(max_length=16)
    points = pw.BigIntegerField()  # signed: + the member holds more
    order_id = pw.IntegerField(null=True, index=True)
    reference = pw.CharField(max_length=80, unique=True)
    created_at = pw.DateTimeField(default=clock.now)

    class Meta:
        table_name = "points_entry"
        indexes = ((("customer",), False),)
        constraints = [pw.Check("points <> 0")]


class StoredValueEntry(BaseModel):
    customer = pw.ForeignKeyField(Customer, on_delete="RESTRICT")
    kind = pw.CharField(max_length=12)
    amount_fen = pw.BigIntegerField()  # signed: + the member holds more
    order_id = pw.IntegerField(null=True, index=True)
    reference = pw.CharField(max_length=80, unique=True)
    created_at = pw.DateTimeField(default=clock.now)

    class Meta:
        table_name = "stored_value_entry"
        indexes = ((("customer",), False),)
        constraints = [pw.Check("amount_fen <> 0")]


class Address(BaseModel):
    customer = pw.ForeignKeyField(Customer, on_delete="RESTRICT")
    name = pw.CharField(max_length=32)
    phone = pw.CharField(max_length=20)
    region = pw.CharField(max_length=64)  # 省市区
    detail = pw.CharField(max_length=128)
    is_default = pw.BooleanField(default=False)
    deleted = pw.BooleanField(default=False)  # kept: checkouts point at it
    created_at = pw.DateTimeField(default=clock.now)

    class Meta:
        table_name = "address"
        indexes = ((("customer",), False),)


class CartItem(BaseModel):
    customer = pw.ForeignKeyField(Customer, on_delete="CASCADE")
    sku = pw.ForeignKeyField(Sku, on_delete="CASCADE")
    quantity = pw.IntegerField()
    updated_at = pw.DateTimeField(default=clock.now)

    class Meta:
        table_name = "cart_item"
        indexes = ((("customer", "sku"), True),)
        constraints = [pw.Check("quantity > 0")]


class Coupon(BaseModel):
    """满减券: `amount_off_fen` off an order whose goods come to at least `threshold_fen`."""

    name = pw.CharField(max_length=64)
    amount_off_fen = pw.BigIntegerField()
    threshold_fen = pw.BigIntegerField(default=0)
    per_customer_limit = pw.IntegerField(default=1)
    valid_from = pw.DateTimeField()
    valid_until = pw.DateTimeField()
    active = pw.BooleanField(default=True)
    created_at = pw.DateTimeField(default=clock.now)

    class Meta:
        table_name = "coupon"
        constraints = [
            pw.Check("amount_off_fen > 0"),
            pw.Check("threshold_fen >= 0"),
            pw.Check("per_customer_limit > 0"),
        ]


class CustomerCoupon(BaseModel):
    """One coupon a customer claimed; `seq` (1..limit) makes the per-customer limit a unique key."""

    coupon = pw.ForeignKeyField(Coupon, on_delete="RESTRICT")
    customer = pw.ForeignKeyField(Customer, on_delete="RESTRICT")
    seq = pw.IntegerField()
    status = pw.CharField(max_length=12, default="available")
    order_id = pw.IntegerField(null=True)
    claimed_at = pw.DateTimeField(default=clock.now)
    used_at = pw.DateTimeField(null=True)

    class Meta:
        table_name = "customer_coupon"
        indexes = ((("coupon", "customer", "seq"), True),)


class Checkout(BaseModel):
    """What a mini-program checkout decided for its order: where to, and the discounts taken."""

    order = pw.ForeignKeyField(Order, unique=True, on_delete="RESTRICT")
    customer = pw.ForeignKeyField(Customer, on_delete="RESTRICT")
    address = pw.ForeignKeyField(Address, on_delete="RESTRICT")
    ship_to = pw.TextField()  # JSON snapshot of the address at checkout
    goods_fen = pw.BigIntegerField()  # before discounts
    points_used = pw.BigIntegerField(default=0)
    points_discount_fen = pw.BigIntegerField(default=0)
    customer_coupon = pw.ForeignKeyField(CustomerCoupon, null=True, on_delete="RESTRICT")
    coupon_discount_fen = pw.BigIntegerField(default=0)
    pay_with = pw.CharField(max_length=16, default="wechat")  # wechat | stored_value
    created_at = pw.DateTimeField(default=clock.now)

    class Meta:
        table_name = "checkout"


class Shipment(BaseModel):
    order = pw.ForeignKeyField(Order, unique=True, on_delete="RESTRICT")
    carrier = pw.CharField(max_length=32)
    tracking_no = pw.CharField(max_length=64)
    shipped_by = pw.IntegerField(null=True)
    shipped_at = pw.DateTimeField(default=clock.now)
    received_at = pw.DateTimeField(null=True)
    received_by = pw.CharField(max_length=12, default="")  # customer | auto

    class Meta:
        table_name = "shipment"


class AfterSaleRequest(BaseModel):
    order = pw.ForeignKeyField(Order, on_delete="RESTRICT")
    customer = pw.ForeignKeyField(Customer, on_delete="RESTRICT")
    lines = pw.TextField()  # JSON [{"line_id": 1, "quantity": 1}]
    amount_fen = pw.BigIntegerField()
    reason = pw.CharField(max_length=255, default="")
    status = pw.CharField(max_length=12, default="requested", index=True)
    decided_by = pw.IntegerField(null=True)
    decided_at = pw.DateTimeField(null=True)
    note = pw.CharField(max_length=255, default="")
    created_at = pw.DateTimeField(default=clock.now)
    # Migration 0082: refund (the shop's) | return (退货) | price_difference (价差补偿); on an order sold
    # on account, what an approval lowered the open invoice by and what became unapplied credit.
    kind = pw.CharField(max_length=16, default="refund")
    credited_fen = pw.BigIntegerField(default=0)
    unapplied_fen = pw.BigIntegerField(default=0)

    class Meta:
        table_name = "aftersale_request"
        constraints = [pw.Check("amount_fen > 0")]


class ShareLink(BaseModel):
    code = pw.CharField(max_length=32, unique=True)
    sharer = pw.ForeignKeyField(Customer, on_delete="RESTRICT")
    product_id = pw.IntegerField(null=True)
    created_at = pw.DateTimeField(default=clock.now)

    class Meta:
        table_name = "share_link"


class Referral(BaseModel):
    """Who brought whom: the first share link a new customer arrived through (first one wins)."""

    customer = pw.ForeignKeyField(Customer, unique=True, on_delete="RESTRICT")
    sharer = pw.ForeignKeyField(Customer, backref="referrals", on_delete="RESTRICT")
    share_link = pw.ForeignKeyField(ShareLink, on_delete="RESTRICT")
    created_at = pw.DateTimeField(default=clock.now)

    class Meta:
        table_name = "referral"


class MessageLog(BaseModel):
    """A subscribe message we tried to send, and what WeChat said (43101 = not subscribed)."""

    dedupe_key = pw.CharField(max_length=80, unique=True)
    touser = pw.CharField(max_length=64)
    template_id = pw.CharField(max_length=64)
    status = pw.CharField(max_length=12)  # sent | refused
    errcode = pw.IntegerField(default=0)
    msgid = pw.BigIntegerField(null=True)
    created_at = pw.DateTimeField(default=clock.now)

    class Meta:
        table_name = "message_log"
