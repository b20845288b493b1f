"""The minimal catalog (products, SKUs, warehouses), customers, and the orders every channel shares.

Money is integer fen; VAT rates are basis points (1300 = 13%). Order lines snapshot the price and
VAT rate at order time, so later price changes never rewrite a sale.
"""

from __future__ import annotations

import peewee as pw

from backend import clock
from backend.auth.models import User
from backend.db import BaseModel

CUSTOMER_KINDS = ("walk_in", "member", "distributor")
CHANNELS = ("miniprogram", "distributor", "counter")
ORDER_STATUSES = (
    "pending_payment",
    "on_account",
    "paid",
    "shipped",
    "completed",
    "cancelled",
    "partially_refunded",
    "refunded",
    "awaiting_approval",  # a distributor's order over their credit, waiting for the owner (stock held)
)


class Category(BaseModel):
    """A shelf in the mini-program shop (饮料 > 果汁); `sort` orders siblings, smaller first."""

    name = pw.CharField(max_length=64)
    parent = pw.ForeignKeyField("self", null=True, backref="children", on_delete="RESTRICT")
    sort = pw.IntegerField(default=0)
    active = pw.BooleanField(default=True)
    created_at = pw.DateTimeField(default=clock.now)


class Product(BaseModel):
    name = pw.CharField(max_length=128)
    created_at = pw.DateTimeField(default=clock.now)
    # The shop's face of a product (migration 0030): shelf, pictures, and whether shoppers see it.
    category = pw.ForeignKeyField(Category, null=True, backref="products", on_delete="SET NULL")
    description = pw.TextField(default="")
    image_urls = pw.TextField(default="[]")  # JSON list of https URLs, the first is the cover
    on_sale = pw.BooleanField(default=True)


class Sku(BaseModel):
    product = pw.ForeignKeyField(Product, backref="skus", on_delete="RESTRICT")
    name = pw.CharField(max_length=128)
    barcode = pw.CharField(max_length=32, null=True, unique=True)
    unit = pw.CharField(max_length=16, default="件")
    price_fen = pw.BigIntegerField()  # VAT-inclusive retail price
    distributor_price_fen = pw.BigIntegerField(null=True)  # VAT-inclusive; null = retail price
    vat_rate_bp = pw.IntegerField(default=1300)
    active = pw.BooleanField(default=True)
    created_at = pw.DateTimeField(default=clock.now)
    member_price_fen = pw.BigIntegerField(null=True)  # VAT-inclusive price for members; null = retail

    class Meta:
        constraints = [
            pw.Check("price_fen >= 0"),
            pw.Check("distributor_price_fen IS NULL OR distributor_price_fen >= 0"),
            pw.Check("vat_rate_bp >= 0 AND vat_rate_bp <= 10000"),
        ]


class Warehouse(BaseModel):
    code = pw.CharField(max_length=32, unique=True)
    name = pw.CharField(max_length=64)
    created_at = pw.DateTimeField(default=clock.now)


class Customer(BaseModel):
    kind = pw.CharField(max_length=16, index=True)  # walk_in | member | distributor
    name = pw.CharField(max_length=128)
    phone = pw.CharField(max_length=20, null=True)
    # The login behind a member or distributor, so they see only their own orders and invoices.
    user = pw.ForeignKeyField(User, null=True, unique=True, on_delete="SET NULL")
    credit_limit_fen = pw.BigIntegerField(default=0)
    payment_terms_days = pw.IntegerField(default=0)
    # Cache of the sum of this customer's receivable entries (what they owe), kept in SQL.
    balance_fen = pw.BigIntegerField(default=0)
    created_at = pw.DateTimeField(default=clock.now)
    # On-account orders accepted but not yet invoiced: with balance_fen, what the credit limit covers
    # (backend/receivables/credit). Moves in SQL with the order's acceptance and its invoice.
    uninvoiced_fen = pw.BigIntegerField(default=0)

    class Meta:
        constraints = [
            pw.Check("credit_limit_fen >= 0"),
            pw.Check("payment_terms_days >= 0"),
            pw.Check("kind IN ('walk_in', 'member', 'distributor')"),
        ]


class Order(BaseModel):
    channel = pw.CharField(max_length=16)  # miniprogram | distributor | counter
    customer = pw.ForeignKeyField(Customer, backref="orders", on_delete="RESTRICT")
    warehouse = pw.ForeignKeyField(Warehouse, on_delete="RESTRICT")
    status = pw.CharField(max_length=20, index=True)
    total_fen = pw.BigIntegerField()  # VAT-inclusive
    vat_fen = pw.BigIntegerField()
    paid_fen = pw.BigIntegerField(default=0)
    refunded_fen = pw.BigIntegerField(default=0)
    refunded_vat_fen = pw.BigIntegerField(default=0)
    placed_by = pw.IntegerField(null=True)  # user id of the caller (staff, customer, distributor)
    created_at = pw.DateTimeField(default=clock.now, index=True)  # a day's orders: clock.day_bounds
    paid_at = pw.DateTimeField(null=True)
    shipped_at = pw.DateTimeField(null=True)
    closed_at = pw.DateTimeField(null=True)  # cancelled, refunded or completed
    # Points and coupons taken off at checkout (store/checkout.py); total_fen is after it.
    discount_fen = pw.BigIntegerField(default=0)
    # Not a column: on an order created in this request, the lines its insert returned (so the
    # response needs no second read); None on an order read from the database.
    written_lines: list[OrderLine] | None = None

    class Meta:
        table_name = "sales_order"  # "order" is reserved in SQL
        constraints = [
            pw.Check("total_fen >= 0"),
            pw.Check("vat_fen >= 0 AND vat_fen <= total_fen"),
            pw.Check("paid_fen >= 0"),
            pw.Check("refunded_fen >= 0 AND refunded_fen <= paid_fen"),
            pw.Check("channel IN ('miniprogram', 'distributor', 'counter')"),
        ]


class OrderLine(BaseModel):
    order = pw.ForeignKeyField(Order, backref="lines", on_delete="CASCADE")
    sku = pw.ForeignKeyField(Sku, on_delete="RESTRICT")
    quantity = pw.IntegerField()
    unit_price_fen = pw.BigIntegerField()  # snapshot at order time, VAT-inclusive
    vat_rate_bp = pw.IntegerField()  # snapshot
    total_fen = pw.BigIntegerField()
    net_fen = pw.BigIntegerField()
    vat_fen = pw.BigIntegerField()
    cost_fen = pw.BigIntegerField(null=True)  # moving-average cost at issue; a return uses it back
    # This line's share of the order's discount: total_fen = unit_price_fen x quantity - discount_fen,
    # so revenue and VAT are booked on what the customer actually pays.
    discount_fen = pw.BigIntegerField(default=0)
    # Units (and their cost) that came back to stock after shipping: a goods return, or a full refund.
    returned_quantity = pw.IntegerField(default=0)
    returned_cost_fen = pw.BigIntegerField(default=0)
    # Which pricing rule gave unit_price_fen (store.pricing.RULES) and the price list, if one did.
    price_rule = pw.CharField(max_length=20, null=True)
    price_list_id = pw.IntegerField(null=True)

    class Meta:
        constraints = [
            pw.Check("quantity > 0"),
            pw.Check("unit_price_fen >= 0"),
            pw.Check("net_fen + vat_fen = total_fen"),
        ]
