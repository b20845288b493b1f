"""The roll-up equals the journal, run by `yecai check`."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Sequence
from typing import Any

import peewee as pw

from backend.checks import invariant
from backend.dashboard import figures, rollup
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
from backend.db import BaseModel, db
from backend.ledger.services import tuples

SHOWN = 20  # breaks named one by one; the rest are counted


def _compare(
    name: str,
    model: type[BaseModel],
    keys: Sequence[str],
    read: Callable[[dt.date, dt.date], Sequence[Any]],
    first: dt.date,
    last: dt.date,
) -> list[str]:
    """Rolled-up rows of [first, last] against the same figures summed from the journal."""

    def keyed(rows: Sequence[dict[str, Any]]) -> dict[tuple[Any, ...], tuple[Any, ...]]:
        out = {}
        for values in rows:
            values["day"] = figures.as_date(values["day"])
            key = tuple(values[k] for k in keys)
            figures_only = tuple(v for k, v in values.items() if k not in keys and k not in ("id", "rank"))
            if any(figures_only):  # a group that nets to nothing is the same as no row
                out[key] = figures_only
        return out

    day = model._meta.fields["day"]
    stored = keyed([dict(row) for row in model.select().where(day.between(first, last)).dicts()])
    journal = keyed([row._asdict() for row in read(first, last)])
    problems = [
        f"{name} {' '.join(map(str, key))}: rolled up {stored.get(key)} but the journal sums to {journal.get(key)}"
        for key in sorted(set(stored) | set(journal), key=str)
        if stored.get(key) != journal.get(key)
    ]
    if len(problems) > SHOWN:
        problems = [*problems[:SHOWN], f"{name}: {len(problems) - SHOWN} more differences"]
    return problems


@invariant("dashboard: every rolled-up day equals its journal entries")
def rollup_matches_journal() -> list[str]:
    first, last = RolledDay.select(pw.fn.MIN(RolledDay.day), pw.fn.MAX(RolledDay.day)).scalar(as_tuple=True)
    if first is None:
        return []
    first, last = figures.as_date(first), figures.as_date(last)
    rolled = {figures.as_date(d) for (d,) in tuples(RolledDay.select(RolledDay.day))}
    problems = [
        f"day {first + dt.timedelta(days=n)} is inside the rolled-up days but not rolled up"
        for n in range((last - first).days + 1)
        if first + dt.timedelta(days=n) not in rolled
    ]
    problems += _compare("sales", DaySales, ("day", "channel", "method"), figures.sales, first, last)
    problems += _compare("customer", DayCustomer, ("day", "customer_id"), figures.customers, first, last)
    problems += _compare("product", DayProduct, ("day", "sku_id"), figures.products, first, last)
    return problems


_MONTH_PAIRS = (
    ("sales", MonthSales, DaySales, ("channel", "method"), ("revenue_fen", "vat_fen", "cogs_fen", "orders")),
    ("customer", MonthCustomer, DayCustomer, ("customer_id",), ("revenue_fen", "vat_fen", "orders")),
    ("product", MonthProduct, DayProduct, ("sku_id",), ("quantity", "sales_fen")),
)


@invariant("dashboard: every rolled-up month equals the sum of its days")
def months_match_days() -> list[str]:
    earliest = RolledDay.select(pw.fn.MIN(RolledDay.day)).scalar()
    problems: list[str] = []
    for (month,) in tuples(RolledMonth.select(RolledMonth.month).order_by(RolledMonth.month)):
        month = figures.as_date(month)
        first, last = max(month, figures.as_date(earliest)), rollup.month_end(month)
        for name, monthly, daily, keys, sums in _MONTH_PAIRS:
            key_columns = [getattr(daily, k) for k in keys]
            from_days = {
                tuple(row[: len(keys)]): tuple(int(v) for v in row[len(keys) :])
                for row in tuples(
                    daily.select(*key_columns, *[pw.fn.SUM(getattr(daily, f)) for f in sums])
                    .where(daily.day.between(first, last))
                    .group_by(*key_columns)
                )
            }
            stored = {
                tuple(row[: len(keys)]): tuple(int(v) for v in row[len(keys) :])
                for row in tuples(
                    monthly.select(
                        *[getattr(monthly, k) for k in keys], *[getattr(monthly, f) for f in sums]
                    ).where(monthly.month == month)
                )
            }
            problems += [
                f"{name} {month:%Y-%m} {' '.join(map(str, key))}: month has {stored.get(key)}, its days sum to {from_days.get(key)}"
                for key in sorted(set(stored) | set(from_days), key=str)
                if stored.get(key) != from_days.get(key)
            ]
    if len(problems) > SHOWN:
        problems = [*problems[:SHOWN], f"{len(problems) - SHOWN} more differences"]
    return problems


@invariant("dashboard: customers are ranked within each day and month by what they bought")
def customer_ranks_follow_sales() -> list[str]:
    problems = []
    for model, period in ((DayCustomer, "day"), (MonthCustomer, "month")):
        table = model._meta.table_name
        wrong = db.execute_sql(
            f"SELECT {period}, customer_id, rank, n FROM ("
            f" SELECT {period}, customer_id, rank, ROW_NUMBER() OVER ("
            f"  PARTITION BY {period} ORDER BY revenue_fen + vat_fen DESC, customer_id) AS n FROM {table}"
            f") AS ranked WHERE rank IS NULL OR rank <> n ORDER BY {period}, n LIMIT {SHOWN}"
        ).fetchall()
        problems += [f"{period} {p} customer {c}: ranked {r}, should be {n}" for p, c, r, n in wrong]
    return problems
