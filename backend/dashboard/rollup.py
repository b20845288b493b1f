"""Closed business days summed once into the per-day tables, and reads that combine them with the
journal for the days not rolled up (today, and any day the job has not reached yet).

A day is rolled up a grace period after it ends, so a voucher whose transaction was still open at
midnight is in. Rolling up writes each day once (its `RolledDay` row is claimed first; a second
worker racing for the same days finds them taken and backs off), in transactions of a month at most.
"""

from __future__ import annotations

import contextlib
import datetime as dt
from collections.abc import Callable, Sequence
from typing import TypeVar

import peewee as pw

from backend import clock
from backend.dashboard import figures
from backend.dashboard.models import DayCustomer, DayProduct, DaySales, RolledDay
from backend.db import transaction
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
    """Roll up every closed day not rolled up yet, oldest first; returns how many days it wrote."""
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
            (DaySales, figures.sales(first, last)),
            (DayCustomer, figures.customers(first, last)),
            (DayProduct, figures.products(first, last)),
        ):
            for start in range(0, len(rows), 1000):
                model.insert_many([r._asdict() for r in rows[start : start + 1000]]).execute()
    return len(days)


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
