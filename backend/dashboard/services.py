"""What the owner's dashboard reads. Every figure is summed in SQL: whole months from the monthly
roll-ups, the other closed days from the per-day roll-ups, the open day (and any day not rolled up
yet) from the journal itself.

Money is fen. `sales_fen` is what customers paid for the goods (VAT included), `revenue_fen` the
revenue booked net of VAT, `margin_fen` revenue less cost of goods sold; all after refunds and
cancellations, on the business day the voucher was posted, in the merchant's time zone.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass, field

import peewee as pw

from backend import clock
from backend.dashboard import figures, rollup
from backend.dashboard.errors import MAX_RANGE_DAYS, InvalidRange
from backend.dashboard.models import (
    DayCustomer,
    DayProduct,
    DaySales,
    MonthCustomer,
    MonthProduct,
    MonthSales,
    RolledMonth,
)
from backend.db import db
from backend.kernel.models import Customer, Product, Sku
from backend.ledger.services import tuples
from backend.receivables import aging
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


@dataclass(frozen=True)
class Periods:
    """[first, last] as the rolled-up whole months inside it and the runs of days around them."""

    months: list[dt.date]  # first days
    day_runs: list[tuple[dt.date, dt.date]]

    def day_filter(self, day: pw.Field) -> pw.Node:
        condition: pw.Node = pw.SQL("1 = 0")
        for first, last in self.day_runs:
            condition = condition | day.between(first, last)
        return condition


def periods(first: dt.date, last: dt.date) -> Periods:
    first_whole = rollup.month_of(first) if first.day == 1 else rollup.month_end(first) + ONE_DAY
    months = [
        figures.as_date(m)
        for (m,) in tuples(
            RolledMonth.select(RolledMonth.month)
            .where(RolledMonth.month.between(first_whole, last))
            .order_by(RolledMonth.month)
        )
    ]
    months = [m for m in months if rollup.month_end(m) <= last]
    runs, start = [], first
    for month in months:
        if start < month:
            runs.append((start, month - ONE_DAY))
        start = rollup.month_end(month) + ONE_DAY
    if start <= last:
        runs.append((start, last))
    return Periods(months, runs)


def _summed(first: dt.date, last: dt.date, key: str) -> list[tuple[object, int, int, int, int]]:
    """The roll-ups' figures over [first, last] summed by one of their columns: `day` from the day
    table; `channel` or `method` from the month table for whole months and the day table around them."""
    sums = "SUM(revenue_fen) AS r, SUM(vat_fen) AS v, SUM(cogs_fen) AS c, SUM(orders) AS n"
    days, months = DaySales._meta.table_name, MonthSales._meta.table_name
    if key == "day":
        runs, month_list = [(first, last)], []
    else:
        span = periods(first, last)
        runs, month_list = span.day_runs, span.months
    parts = [
        f"SELECT {key} AS k, {sums} FROM {days} WHERE day >= {db.param} AND day <= {db.param} GROUP BY {key}"
        for _ in runs
    ]
    params: list[object] = [d for run in runs for d in run]
    if month_list:
        marks = ", ".join([db.param] * len(month_list))
        parts.append(f"SELECT {key} AS k, {sums} FROM {months} WHERE month IN ({marks}) GROUP BY {key}")
        params += month_list
    if not parts:
        return []
    sql = f"SELECT k, SUM(r), SUM(v), SUM(c), SUM(n) FROM ({' UNION ALL '.join(parts)}) AS t GROUP BY k"
    return [(k, int(r), int(v), int(c), int(n)) for k, r, v, c, n in db.execute_sql(sql, params)]


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
    spans = periods(first, last)
    totals: dict[int, list[int]] = {}
    stored = (
        DayProduct.select(DayProduct.sku_id, pw.fn.SUM(DayProduct.quantity), pw.fn.SUM(DayProduct.sales_fen))
        .where(spans.day_filter(DayProduct.day))
        .group_by(DayProduct.sku_id)
    )
    monthly = (
        MonthProduct.select(
            MonthProduct.sku_id, pw.fn.SUM(MonthProduct.quantity), pw.fn.SUM(MonthProduct.sales_fen)
        )
        .where(MonthProduct.month.in_(spans.months or [dt.date.min]))
        .group_by(MonthProduct.sku_id)
    )
    live = [(r.sku_id, r.quantity, r.sales_fen) for r in rollup.from_journal(figures.products, rolled, span)]
    for sku_id, quantity, sales in [*tuples(stored), *tuples(monthly), *live]:
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


# Customers ranked this deep in each period decide a top list: whoever is ranked below bought at most
# what the period's next one did, a small buyer's amount in a shop with a few dozen big ones.
LEADERS = 100


def _span_rows(
    spans: Periods, condition: str = "", params: Sequence[object] = ()
) -> tuple[str, list[object]]:
    """SQL for the customer rows of the rolled-up periods (customer_id, sales, orders, rank), each
    filtered by `condition` inside its own table so that table's indexes serve it."""
    also = f" AND {condition}" if condition else ""
    parts, values = [], []
    sales = "revenue_fen + vat_fen"
    for first, last in spans.day_runs:
        parts.append(
            f"SELECT customer_id, {sales} AS sales, orders, rank FROM {DayCustomer._meta.table_name}"
            f" WHERE day >= {db.param} AND day <= {db.param}{also}"
        )
        values += [first, last, *params]
    if spans.months:
        marks = ", ".join([db.param] * len(spans.months))
        parts.append(
            f"SELECT customer_id, {sales} AS sales, orders, rank FROM {MonthCustomer._meta.table_name}"
            f" WHERE month IN ({marks}){also}"
        )
        values += [*spans.months, *params]
    if not parts:
        return "SELECT 0 AS customer_id, 0 AS sales, 0 AS orders, 0 AS rank WHERE 1 = 0", []
    return " UNION ALL ".join(parts), values


