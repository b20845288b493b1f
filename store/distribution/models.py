"""Customer grades, price lists and their quantity breaks, SKU trade terms, favourites.

A price list targets exactly one of: a customer (`scope = customer`), a customer grade (`grade`) or a
sales channel (`channel`). It is valid from `valid_from` (inclusive) to `valid_to` (exclusive), either
open; among lists of one target valid at the same time, `priority` decides, and two lists of one
target with overlapping validity and equal priority are refused at save (store.distribution.price_lists).
Each item is a quantity break: from `min_quantity` units on, the unit price is `price_fen`
(VAT-inclusive fen). Lists are edited in place (they are prices, not a ledger); every change is audited.
"""

from __future__ import annotations

import peewee as pw

from backend import clock
from backend.db import BaseModel
from backend.kernel.models import Customer, Sku

PRICE_LIST_SCOPES = ("customer", "grade", "channel")


class CustomerGrade(BaseModel):
    """A tier of distributors (一级经销商, 二级 ...) sharing a price list."""

    name = pw.CharField(max_length=32, unique=True)
    created_at = pw.DateTimeField(default=clock.now)

    class Meta:
        table_name = "customer_grade"


class CustomerGradeMember(BaseModel):
    customer = pw.ForeignKeyField(Customer, unique=True, on_delete="CASCADE")
    grade = pw.ForeignKeyField(CustomerGrade, on_delete="RESTRICT", index=True)

    class Meta:
        table_name = "customer_grade_member"


class PriceList(BaseModel):
    name = pw.CharField(max_length=64)
    scope = pw.CharField(max_length=8)
    customer = pw.ForeignKeyField(Customer, null=True, on_delete="RESTRICT", index=True)
    grade = pw.ForeignKeyField(CustomerGrade, null=True, on_delete="RESTRICT", index=True)
    channel = pw.CharField(max_length=16, null=True, index=True)
    priority = pw.IntegerField(default=0)  # higher wins among lists of one target valid together
    valid_from = pw.DateTimeField(null=True)  # UTC, inclusive; null = always
    valid_to = pw.DateTimeField(null=True)  # UTC, exclusive; null = open-ended
    active = pw.BooleanField(default=True)
    created_at = pw.DateTimeField(default=clock.now)

    class Meta:
        table_name = "price_list"
        constraints = [
            pw.Check(
                "(scope = 'customer' AND customer_id IS NOT NULL AND grade_id IS NULL AND channel IS NULL)"
                " OR (scope = 'grade' AND grade_id IS NOT NULL AND customer_id IS NULL AND channel IS NULL)"
                " OR (scope = 'channel' AND channel IS NOT NULL AND customer_id IS NULL AND grade_id IS NULL)"
            ),
            pw.Check("valid_to IS NULL OR valid_from IS NULL OR valid_to > valid_from"),
        ]


class PriceListItem(BaseModel):
    price_list = pw.ForeignKeyField(PriceList, backref="items", on_delete="CASCADE")
    sku = pw.ForeignKeyField(Sku, on_delete="RESTRICT")
    min_quantity = pw.IntegerField(default=1)
    price_fen = pw.BigIntegerField()  # VAT-inclusive, per unit

    class Meta:
        table_name = "price_list_item"
        indexes = (
            (("price_list", "sku", "min_quantity"), True),
            (("sku", "price_list"), False),  # pricing reads a cart's SKUs across the lists
        )
        constraints = [pw.Check("min_quantity >= 1"), pw.Check("price_fen >= 0")]


class SkuTradeTerms(BaseModel):
    """How a distributor may order a SKU: at least `min_order_quantity`, in whole cases of `case_size`."""

    sku = pw.ForeignKeyField(Sku, unique=True, on_delete="CASCADE")
    case_size = pw.IntegerField(default=1)  # 整箱: quantities must be a multiple of this
    min_order_quantity = pw.IntegerField(default=1)

    class Meta:
        table_name = "sku_trade_terms"
        constraints = [pw.Check("case_size >= 1"), pw.Check("min_order_quantity >= 1")]


class Favourite(BaseModel):
    customer = pw.ForeignKeyField(Customer, on_delete="CASCADE")
    sku = pw.ForeignKeyField(Sku, on_delete="CASCADE")
    created_at = pw.DateTimeField(default=clock.now)

    class Meta:
        table_name = "favourite"
        indexes = ((("customer", "sku"), True),)


class Campaign(BaseModel):
    """A promotion to chosen grades: a price list per grade (valid for the campaign's window), limited
    stock per SKU, a policy document, and a subscribe message pushed to every distributor reached."""

    name = pw.CharField(max_length=64)
    policy = pw.TextField(default="")  # the policy document (活动政策), shown with the campaign
    valid_from = pw.DateTimeField(null=True)
    valid_to = pw.DateTimeField(null=True)
    created_at = pw.DateTimeField(default=clock.now)

    class Meta:
        table_name = "campaign"


class CampaignGrade(BaseModel):
    campaign = pw.ForeignKeyField(Campaign, backref="grades", on_delete="CASCADE")
    grade = pw.ForeignKeyField(CustomerGrade, on_delete="RESTRICT")
    price_list = pw.ForeignKeyField(PriceList, unique=True, on_delete="RESTRICT")

    class Meta:
        table_name = "campaign_grade"
        indexes = ((("campaign", "grade"), True),)


