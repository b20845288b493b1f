"""What the owner's dashboard reads. Every figure is summed in SQL: closed days from the per-day
roll-ups, the open day (and any day not rolled up yet) from the journal itself.

Money is fen. `sales_fen` is what customers paid for the goods (VAT included), `revenue_fen` the
revenue booked net of VAT, `margin_fen` revenue less cost of goods sold; all after refunds and
cancellations, on the business day the voucher was posted, in the merchant's time zone.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field

import peewee as pw

from backend import clock
from backend.dashboard import figures, rollup
from backend.dashboard.errors import MAX_RANGE_DAYS, InvalidRange
from backend.dashboard.models import DayCustomer, DayProduct, DaySales
from backend.db import db
from backend.kernel.models import Customer, Product, Sku
from backend.ledger.services import tuples
from backend.receivables.models import Invoice
from backend.reports.services import AGING_BUCKETS
from payments.models import ReconciliationReport

CHANNELS = ("counter", "miniprogram", "distributor")
METHODS = ("cash", "wechat", "stored_value", "bank_transfer", "on_account")
ONE_DAY = dt.timedelta(days=1)


@dataclass
class Figures:
    revenue_fen: int = 0
    vat_fen: int = 0
    cogs_fen: int = 0
    orders: int = 0

    @property
    def sales_fen(self) -> int:
        return self.revenue_fen + self.vat_fen

    @property
    def margin_fen(self) -> int:
        return self.revenue_fen - self.cogs_fen

    def add(self, revenue: int, vat: int, cogs: int, orders: int) -> None:
        self.revenue_fen += revenue
        self.vat_fen += vat
        self.cogs_fen += cogs
        self.orders += orders


@dataclass
class DayFigures(Figures):
    day: dt.date = dt.date.min


@dataclass
class SplitFigures(Figures):
    key: str = ""


@dataclass
class RangeReport:
    first: dt.date
    last: dt.date
    total: Figures
    days: list[DayFigures]
    by_channel: list[SplitFigures]
    by_method: list[SplitFigures]


def check_range(
    first: dt.date | None, last: dt.date | None, default_days: int = 30
) -> tuple[dt.date, dt.date]:
    """The range asked for, defaulting to the last `default_days` business days up to today."""
    last = last or clock.today()
    first = first or last - dt.timedelta(days=default_days - 1)
    if first > last or (last - first).days + 1 > MAX_RANGE_DAYS:
        raise InvalidRange(details={"from": first.isoformat(), "to": last.isoformat()})
    return first, last


def _summed(first: dt.date, last: dt.date, key: str) -> list[tuple[object, int, int, int, int]]:
    """The roll-up's figures over [first, last] summed by one of its columns (day, channel, method)."""
    table = DaySales._meta.table_name
    sql = (
        f"SELECT {key}, SUM(revenue_fen), SUM(vat_fen), SUM(cogs_fen), SUM(orders) FROM {table}"
        f" WHERE day >= {db.param} AND day <= {db.param} GROUP BY {key}"
    )
    return [(k, int(r), int(v), int(c), int(n)) for k, r, v, c, n in db.execute_sql(sql, (first, last))]


def _days(first: dt.date, last: dt.date) -> list[dt.date]:
    return [first + dt.timedelta(days=n) for n in range((last - first).days + 1)]


def sales_range(first: dt.date, last: dt.date) -> RangeReport:
    """Sales, margin and orders per business day of [first, last], in total, by channel, by method.

    Summed in SQL per day, per channel and per method over the roll-up; the days not rolled up yet
    (today) are added from the journal.
    """
    days = {d: DayFigures(day=d) for d in _days(first, last)}
    total = Figures()
    channels = {c: SplitFigures(key=c) for c in CHANNELS}
    methods = {m: SplitFigures(key=m) for m in METHODS}
    for day, *amounts in _summed(first, last, "day"):
        days[figures.as_date(day)].add(*amounts)
        total.add(*amounts)
    for channel, *amounts in _summed(first, last, "channel"):
        channels.setdefault(str(channel), SplitFigures(key=str(channel))).add(*amounts)
    for method, *amounts in _summed(first, last, "method"):
        if method:  # cost-of-goods vouchers move no money
            methods.setdefault(str(method), SplitFigures(key=str(method))).add(*amounts)
    rolled, span = rollup.unrolled_span(first, last)
    for row in rollup.from_journal(figures.sales, rolled, span):
        amounts = [row.revenue_fen, row.vat_fen, row.cogs_fen, row.orders]
        days[row.day].add(*amounts)
        total.add(*amounts)
        channels.setdefault(row.channel, SplitFigures(key=row.channel)).add(*amounts)
        if row.method:
            methods.setdefault(row.method, SplitFigures(key=row.method)).add(*amounts)
    return RangeReport(
        first, last, total, list(days.values()), list(channels.values()), list(methods.values())
    )


