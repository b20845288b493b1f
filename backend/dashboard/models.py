"""Per-day and per-month roll-ups of the journal, written once a business day (a month) is over and
never changed.

A journal entry is dated when it is posted (`posted_on`, the merchant's business day) and never
edited, so a day's figures are final once the day has ended: they are summed once, here, instead of
on every dashboard read. Nothing in the path of a sale writes these rows (no hot counter row for
every sale to queue on); `yecai check` proves each rolled-up day equals its journal entries and each
rolled-up month the sum of its days.

A month's rows are what a long range reads: a year is twelve months' rows plus the days at its ends,
instead of 365 days' rows. Customers are ranked within each day and month (1 = bought the most) so a
top list reads the leaders of each period and proves nobody else can beat them (see
`backend/dashboard/services.top_customers`).
"""

from __future__ import annotations

import peewee as pw

from backend import clock
from backend.db import BaseModel


class RolledDay(BaseModel):
    """A business day whose figures are in the tables below (a day without sales has no rows there)."""

    day = pw.DateField(unique=True)
    rolled_at = pw.DateTimeField(default=clock.now)

    class Meta:
        table_name = "dashboard_day"


class DaySales(BaseModel):
    """A day's sales by channel and by the account the money went to (`method`: cash, wechat,
    bank_transfer, stored_value, on_account; '' for cost-of-goods vouchers, which move no money)."""

    day = pw.DateField()
    channel = pw.CharField(max_length=16)  # '' for a voucher of no order
    method = pw.CharField(max_length=16)
    revenue_fen = pw.BigIntegerField()  # 5001, net of VAT, after refunds and cancellations
    vat_fen = pw.BigIntegerField()  # 2221 output VAT
    cogs_fen = pw.BigIntegerField()  # 5401
    orders = pw.IntegerField()  # sale vouchers (paid or on account) less cancellations

    class Meta:
        table_name = "dashboard_day_sales"
        indexes = ((("day", "channel", "method"), True),)


class DayCustomer(BaseModel):
    day = pw.DateField()
    customer_id = pw.IntegerField()
    revenue_fen = pw.BigIntegerField()
    vat_fen = pw.BigIntegerField()
    orders = pw.IntegerField()
    # 1 for the day's biggest buyer (sales VAT included, then the smaller customer id), 2 next, ...
    rank = pw.IntegerField(null=True)

    class Meta:
        table_name = "dashboard_day_customer"
        # The second index holds every column a range's top list sums: read from the index alone.
        indexes = (
            (("day", "customer_id"), True),
            (("day", "customer_id", "revenue_fen", "vat_fen", "orders"), False),
            (("day", "rank"), False),
        )


class DayProduct(BaseModel):
    """What left the shop per SKU, from the lines of the orders booked that day (less cancellations)."""

    day = pw.DateField()
    sku_id = pw.IntegerField()
    quantity = pw.BigIntegerField()
    sales_fen = pw.BigIntegerField()  # VAT-inclusive line totals

    class Meta:
        table_name = "dashboard_day_product"
        indexes = ((("day", "sku_id"), True), (("day", "sku_id", "quantity", "sales_fen"), False))


class RolledMonth(BaseModel):
    """A calendar month (its first day) whose every rolled-up day is summed into the month tables."""

    month = pw.DateField(unique=True)
    rolled_at = pw.DateTimeField(default=clock.now)

    class Meta:
        table_name = "dashboard_month"


class MonthSales(BaseModel):
    month = pw.DateField()
    channel = pw.CharField(max_length=16)
    method = pw.CharField(max_length=16)
    revenue_fen = pw.BigIntegerField()
    vat_fen = pw.BigIntegerField()
    cogs_fen = pw.BigIntegerField()
    orders = pw.IntegerField()

    class Meta:
        table_name = "dashboard_month_sales"
        indexes = ((("month", "channel", "method"), True),)


class MonthCustomer(BaseModel):
    month = pw.DateField()
    customer_id = pw.IntegerField()
    revenue_fen = pw.BigIntegerField()
    vat_fen = pw.BigIntegerField()
    orders = pw.IntegerField()
    rank = pw.IntegerField()  # as DayCustomer.rank, within the month

    class Meta:
        table_name = "dashboard_month_customer"
        indexes = (
            (("month", "customer_id"), True),
            (("month", "customer_id", "revenue_fen", "vat_fen", "orders"), False),
            (("month", "rank"), False),
        )


class MonthProduct(BaseModel):
    month = pw.DateField()
    sku_id = pw.IntegerField()
    quantity = pw.BigIntegerField()
    sales_fen = pw.BigIntegerField()

    class Meta:
        table_name = "dashboard_month_product"
        indexes = ((("month", "sku_id"), True),)