def _rolled_totals(spans: Periods, only: Sequence[int]) -> dict[int, list[int]]:
    """Exact sales and orders over the rolled-up periods of the customers `only`."""
    if not only:
        return {}
    marks = ", ".join([db.param] * len(only))
    rows_sql, params = _span_rows(spans, f"customer_id IN ({marks})", list(only))
    sql = f"SELECT customer_id, SUM(sales), SUM(orders) FROM ({rows_sql}) AS t GROUP BY customer_id"
    return {int(c): [int(f), int(n)] for c, f, n in db.execute_sql(sql, params)}


def _top_rolled(spans: Periods, limit: int) -> list[int]:
    """The `limit` customers who bought the most over the rolled-up periods, summed in SQL."""
    rows_sql, params = _span_rows(spans)
    sql = (
        f"SELECT customer_id FROM ({rows_sql}) AS t GROUP BY customer_id"
        f" ORDER BY SUM(sales) DESC, customer_id LIMIT {int(limit)}"
    )
    return [int(c) for (c,) in db.execute_sql(sql, params)]


def _candidates(spans: Periods, limit: int) -> tuple[list[int], int]:
    """Customers whose sales among each period's leaders put them in the first 2×`limit`, and a
    bound no one else's total can exceed: the last candidate's sum among the leaders plus, for each
    period, what its next customer after the leaders bought."""
    wanted = 2 * limit
    rows_sql, params = _span_rows(spans, f"rank <= {LEADERS}")
    partial = list(
        db.execute_sql(
            f"SELECT customer_id, SUM(sales) FROM ({rows_sql}) AS t GROUP BY customer_id"
            f" ORDER BY SUM(sales) DESC, customer_id LIMIT {wanted}",
            params,
        )
    )
    cut = max(int(partial[-1][1]), 0) if len(partial) == wanted else 0
    rows_sql, params = _span_rows(spans, f"rank = {LEADERS + 1}")
    beyond = db.execute_sql(
        f"SELECT SUM(CASE WHEN sales > 0 THEN sales ELSE 0 END) FROM ({rows_sql}) AS t", params
    ).fetchone()[0]
    return [int(c) for c, _ in partial], cut + int(beyond or 0)


def top_customers(first: dt.date, last: dt.date, limit: int) -> list[TopCustomer]:
    """Customers by what they bought (VAT included) over [first, last]; ties by customer id.

    Whole months come from the month table, the days around them from the day table, days not rolled
    up yet from the journal. Customers are ranked within each period, so the candidates are read
    from each period's leaders (`LEADERS`) and summed exactly; everyone else bought at most a bound
    (see `_candidates`), and when the list's last customer bought more than that, the list is
    settled from a few hundred rows however many customers the shop has. Otherwise (a flat spread
    of buyers) every customer is summed in SQL.
    """
    rolled, span = rollup.unrolled_span(first, last)
    live: dict[int, list[int]] = {}
    for row in rollup.from_journal(figures.customers, rolled, span):
        entry = live.setdefault(row.customer_id, [0, 0])
        entry[0] += row.revenue_fen + row.vat_fen
        entry[1] += row.orders
    spans = periods(first, last)

    def ranked_totals(candidates: Sequence[int], with_live: Sequence[int]) -> list[tuple[int, list[int]]]:
        totals = _rolled_totals(spans, sorted({*candidates, *with_live}))
        for customer_id in with_live:
            f, n = live[customer_id]
            entry = totals.setdefault(customer_id, [0, 0])
            entry[0] += f
            entry[1] += n
        return sorted(totals.items(), key=lambda kv: (-kv[1][0], kv[0]))[:limit]

    candidates, bound = _candidates(spans, limit)
    chosen = set(candidates)
    ranked = ranked_totals(candidates, [c for c in live if c in chosen])
    if len(ranked) == limit and ranked[-1][1][0] > bound:
        # Someone who bought today and is no candidate has at most `bound` before today: only those
        # whose purchases today could lift them into the list are summed.
        lifted = [c for c, (f, _) in live.items() if c not in chosen and bound + f >= ranked[-1][1][0]]
        if lifted:
            ranked = ranked_totals([*candidates, *lifted], [c for c in live if c in chosen or c in lifted])
    if not (len(ranked) == limit and ranked[-1][1][0] > bound):
        # Today's refunds can lower a rolled-up leader below the next one: read one more per such customer.
        lowered = sum(1 for f, _ in live.values() if f < 0)
        ranked = ranked_totals(_top_rolled(spans, limit + lowered), list(live))
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


def receivables(as_of: dt.date | None = None, limit: int = 20) -> ReceivablesReport:
    """Open receivables in aging buckets by days past due, and the customers most overdue: what
    was open at the end of `as_of` (default today), from `backend.receivables.aging`."""
    report = aging.aging(as_of)
    return ReceivablesReport(
        report.as_of,
        total_open_fen=report.open_fen,
        total_overdue_fen=report.overdue_fen,
        open_invoices=report.invoices,
        buckets=dict(report.totals),
        overdue=[
            OverdueCustomer(c.customer_id, c.name, c.phone, c.overdue_fen, c.open_fen, c.oldest_due_on)
            for c in report.customers
            if c.overdue_fen > 0 and c.oldest_due_on is not None
        ][:limit],
    )


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