class CampaignStock(BaseModel):
    """Units of a SKU sold at the campaign's price: `taken` (a cache of CampaignTake) never passes
    `quota`, decided by a conditional UPDATE so the last units go to exactly one buyer."""

    campaign = pw.ForeignKeyField(Campaign, backref="stock", on_delete="CASCADE")
    sku = pw.ForeignKeyField(Sku, on_delete="RESTRICT")
    quota = pw.IntegerField()
    taken = pw.IntegerField(default=0)

    class Meta:
        table_name = "campaign_stock"
        indexes = ((("campaign", "sku"), True),)
        constraints = [pw.Check("quota >= 0"), pw.Check("taken >= 0 AND taken <= quota")]


class CampaignTake(BaseModel):
    """Append-only: units of campaign stock an order took (negative: given back when it was cancelled)."""

    stock = pw.ForeignKeyField(CampaignStock, on_delete="CASCADE")
    order_id = pw.IntegerField(index=True)
    quantity = pw.IntegerField()
    created_at = pw.DateTimeField(default=clock.now)

    class Meta:
        table_name = "campaign_take"
        constraints = [pw.Check("quantity <> 0")]


class CampaignRecipient(BaseModel):
    """Who the campaign reached: queued, then sent | no_grant (they hold no subscription for the
    template) | no_wechat; `opened_at` when they opened the campaign page."""

    campaign = pw.ForeignKeyField(Campaign, backref="recipients", on_delete="CASCADE")
    customer = pw.ForeignKeyField(Customer, on_delete="CASCADE")
    status = pw.CharField(max_length=12, default="queued")
    sent_at = pw.DateTimeField(null=True)
    opened_at = pw.DateTimeField(null=True)

    class Meta:
        table_name = "campaign_recipient"
        indexes = ((("campaign", "customer"), True),)


REBATE_SCOPES = ("customer", "grade")


class RebateRule(BaseModel):
    """返利: what a distributor (`scope = customer`) or every distributor of a grade earns back on their
    sales of a calendar month (merchant days), by tiers (`RebateTier`). A customer's own active rule
    wins over their grade's; among several, the newest. Rules are switched off, never edited."""

    name = pw.CharField(max_length=64)
    scope = pw.CharField(max_length=8)
    customer = pw.ForeignKeyField(Customer, null=True, on_delete="RESTRICT", index=True)
    grade = pw.ForeignKeyField(CustomerGrade, null=True, on_delete="RESTRICT", index=True)
    active = pw.BooleanField(default=True)
    created_by = pw.IntegerField(null=True)
    created_at = pw.DateTimeField(default=clock.now)

    class Meta:
        table_name = "rebate_rule"
        constraints = [
            pw.Check(
                "(scope = 'customer' AND customer_id IS NOT NULL AND grade_id IS NULL)"
                " OR (scope = 'grade' AND grade_id IS NOT NULL AND customer_id IS NULL)"
            )
        ]


class RebateTier(BaseModel):
    """From `min_sales_fen` of the month's sales on, the rebate is `percent_bp` of those sales (basis
    points, rounded half up) or a `fixed_fen` amount: exactly one of them. The highest tier reached wins."""

    rule = pw.ForeignKeyField(RebateRule, backref="tiers", on_delete="CASCADE")
    min_sales_fen = pw.BigIntegerField()
    percent_bp = pw.IntegerField(null=True)
    fixed_fen = pw.BigIntegerField(null=True)

    class Meta:
        table_name = "rebate_tier"
        indexes = ((("rule", "min_sales_fen"), True),)
        constraints = [
            pw.Check("min_sales_fen >= 0"),
            pw.Check(
                "(percent_bp IS NOT NULL AND fixed_fen IS NULL AND percent_bp > 0 AND percent_bp <= 10000)"
                " OR (fixed_fen IS NOT NULL AND percent_bp IS NULL AND fixed_fen > 0)"
            ),
        ]


class RebateRun(BaseModel):
    """One month's rebates worked out (at most once: the period is unique)."""

    period = pw.CharField(max_length=7, unique=True)  # "2026-11", a month of merchant days
    accrued_count = pw.IntegerField(default=0)
    accrued_fen = pw.BigIntegerField(default=0)
    run_by = pw.IntegerField(null=True)  # null: the periodic job
    created_at = pw.DateTimeField(default=clock.now)

    class Meta:
        table_name = "rebate_run"


class RebateAccrual(BaseModel):
    """What one distributor earned for one month, credited to their account (unique per month)."""

    run = pw.ForeignKeyField(RebateRun, backref="accruals", on_delete="RESTRICT")
    period = pw.CharField(max_length=7)
    customer = pw.ForeignKeyField(Customer, on_delete="RESTRICT")
    rule = pw.ForeignKeyField(RebateRule, on_delete="RESTRICT")
    sales_fen = pw.BigIntegerField()
    tier_min_sales_fen = pw.BigIntegerField()
    amount_fen = pw.BigIntegerField()
    vat_fen = pw.BigIntegerField()
    created_at = pw.DateTimeField(default=clock.now)

    class Meta:
        table_name = "rebate_accrual"
        indexes = ((("customer", "period"), True),)
        constraints = [pw.Check("amount_fen > 0")]