@dataclass
class TodayReport:
    today: DayFigures
    yesterday: DayFigures
    same_day_last_week: DayFigures


def today_against(day: dt.date | None = None) -> TodayReport:
    """A business day (default today) against the day before and the same weekday a week earlier."""
    day = day or clock.today()
    week_ago = day - dt.timedelta(days=7)
    report = sales_range(week_ago, day)
    by_day = {d.day: d for d in report.days}
    return TodayReport(by_day[day], by_day[day - ONE_DAY], by_day[week_ago])


@dataclass(frozen=True)
class TopProduct:
    sku_id: int
    sku_name: str
    product_name: str
    quantity: int
    sales_fen: int


@dataclass(frozen=True)
class TopCustomer:
    customer_id: int
    name: str
    kind: str
    sales_fen: int
    orders: int


def top_products(first: dt.date, last: dt.date, limit: int) -> list[TopProduct]:
    """SKUs by what they sold (VAT included) over [first, last]; ties by SKU id."""
    rolled, span = rollup.unrolled_span(first, last)
    totals: dict[int, list[int]] = {}
    stored = (
        DayProduct.select(DayProduct.sku_id, pw.fn.SUM(DayProduct.quantity), pw.fn.SUM(DayProduct.sales_fen))
        .where(DayProduct.day.between(first, last))
        .group_by(DayProduct.sku_id)
    )
    live = [(r.sku_id, r.quantity, r.sales_fen) for r in rollup.from_journal(figures.products, rolled, span)]
    for sku_id, quantity, sales in [*tuples(stored), *live]:
        entry = totals.setdefault(int(sku_id), [0, 0])
        entry[0] += int(quantity)
        entry[1] += int(sales)
    ranked = sorted(totals.items(), key=lambda kv: (-kv[1][1], kv[0]))[:limit]
    names = {
        sku_id: (sku_name, product_name)
        for sku_id, sku_name, product_name in tuples(
            Sku.select(Sku.id, Sku.name, Product.name)
            .join(Product)
            .where(Sku.id.in_([sku_id for sku_id, _ in ranked] or [0]))
        )
    }
    return [TopProduct(s, *names.get(s, ("", "")), q, f) for s, (q, f) in ranked]


def top_customers(first: dt.date, last: dt.date, limit: int) -> list[TopCustomer]:
    """Customers by what they bought (VAT included) over [first, last]; ties by customer id.

    The roll-up's own top `limit` plus everyone who bought on a day not rolled up are the only
    candidates (nobody else's total can beat the roll-up's `limit`th), so this reads a handful of
    rows however many customers the shop has.
    """
    rolled, span = rollup.unrolled_span(first, last)
    live: dict[int, list[int]] = {}
    for row in rollup.from_journal(figures.customers, rolled, span):
        entry = live.setdefault(row.customer_id, [0, 0])
        entry[0] += row.revenue_fen + row.vat_fen
        entry[1] += row.orders
    sales = pw.fn.SUM(DayCustomer.revenue_fen + DayCustomer.vat_fen)
    stored_query = (
        DayCustomer.select(DayCustomer.customer_id, sales, pw.fn.SUM(DayCustomer.orders))
        .where(DayCustomer.day.between(first, last))
        .group_by(DayCustomer.customer_id)
    )
    stored = tuples(stored_query.order_by(sales.desc(), DayCustomer.customer_id).limit(limit))
    others = [c for c in live if c not in {int(s[0]) for s in stored}]
    if others:
        stored += tuples(stored_query.where(DayCustomer.customer_id.in_(others)))
    totals = {int(c): [int(f), int(n)] for c, f, n in stored}
    for customer_id, (f, n) in live.items():
        entry = totals.setdefault(customer_id, [0, 0])
        entry[0] += f
        entry[1] += n
    ranked = sorted(totals.items(), key=lambda kv: (-kv[1][0], kv[0]))[:limit]
    people = {
        c.id: c
        for c in Customer.select(Customer.id, Customer.name, Customer.kind).where(
            Customer.id.in_([c for c, _ in ranked] or [0])
        )
    }
    return [
        TopCustomer(c, people[c].name if c in people else "", people[c].kind if c in people else "", f, n)
        for c, (f, n) in ranked
    ]


