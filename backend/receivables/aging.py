"""Receivables aging as of any business day, rebuilt from the entries by their dates.

An invoice's open amount as of day D is the sum of its `ArEntry` rows written before the end of D
in the merchant's time zone (`created_at < end of D`, naive UTC), for invoices issued on or before
D; every kind of entry counts (invoice, payment, credit note, refund, interest, waiver, write-off,
recovery, and any added later), so a past date shows what was open then, not what is open now.
Each open invoice falls in a bucket by its days past due as of D. Everything is summed in the
database (GROUP BY invoice, then GROUP BY customer and bucket); Python only sees one row per
customer and bucket, or one page of invoices.

For today (or later) the open amount of every invoice is its `open_fen` cache, which `yecai check`
proves equals the sum of all its entries, and which the partial index `invoice_open_due_on`
serves without reading paid invoices: the same figures, read without summing two years of entries.

Buckets are given by their upper boundaries in days past due: (30, 60, 90) makes "current"
(not due yet, or due that day), "1_30", "31_60", "61_90" and "over_90".
"""

from __future__ import annotations

import datetime as dt
import itertools
from dataclasses import dataclass, field
from typing import Any

import peewee as pw

from backend import clock
from backend.kernel.models import Customer
from backend.ledger.services import tuples
from backend.receivables.errors import InvalidAgingBuckets
from backend.receivables.models import ArEntry, Invoice

DEFAULT_BOUNDARIES: tuple[int, ...] = (30, 60, 90)
MAX_BOUNDARIES = 8
MAX_BOUNDARY_DAYS = 36_500
CURRENT = "current"


@dataclass(frozen=True)
class Bucket:
    key: str  # "current", "1_30", ..., "over_90"
    first_day: int | None  # days past due, inclusive; None: not due yet (and the due day itself)
    last_day: int | None  # inclusive; None: and older

    @property
    def label_zh(self) -> str:
        if self.first_day is None:
            return "未到期"
        if self.last_day is None:
            return f"{self.first_day - 1}天以上"
        return f"{self.first_day}-{self.last_day}天"


def parse_boundaries(text: str | None) -> tuple[int, ...]:
    """`"30,60,90"` -> (30, 60, 90); empty or None: the default. Ascending positive whole days, at
    most eight; anything else is refused with `invalid_buckets`."""
    if text is None or not text.strip():
        return DEFAULT_BOUNDARIES
    parts = [p.strip() for p in text.split(",")]
    if len(parts) > MAX_BOUNDARIES:
        raise InvalidAgingBuckets(details={"buckets": text[:100], "max_boundaries": MAX_BOUNDARIES})
    values = tuple(int(p) for p in parts if p.isascii() and p.isdigit() and len(p) <= 6)
    return check_boundaries(values if len(values) == len(parts) else (), text)


def check_boundaries(values: tuple[int, ...], shown: str | None = None) -> tuple[int, ...]:
    ok = (
        0 < len(values) <= MAX_BOUNDARIES
        and all(isinstance(v, int) and 0 < v <= MAX_BOUNDARY_DAYS for v in values)
        and all(a < b for a, b in itertools.pairwise(values))
    )
    if not ok:
        raise InvalidAgingBuckets(
            details={"buckets": (shown or ",".join(map(str, values)))[:100], "max_boundaries": MAX_BOUNDARIES}
        )
    return values


def buckets_of(boundaries: tuple[int, ...] = DEFAULT_BOUNDARIES) -> tuple[Bucket, ...]:
    out = [Bucket(CURRENT, None, 0)]
    first = 1
    for last in boundaries:
        out.append(Bucket(f"{first}_{last}", first, last))
        first = last + 1
    out.append(Bucket(f"over_{boundaries[-1]}", first, None))
    return tuple(out)


def bucket_of(days_overdue: int, buckets: tuple[Bucket, ...]) -> str:
    """The bucket of one invoice, in Python (exports, tests): the same rule as `bucket_case`."""
    for bucket in buckets:
        if bucket.last_day is None or days_overdue <= bucket.last_day:
            return bucket.key
    raise AssertionError("unreachable: the last bucket has no end")


def bucket_case(due_on: Any, as_of: dt.date, buckets: tuple[Bucket, ...]) -> pw.Node:
    """The bucket of a due date as of `as_of`, in SQL. The dates are computed here, so it runs the
    same on any database: due on or after as_of - last_day means at most last_day days late."""
    whens = [
        (due_on >= as_of - dt.timedelta(days=b.last_day), b.key) for b in buckets if b.last_day is not None
    ]
    return pw.Case(None, whens, buckets[-1].key)


@dataclass
class CustomerAging:
    customer_id: int
    name: str
    phone: str | None = None
    open_fen: int = 0
    invoices: int = 0
    buckets: dict[str, int] = field(default_factory=dict)
    oldest_due_on: dt.date | None = None

    @property
    def overdue_fen(self) -> int:
        return self.open_fen - self.buckets.get(CURRENT, 0)


@dataclass
class AgingReport:
    as_of: dt.date
    buckets: tuple[Bucket, ...]
    totals: dict[str, int]
    open_fen: int = 0
    invoices: int = 0
    customers: list[CustomerAging] = field(default_factory=list)

    @property
    def overdue_fen(self) -> int:
        return self.open_fen - self.totals.get(CURRENT, 0)

    @property
    def bucket_list(self) -> list[dict[str, Any]]:
        return [
            {
                "key": b.key,
                "label": b.label_zh,
                "first_day": b.first_day,
                "last_day": b.last_day,
                "open_fen": self.totals[b.key],
            }
            for b in self.buckets
        ]


