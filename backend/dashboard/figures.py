"""A run of business days' figures summed from the journal itself: the source of truth, read for the
open day, for days not rolled up yet, by the roll-up, and by `yecai check` against the roll-up.

Each voucher is classified once: its business day (`posted_on`), the order it is about (channel,
customer), and the account its money went to (the payment method; on account for 1122). Revenue is
what 5001 moved, VAT what 2221 moved, cost of goods what 5401 moved, so the figures are exactly what
the books say, refunds and cancellations included.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from typing import Any, NamedTuple

from backend.db import db
from backend.ledger import chart

# The account a voucher's money went through, as the payment method the owner knows it by.
METHOD_OF_ACCOUNT = {
    chart.CASH: "cash",
    chart.BANK: "bank_transfer",
    chart.WECHAT_CLEARING: "wechat",
    chart.PREPAYMENTS: "stored_value",
    chart.RECEIVABLES: "on_account",
}
SALE_EVENTS = ("order.paid", "order.on_account")
CANCEL_EVENT = "order.cancelled"


def _quoted(values: Iterable[str]) -> str:
    return ", ".join(f"'{v}'" for v in values)  # constants of this module, never user input


# One row per voucher touching revenue, VAT or cost of goods, with its day, event, order and money
# account, from one pass over its lines. {p} is the database's parameter placeholder.
_FIGURE_ACCOUNTS = (chart.REVENUE, chart.OUTPUT_VAT, chart.COGS)
_VOUCHERS = f"""
SELECT e.posted_on AS day, e.event AS event, e.source_type AS source_type, e.source_id AS source_id,
  MIN(CASE WHEN l.account_code IN ({_quoted(METHOD_OF_ACCOUNT)}) THEN l.account_code END) AS money,
  SUM(CASE WHEN l.account_code = '{chart.REVENUE}' THEN l.credit_fen - l.debit_fen ELSE 0 END) AS revenue,
  SUM(CASE WHEN l.account_code = '{chart.OUTPUT_VAT}' THEN l.credit_fen - l.debit_fen ELSE 0 END) AS vat,
  SUM(CASE WHEN l.account_code = '{chart.COGS}' THEN l.debit_fen - l.credit_fen ELSE 0 END) AS cogs
FROM journal_entry e
JOIN journal_line l ON l.entry_id = e.id
WHERE e.posted_on >= {{p}} AND e.posted_on <= {{p}}
GROUP BY e.id, e.posted_on, e.event, e.source_type, e.source_id
HAVING SUM(CASE WHEN l.account_code IN ({_quoted(_FIGURE_ACCOUNTS)}) THEN 1 ELSE 0 END) > 0
"""
_ORDERS = (
    f"SUM(CASE WHEN v.event IN ({_quoted(SALE_EVENTS)}) THEN 1 "
    f"WHEN v.event = '{CANCEL_EVENT}' THEN -1 ELSE 0 END)"
)
_BY_CHANNEL_AND_METHOD = f"""
SELECT v.day, COALESCE(o.channel, ''), COALESCE(v.money, ''),
  SUM(v.revenue), SUM(v.vat), SUM(v.cogs), {_ORDERS}
FROM ({_VOUCHERS}) v
LEFT JOIN sales_order o ON v.source_type = 'order' AND o.id = v.source_id
GROUP BY v.day, COALESCE(o.channel, ''), COALESCE(v.money, '')
"""
_BY_CUSTOMER = f"""
SELECT v.day, o.customer_id, SUM(v.revenue), SUM(v.vat), {_ORDERS}
FROM ({_VOUCHERS}) v
JOIN sales_order o ON v.source_type = 'order' AND o.id = v.source_id
GROUP BY v.day, o.customer_id
"""
# What left the shop: the lines of the orders booked (paid or on account) that day, less the lines
# of on-account orders cancelled that day.
_BY_SKU = f"""
SELECT e.posted_on, ol.sku_id,
  SUM(CASE WHEN e.event = '{CANCEL_EVENT}' THEN -ol.quantity ELSE ol.quantity END),
  SUM(CASE WHEN e.event = '{CANCEL_EVENT}' THEN -ol.total_fen ELSE ol.total_fen END)
FROM journal_entry e
JOIN order_line ol ON ol.order_id = e.source_id
WHERE e.posted_on >= {{p}} AND e.posted_on <= {{p}} AND e.source_type = 'order'
  AND e.event IN ({_quoted((*SALE_EVENTS, CANCEL_EVENT))})
GROUP BY e.posted_on, ol.sku_id
"""


class SalesRow(NamedTuple):
    day: dt.date
    channel: str
    method: str
    revenue_fen: int
    vat_fen: int
    cogs_fen: int
    orders: int


class CustomerRow(NamedTuple):
    day: dt.date
    customer_id: int
    revenue_fen: int
    vat_fen: int
    orders: int


class ProductRow(NamedTuple):
    day: dt.date
    sku_id: int
    quantity: int
    sales_fen: int


def as_date(value: Any) -> dt.date:
    """A DATE column as read: a date on PostgreSQL, ISO text on SQLite."""
    return value if isinstance(value, dt.date) else dt.date.fromisoformat(str(value)[:10])


def _rows(sql: str, first: dt.date, last: dt.date) -> list[tuple[Any, ...]]:
    cursor = db.execute_sql(sql.replace("{p}", db.param), (first, last))
    return list(cursor.fetchall())


def sales(first: dt.date, last: dt.date) -> list[SalesRow]:
    """Per day, channel and payment method, from the journal (days with nothing moved are absent)."""
    return [
        SalesRow(as_date(d), ch, METHOD_OF_ACCOUNT.get(m, m), int(r), int(v), int(c), int(n))
        for d, ch, m, r, v, c, n in _rows(_BY_CHANNEL_AND_METHOD, first, last)
    ]


def customers(first: dt.date, last: dt.date) -> list[CustomerRow]:
    return [
        CustomerRow(as_date(d), int(c), int(r), int(v), int(n))
        for d, c, r, v, n in _rows(_BY_CUSTOMER, first, last)
    ]


def products(first: dt.date, last: dt.date) -> list[ProductRow]:
    return [ProductRow(as_date(d), int(s), int(q), int(f)) for d, s, q, f in _rows(_BY_SKU, first, last)]