@dataclass(frozen=True)
class OverdueCustomer:
    customer_id: int
    name: str
    phone: str | None
    overdue_fen: int
    open_fen: int
    oldest_due_on: dt.date


@dataclass
class ReceivablesReport:
    as_of: dt.date
    total_open_fen: int = 0
    total_overdue_fen: int = 0
    open_invoices: int = 0
    buckets: dict[str, int] = field(default_factory=dict)
    overdue: list[OverdueCustomer] = field(default_factory=list)


def _bucket_case(as_of: dt.date) -> pw.Node:
    """The aging bucket of an invoice's due date, in SQL (dates computed here, so any database)."""
    whens = []
    for label, _first, last in AGING_BUCKETS:
        if last is None:
            continue
        whens.append((Invoice.due_on >= as_of - dt.timedelta(days=last), label))
    return pw.Case(None, whens, AGING_BUCKETS[-1][0])


def receivables(as_of: dt.date | None = None, limit: int = 20) -> ReceivablesReport:
    """Open receivables in aging buckets by days past due, and the customers most overdue."""
    as_of = as_of or clock.today()
    report = ReceivablesReport(as_of, buckets={label: 0 for label, _, _ in AGING_BUCKETS})
    bucket = _bucket_case(as_of)
    open_invoices = Invoice.open_fen > 0  # the partial index invoice_open_due_on
    for label, amount, count in tuples(
        Invoice.select(bucket, pw.fn.SUM(Invoice.open_fen), pw.fn.COUNT(pw.SQL("*")))
        .where(open_invoices)
        .group_by(bucket)
    ):
        report.buckets[label] = int(amount)
        report.total_open_fen += int(amount)
        report.open_invoices += int(count)
    report.total_overdue_fen = report.total_open_fen - report.buckets["current"]
    overdue = pw.fn.SUM(pw.Case(None, [(Invoice.due_on < as_of, Invoice.open_fen)], 0))
    rows = tuples(
        Invoice.select(Invoice.customer, overdue, pw.fn.SUM(Invoice.open_fen), pw.fn.MIN(Invoice.due_on))
        .where(open_invoices)
        .group_by(Invoice.customer)
        .having(overdue > 0)
        .order_by(overdue.desc(), Invoice.customer)
        .limit(limit)
    )
    people = {
        c.id: c
        for c in Customer.select(Customer.id, Customer.name, Customer.phone).where(
            Customer.id.in_([int(r[0]) for r in rows] or [0])
        )
    }
    report.overdue = [
        OverdueCustomer(
            int(c), people[int(c)].name, people[int(c)].phone, int(o), int(t), figures.as_date(oldest)
        )
        for c, o, t, oldest in rows
    ]
    return report


@dataclass(frozen=True)
class ReconciliationDay:
    day: dt.date
    status: str  # reconciled | differences | not_yet
    difference_count: int
    wechat_paid_fen: int
    wechat_refunded_fen: int


def reconciliation_days(first: dt.date, last: dt.date) -> list[ReconciliationDay]:
    """Each day of [first, last] up to yesterday (today's bill is not out): reconciled against
    WeChat's trade bill, reconciled with differences, or not yet. Newest first."""
    last = min(last, clock.today() - ONE_DAY)
    reports = {
        figures.as_date(r.bill_date): r
        for r in ReconciliationReport.select().where(ReconciliationReport.bill_date.between(first, last))
    }
    days = []
    for day in reversed(_days(first, last)) if first <= last else []:
        report = reports.get(day)
        if report is None:
            days.append(ReconciliationDay(day, "not_yet", 0, 0, 0))
        else:
            status = "differences" if report.difference_count else "reconciled"
            days.append(
                ReconciliationDay(
                    day, status, report.difference_count, report.wechat_paid_fen, report.wechat_refunded_fen
                )
            )
    return days
