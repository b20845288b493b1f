"""Closed business days summed once into the per-day tables, and reads that combine them with the
journal for the days not rolled up (today, and any day the job has not reached yet).

A day is rolled up a grace period after it ends, so a voucher whose transaction was still open at
midnight is in. Rolling up writes each day once (its `RolledDay` row is claimed first; a second
worker racing for the same days finds them taken and backs off), in transactions of a month at most.
A month is summed from its days once all of them are rolled up (claimed the same way).
"""

from __future__ import annotations

import contextlib
import datetime as dt
from collections.abc import Callable, Sequence
from typing import Any, TypeVar

import peewee as pw

from backend import clock
from backend.dashboard import figures
from backend.dashboard.models import (
    DayCustomer,
    DayProduct,
    DaySales,
    MonthCustomer,
    MonthProduct,
    MonthSales,
    RolledDay,
    RolledMonth,
)
from backend.db import db, transaction
from backend.ledger.models import JournalEntry
from backend.ledger.services import tuples

GRACE = dt.timedelta(minutes=10)
DAYS_PER_TRANSACTION = 31
ONE_DAY = dt.timedelta(days=1)

Row = TypeVar("Row", figures.SalesRow, figures.CustomerRow, figures.ProductRow)


def last_closed_day(now: dt.datetime | None = None) -> dt.date:
    """The latest business day that ended more than GRACE ago."""
    return clock.business_date((now or clock.now()) - GRACE) - ONE_DAY


class _Taken(Exception):
    """Another process rolled up some of these days meanwhile."""


def roll_up_closed_days() -> int:
    """Roll up every closed day not rolled up yet, oldest first, then every month whose days are all
    in; returns how many days it wrote."""
    last = last_closed_day()
    latest = RolledDay.select(pw.fn.MAX(RolledDay.day)).scalar()
    if latest is not None:
        first = figures.as_date(latest) + ONE_DAY
    else:
        earliest = JournalEntry.select(pw.fn.MIN(JournalEntry.posted_on)).scalar()
        if earliest is None:
            return 0
        first = figures.as_date(earliest)
    written = 0
    while first <= last:
        end = min(last, first + dt.timedelta(days=DAYS_PER_TRANSACTION - 1))
        with contextlib.suppress(_Taken):  # another worker wrote these days
            written += roll_up(first, end)
        first = end + ONE_DAY
    roll_up_months()
    return written


def roll_up(first: dt.date, last: dt.date) -> int:
    """Write the figures of the days [first, last] (all closed) in one transaction."""
    days = [first + dt.timedelta(days=n) for n in range((last - first).days + 1)]
    with transaction():
        claimed = (
            RolledDay.insert_many([{"day": d, "rolled_at": clock.now()} for d in days])
            .on_conflict_ignore()
            .as_rowcount()
            .execute()
        )
        if claimed != len(days):
            raise _Taken
        for model, rows in (
            (DaySales, [r._asdict() for r in figures.sales(first, last)]),
            (DayCustomer, ranked([r._asdict() for r in figures.customers(first, last)], "day")),
            (DayProduct, [r._asdict() for r in figures.products(first, last)]),
        ):
            _insert(model, rows)
    return len(days)


def _insert(model: type[pw.Model], rows: Sequence[dict[str, object]]) -> None:
    for start in range(0, len(rows), 1000):
        model.insert_many(rows[start : start + 1000]).execute()


def ranked(rows: list[dict[str, Any]], period: str) -> list[dict[str, Any]]:
    """Customer rows with `rank` within their period: most bought (sales VAT included) first, ties by
    the smaller customer id, the order top lists use."""
    rows.sort(key=lambda r: (r[period], -(r["revenue_fen"] + r["vat_fen"]), r["customer_id"]))
    previous, n = None, 0
    for row in rows:
        n = n + 1 if row[period] == previous else 1
        previous = row[period]
        row["rank"] = n
    return rows


def month_of(day: dt.date) -> dt.date:
    return day.replace(day=1)


def month_end(month: dt.date) -> dt.date:
    return (month + dt.timedelta(days=31)).replace(day=1) - ONE_DAY


