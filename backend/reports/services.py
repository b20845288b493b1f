"""What the owner reads on the phone: the day's sales and margin, receivables aging, stock alerts.

Figures come from the ledgers themselves (journal lines, open invoices, stock levels), never from
separately kept counters, so a report cannot disagree with `yecai check`.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

import peewee as pw

from backend import clock
from backend.inventory.models import StockLevel
from backend.kernel.models import Customer, Order, Sku
from backend.ledger import chart
from backend.ledger.models import JournalEntry, JournalLine
from backend.ledger.services import tuples
from backend.receivables.models import Invoice

# Aging buckets by days past due: (label, first day, last day or None for "and older").
AGING_BUCKETS: tuple[tuple[str, int, int | None], ...] = (
    ("current", -36500, 0),
    ("1_30", 1, 30),
    ("31_60", 31, 60),
    ("61_90", 61, 90),
    ("over_90", 91, None),
)


@dataclass(frozen=True)
class DaySales:
    day: dt.date
    orders: int
    revenue_fen: int  # net of VAT, after refunds
    output_vat_fen: int
    cogs_fen: int

    @property
    def gross_margin_fen(self) -> int:
        return self.revenue_fen - self.cogs_fen


def _movements(start: dt.datetime, end: dt.datetime, codes: tuple[str, ...]) -> dict[str, int]:
    """Debits minus credits per account over the vouchers written in [start, end) (naive UTC)."""
    query = (
        JournalLine.select(
            JournalLine.account_code, pw.fn.SUM(JournalLine.debit_fen - JournalLine.credit_fen)
        )
        .join(JournalEntry)
        .where(
            (JournalEntry.created_at >= start)
            & (JournalEntry.created_at < end)
            & JournalLine.account_code.in_(codes)
        )
        .group_by(JournalLine.account_code)
    )
    return {code: int(total or 0) for code, total in tuples(query)}


def day_sales(day: dt.date | None = None) -> DaySales:
    """The merchant's business day: orders placed and vouchers written between its UTC bounds."""
    day = day or clock.today()
    start, end = clock.day_bounds(day)
    orders = (
        Order.select()
        .where(
            (Order.created_at >= start)
            & (Order.created_at < end)
            & Order.status.not_in(("pending_payment", "cancelled"))
        )
        .count()
    )
    moved = _movements(start, end, (chart.REVENUE, chart.OUTPUT_VAT, chart.COGS))
    return DaySales(
        day=day,
        orders=orders,
        revenue_fen=-moved.get(chart.REVENUE, 0),  # credit-side accounts grow by credits
        output_vat_fen=-moved.get(chart.OUTPUT_VAT, 0),
        cogs_fen=moved.get(chart.COGS, 0),
    )


@dataclass(frozen=True)
class CustomerAging:
    customer_id: int
    name: str
    open_fen: int
    buckets: dict[str, int]
    oldest_due_on: dt.date | None

    @property
    def overdue_fen(self) -> int:
        return self.open_fen - self.buckets["current"]


def _bucket(days_overdue: int) -> str:
    for label, first, last in AGING_BUCKETS:
        if days_overdue >= first and (last is None or days_overdue <= last):
            return label
    raise ValueError(days_overdue)  # unreachable: the buckets cover every integer


def receivables_aging(as_of: dt.date | None = None) -> list[CustomerAging]:
    """Open invoices per customer, bucketed by days past due; most overdue customers first."""
    as_of = as_of or clock.today()
    rows: dict[int, CustomerAging] = {}
    query = (
        Invoice.select(Invoice, Customer.id, Customer.name)
        .join(Customer)
        .where(Invoice.open_fen > 0)
        .order_by(Invoice.customer, Invoice.due_on)
    )
    for invoice in query:
        current = rows.get(invoice.customer_id)
        if current is None:
            current = CustomerAging(
                invoice.customer_id, invoice.customer.name, 0, {b[0]: 0 for b in AGING_BUCKETS}, None
            )
        buckets = dict(current.buckets)
        buckets[_bucket((as_of - invoice.due_on).days)] += invoice.open_fen
        rows[invoice.customer_id] = CustomerAging(
            current.customer_id,
            current.name,
            current.open_fen + invoice.open_fen,
            buckets,
            current.oldest_due_on or invoice.due_on,
        )
    return sorted(rows.values(), key=lambda r: (-r.overdue_fen, -r.open_fen, r.customer_id))


@dataclass(frozen=True)
class StockAlert:
    sku_id: int
    sku_name: str
    warehouse_id: int
    on_hand: int
    reserved: int

    @property
    def available(self) -> int:
        return self.on_hand - self.reserved


def stock_alerts(below: int) -> list[StockAlert]:
    """Active SKUs whose available quantity is under `below`, scarcest first."""
    query = (
        StockLevel.select(StockLevel, Sku.id, Sku.name)
        .join(Sku, on=(StockLevel.sku == Sku.id))
        .where((Sku.active == True) & ((StockLevel.on_hand - StockLevel.reserved) < below))  # noqa: E712
        .order_by((StockLevel.on_hand - StockLevel.reserved), StockLevel.sku)
    )
    return [
        StockAlert(level.sku_id, level.sku.name, level.warehouse_id, level.on_hand, level.reserved)
        for level in query
    ]
