"""Per-day roll-ups of the journal, written once a business day is over and never changed.

A journal entry is dated when it is posted (`posted_on`, the merchant's business day) and never
edited, so a day's figures are final once the day has ended: they are summed once, here, instead of
on every dashboard read. Nothing in the path of a sale writes these rows (no hot counter row for
every sale to queue on); `yecai check` proves each rolled-up day equals its journal entries.
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

    class Meta:
        table_name = "dashboard_day_customer"
        # The second index holds every column a range's top list sums: read from the index alone.
        indexes = (
            (("day", "customer_id"), True),
            (("day", "customer_id", "revenue_fen", "vat_fen", "orders"), False),
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