def roll_up_months() -> int:
    """Sum every month whose days are all rolled up (from the first rolled-up day on) into the month
    tables, once; returns how many months it wrote."""
    earliest, latest = RolledDay.select(pw.fn.MIN(RolledDay.day), pw.fn.MAX(RolledDay.day)).scalar(
        as_tuple=True
    )
    if earliest is None:
        return 0
    earliest, latest = figures.as_date(earliest), figures.as_date(latest)
    done = {figures.as_date(m) for (m,) in tuples(RolledMonth.select(RolledMonth.month))}
    written = 0
    month = month_of(earliest)
    while month_end(month) <= latest:
        if month not in done:
            first, last = max(month, earliest), month_end(month)
            rolled = RolledDay.select().where(RolledDay.day.between(first, last)).count()
            if rolled == (last - first).days + 1:
                with contextlib.suppress(_Taken):
                    written += _roll_up_month(month, first, last)
        month = month_end(month) + ONE_DAY
    return written


_MONTH_SUMS = (
    (MonthSales, DaySales, "channel, method", "SUM(revenue_fen), SUM(vat_fen), SUM(cogs_fen), SUM(orders)"),
    (MonthProduct, DayProduct, "sku_id", "SUM(quantity), SUM(sales_fen)"),
)


def _roll_up_month(month: dt.date, first: dt.date, last: dt.date) -> int:
    with transaction():
        claimed = (
            RolledMonth.insert(month=month, rolled_at=clock.now())
            .on_conflict_ignore()
            .as_rowcount()
            .execute()
        )
        if claimed != 1:
            raise _Taken
        for target, source, keys, sums in _MONTH_SUMS:
            columns = [f.column_name for f in target._meta.sorted_fields if f.name != "id"]
            db.execute_sql(
                f"INSERT INTO {target._meta.table_name} ({', '.join(columns)})"
                f" SELECT {db.param}, {keys}, {sums} FROM {source._meta.table_name}"
                f" WHERE day >= {db.param} AND day <= {db.param} GROUP BY {keys}",
                (month, first, last),
            )
        customers = (
            DayCustomer.select(
                DayCustomer.customer_id,
                pw.fn.SUM(DayCustomer.revenue_fen),
                pw.fn.SUM(DayCustomer.vat_fen),
                pw.fn.SUM(DayCustomer.orders),
            )
            .where(DayCustomer.day.between(first, last))
            .group_by(DayCustomer.customer_id)
        )
        rows = [
            {
                "month": month,
                "customer_id": int(c),
                "revenue_fen": int(r),
                "vat_fen": int(v),
                "orders": int(n),
            }
            for c, r, v, n in tuples(customers)
        ]
        _insert(MonthCustomer, ranked(rows, "month"))
    return 1


def unrolled_span(first: dt.date, last: dt.date) -> tuple[set[dt.date], tuple[dt.date, dt.date] | None]:
    """The rolled-up days of [first, last], and the span holding every day that is not (or None).

    Days are rolled up oldest first, so the usual answer is "all of them up to some day": two
    aggregates say so without reading every day's row.
    """
    count, latest = tuples(
        RolledDay.select(pw.fn.COUNT(RolledDay.id), pw.fn.MAX(RolledDay.day)).where(
            RolledDay.day.between(first, last)
        )
    )[0]
    if not count:
        return set(), (first, last)
    latest = figures.as_date(latest)
    days = [first + dt.timedelta(days=n) for n in range((last - first).days + 1)]
    if count == (latest - first).days + 1:  # every day from `first` to `latest`
        rolled = {d for d in days if d <= latest}
    else:
        query = RolledDay.select(RolledDay.day).where(RolledDay.day.between(first, last))
        rolled = {figures.as_date(day) for (day,) in tuples(query)}
    missing = [d for d in days if d not in rolled]
    return rolled, ((missing[0], missing[-1]) if missing else None)


def from_journal(
    read: Callable[[dt.date, dt.date], list[Row]], rolled: set[dt.date], span: tuple[dt.date, dt.date] | None
) -> Sequence[Row]:
    """`read`'s rows for the days of `span` that are not rolled up."""
    if span is None:
        return []
    return [row for row in read(*span) if row.day not in rolled]