@dataclass(frozen=True)
class InvoiceAging:
    invoice_id: int
    customer_id: int
    customer_name: str
    order_id: int | None
    issued_on: dt.date
    due_on: dt.date
    amount_fen: int
    open_fen: int
    days_overdue: int
    bucket: str


def _date(value: Any) -> dt.date:
    """A DATE column as read: a date on PostgreSQL, ISO text on SQLite."""
    return value if isinstance(value, dt.date) else dt.date.fromisoformat(str(value)[:10])


def uses_cache(as_of: dt.date) -> bool:
    """Today or later: nothing is written after the end of the day yet, so the cache is the sum."""
    return as_of >= clock.today()


def open_invoices(as_of: dt.date, customer_id: int | None = None, *, from_entries: bool = False) -> pw.Select:
    """One row per invoice open as of the end of `as_of`: (invoice_id, customer_id, due_on, open_fen).

    Before today: summed from the entries written before the end of that business day, for the
    invoices issued by then. Kind-agnostic: every entry of the invoice counts.
    """
    if uses_cache(as_of) and not from_entries:
        cached = Invoice.select(
            Invoice.id.alias("invoice_id"),
            Invoice.customer.alias("customer_id"),
            Invoice.due_on.alias("due_on"),
            Invoice.open_fen.alias("open_fen"),
        ).where(Invoice.open_fen > 0)
        if customer_id is not None:
            cached = cached.where(Invoice.customer == customer_id)
        return cached
    end = clock.day_bounds(as_of)[1]
    total = pw.fn.SUM(ArEntry.amount_fen)
    query = (
        ArEntry.select(
            Invoice.id.alias("invoice_id"),
            Invoice.customer.alias("customer_id"),
            Invoice.due_on.alias("due_on"),
            total.alias("open_fen"),
        )
        .join(Invoice, on=(ArEntry.invoice == Invoice.id))
        .where((ArEntry.created_at < end) & (Invoice.issued_on <= as_of))
        .group_by(Invoice.id, Invoice.customer, Invoice.due_on)
        .having(total != 0)
    )
    if customer_id is not None:
        query = query.where(Invoice.customer == customer_id)
    return query


def aging(
    as_of: dt.date | None = None,
    *,
    customer_id: int | None = None,
    boundaries: tuple[int, ...] = DEFAULT_BOUNDARIES,
    from_entries: bool = False,
) -> AgingReport:
    """Totals per bucket and one row per customer with anything open as of `as_of` (default
    today), most overdue first. `from_entries` sums the entries even for today (checks, benchmarks)."""
    as_of = as_of or clock.today()
    buckets = buckets_of(check_boundaries(boundaries))
    report = AgingReport(as_of, buckets, {b.key: 0 for b in buckets})
    inner = open_invoices(as_of, customer_id, from_entries=from_entries).alias("open_invoice")
    bucket = bucket_case(inner.c.due_on, as_of, buckets)
    rows = tuples(
        pw.Select(
            [inner],
            [
                inner.c.customer_id,
                bucket,
                pw.fn.SUM(inner.c.open_fen),
                pw.fn.COUNT(pw.SQL("*")),
                pw.fn.MIN(inner.c.due_on),
            ],
        )
        .group_by(inner.c.customer_id, bucket)
        .bind(Invoice._meta.database)
    )
    people: dict[int, CustomerAging] = {}
    for cid, key, amount, count, oldest in rows:
        row = people.setdefault(int(cid), CustomerAging(int(cid), "", buckets={b.key: 0 for b in buckets}))
        row.buckets[str(key)] += int(amount)
        row.open_fen += int(amount)
        row.invoices += int(count)
        due = _date(oldest)
        row.oldest_due_on = due if row.oldest_due_on is None else min(row.oldest_due_on, due)
        report.totals[str(key)] += int(amount)
        report.open_fen += int(amount)
        report.invoices += int(count)
    if people:
        for c in Customer.select(Customer.id, Customer.name, Customer.phone).where(
            Customer.id.in_(list(people))
        ):
            people[c.id].name, people[c.id].phone = c.name, c.phone
    report.customers = sorted(people.values(), key=lambda r: (-r.overdue_fen, -r.open_fen, r.customer_id))
    return report


def invoice_rows(
    as_of: dt.date | None = None,
    *,
    customer_id: int | None = None,
    boundaries: tuple[int, ...] = DEFAULT_BOUNDARIES,
    before_id: int | None = None,
    limit: int | None = None,
) -> list[InvoiceAging]:
    """The invoices open as of `as_of`, newest first (by id), after `before_id`, at most `limit`."""
    as_of = as_of or clock.today()
    buckets = buckets_of(check_boundaries(boundaries))
    inner = open_invoices(as_of, customer_id).alias("open_invoice")
    query = (
        Invoice.select(
            Invoice.id,
            Invoice.customer,
            Customer.name,
            Invoice.order,
            Invoice.issued_on,
            Invoice.due_on,
            Invoice.amount_fen,
            inner.c.open_fen,
        )
        .join(inner, on=(inner.c.invoice_id == Invoice.id))
        .switch(Invoice)
        .join(Customer, on=(Invoice.customer == Customer.id))
        .order_by(Invoice.id.desc())
    )
    if before_id is not None:
        query = query.where(Invoice.id < before_id)
    if limit is not None:
        query = query.limit(limit)
    out = []
    for iid, cid, name, order_id, issued, due, amount, open_fen in tuples(query):
        due_on = _date(due)
        late = (as_of - due_on).days
        out.append(
            InvoiceAging(
                int(iid),
                int(cid),
                name,
                None if order_id is None else int(order_id),
                _date(issued),
                due_on,
                int(amount),
                int(open_fen),
                late,
                bucket_of(late, buckets),
            )
        )
    return out
