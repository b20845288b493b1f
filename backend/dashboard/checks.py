"""The roll-up equals the journal, run by `yecai check`."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Sequence
from typing import Any

import peewee as pw

from backend.checks import invariant
from backend.dashboard import figures
from backend.dashboard.models import DayCustomer, DayProduct, DaySales, RolledDay
from backend.db import BaseModel
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
            figures_only = tuple(v for k, v in values.items() if k not in keys and k != "id")
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
