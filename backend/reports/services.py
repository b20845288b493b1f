"""What the owner reads on the phone: the day's sales and margin, stock alerts (receivables aging as
of any day: `backend.receivables.aging`).

Figures come from the ledgers themselves (journal lines, open invoices, stock levels), never from
separately kept counters, so a report cannot disagree with `yecai check`.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

import peewee as pw

from backend import clock
from backend.inventory.models import StockLevel
from backend.kernel.models import Order, Sku
from backend.ledger import chart
from backend.ledger.models import JournalEntry, JournalLine
from backend.ledger.services import tuples


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
            & Order.status.not_in(("pending_payment", "awaiting_approval", "cancelled"))
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
