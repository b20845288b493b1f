"""Monthly statements for 500 distributors: the app's generation against a hand-written SQL reference
computing and writing the same opening balances, lines with running balances and closings, in one run.

Creates a fresh PostgreSQL database (`--admin-url`, default the test server), migrates it and bulk-loads
`--customers` distributors, each with six months of history before the month (invoices on account, part
paid) and a realistic month of entries: `--per-month` entries (invoices, collections settling them,
credit notes, a late-interest charge) at random times in the merchant's days. Then, `--runs` times each:

- app: `statements.generate_period(start, end, ids)`, the function the monthly job calls (set-based
  reads, Python running balances, batched inserts), committed;
- reference: one hand-written SQL statement (CTEs: openings from the (customer, created_at) index, the
  month's entries with ROW_NUMBER/SUM window functions, then INSERT ... SELECT of the statements and
  their lines) and, once statements keep the aging at the period end, one aging query; committed too.

Both are checked to agree to the fen on every statement and every line before the figures are printed:
median seconds of each, and their ratio (goal: the app within 2x of the reference). The database is
dropped afterwards.

    .venv/bin/python bench/statements.py                          # 500 distributors, ~40 entries a month
    .venv/bin/python bench/statements.py --customers 2000 --per-month 60 --runs 5
"""

from __future__ import annotations

import argparse
import datetime as dt
import random
import statistics
import sys
import time
import uuid
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

ADMIN_URL = "postgresql://postgres@127.0.0.1:5432/test"
MONTH = (dt.date(2026, 11, 1), dt.date(2026, 11, 30))
TODAY = dt.date(2026, 12, 1)
HISTORY_MONTHS = 6


def _at(day: dt.date, rng: random.Random) -> dt.datetime:
    """A random time within the merchant's (Beijing) business hours of `day`, as stored (naive UTC)."""
    return dt.datetime.combine(day, dt.time(0, 30)) + dt.timedelta(seconds=rng.randrange(0, 11 * 3600))


def seed(customers: int, per_month: int, rng: random.Random) -> list[int]:
    """Distributors with history and a month of entries, bulk-inserted (caches kept equal to entries)."""
    from backend.db import transaction
    from backend.kernel.models import Customer
    from backend.receivables.models import ArEntry, Invoice, Payment

    ids: list[int] = []
    start = MONTH[0] - dt.timedelta(days=30 * HISTORY_MONTHS)
    days = (MONTH[1] - start).days + 1
    for n in range(customers):
        # Plan the customer's events: invoices (by number), then money and credits against them.
        stamps = sorted(
            _at(start + dt.timedelta(days=rng.randrange(days)), rng)
            for _ in range(per_month * (HISTORY_MONTHS + 1))
        )
        invoices: list[list[Any]] = []  # [amount, open, stamp, kind]
        events: list[tuple[str, int, int, dt.datetime]] = []  # (kind, invoice number, signed amount, at)
        for stamp in stamps:
            open_ones = [k for k, inv in enumerate(invoices) if inv[1] > 0]
            roll = rng.random()
            if roll < 0.5 or not open_ones:
                amount = rng.randrange(1_000, 500_000)
                kind = "interest" if rng.random() < 0.03 else "invoice"
                invoices.append([amount, amount, stamp, kind])
                events.append((kind, len(invoices) - 1, amount, stamp))
                continue
            k = open_ones[rng.randrange(len(open_ones))]
            part = min(invoices[k][1], rng.randrange(500, 300_000))
            invoices[k][1] -= part
            events.append(("payment" if roll < 0.93 else "credit_note", k, -part, stamp))
        with transaction():
            customer_id = int(
                Customer.insert(
                    kind="distributor",
                    name=f"压测经销商 {n}",
                    credit_limit_fen=10**9,
                    payment_terms_days=30,
                    balance_fen=sum(inv[1] for inv in invoices),
                ).execute()
            )
            ids.append(customer_id)
            invoice_ids = [
                int(r[0])
                for r in Invoice.insert_many(
                    [
                        {
                            "customer": customer_id,
                            "amount_fen": amount,
                            "open_fen": left,
                            "issued_on": at.date(),
                            "due_on": at.date() + dt.timedelta(days=30),
                            "created_at": at,
                        }
                        for amount, left, at, _ in invoices
                    ]
                )
                .returning(Invoice.id)
                .tuples()
                .execute()
            ]
            money = [e for e in events if e[0] == "payment"]
            payment_ids = iter(
                [
                    int(r[0])
                    for r in Payment.insert_many(
                        [
                            {
                                "customer": customer_id,
                                "direction": "in",
                                "method": "bank_transfer",
                                "amount_fen": -amount,
                                "reference": f"bench-{uuid.uuid4().hex}",
                                "created_at": at,
                            }
                            for _, _, amount, at in money
                        ]
                    )
                    .returning(Payment.id)
                    .tuples()
                    .execute()
                ]
                if money
                else []
            )
            ArEntry.insert_many(
                [
                    _entry(
                        customer_id,
                        invoice_ids[k],
                        kind,
                        amount,
                        at,
                        next(payment_ids) if kind == "payment" else None,
                    )
                    for kind, k, amount, at in events
                ]
            ).execute()
    return ids


def _entry(
    customer_id: int, invoice_id: int, kind: str, amount: int, at: dt.datetime, payment_id: int | None = None
) -> dict[str, Any]:
    return {
        "customer": customer_id,
        "invoice": invoice_id,
        "payment": payment_id,
        "kind": kind,
        "amount_fen": amount,
        "created_at": at,
    }


def reference_sql() -> str:
    """The hand-written reference: the same opening, lines (with the same descriptions and running
    balances) and closing as the app, written by one INSERT ... SELECT per table."""
    from backend.receivables.statements import KIND_LABELS

    labels = " ".join(f"WHEN '{k}' THEN '{v}'" for k, v in KIND_LABELS.items())
    return f"""
WITH cust AS (SELECT unnest(%(ids)s::int[]) AS customer_id),
opening AS (
  SELECT c.customer_id,
         COALESCE((SELECT SUM(e.amount_fen) FROM ar_entry e
                   WHERE e.customer_id = c.customer_id AND e.created_at < %(utc_from)s), 0) AS opening_fen
  FROM cust c
),
lines AS (
  SELECT e.customer_id, e.id AS entry_id, e.created_at, e.kind, e.invoice_id, i.order_id, e.amount_fen,
         ROW_NUMBER() OVER w AS seq, SUM(e.amount_fen) OVER w AS running
  FROM ar_entry e JOIN invoice i ON i.id = e.invoice_id
  WHERE e.customer_id = ANY(%(ids)s) AND e.created_at >= %(utc_from)s AND e.created_at < %(utc_to)s
  WINDOW w AS (PARTITION BY e.customer_id ORDER BY e.created_at, e.id)
),
totals AS (
  SELECT customer_id, SUM(GREATEST(amount_fen, 0)) AS debit, SUM(GREATEST(-amount_fen, 0)) AS credit,
         COUNT(*) AS n
  FROM lines GROUP BY customer_id
),
made AS (
  INSERT INTO statement (customer_id, period_start, period_end, version, status, opening_fen, debit_fen,
                         credit_fen, closing_fen, line_count, created_at, reminders)
  SELECT o.customer_id, %(start)s::date, %(end)s::date, 1, 'draft', o.opening_fen, COALESCE(t.debit, 0),
         COALESCE(t.credit, 0), o.opening_fen + COALESCE(t.debit, 0) - COALESCE(t.credit, 0),
         COALESCE(t.n, 0), now() AT TIME ZONE 'UTC', 0
  FROM opening o LEFT JOIN totals t USING (customer_id)
  WHERE t.n IS NOT NULL OR o.opening_fen <> 0
  RETURNING id, customer_id, opening_fen
)
INSERT INTO statement_line (statement_id, seq, entry_id, on_date, kind, invoice_id, order_id, description,
                            amount_fen, balance_fen)
SELECT made.id, l.seq, l.entry_id, (l.created_at AT TIME ZONE 'UTC' AT TIME ZONE %(zone)s)::date, l.kind,
       l.invoice_id, l.order_id,
       (CASE l.kind {labels} ELSE l.kind END) || ' 发票#' || l.invoice_id || COALESCE(' 订单#' || l.order_id, ''),
       l.amount_fen, made.opening_fen + l.running
FROM lines l JOIN made USING (customer_id)
"""


AGING_SQL = """
WITH opens AS (
  SELECT i.customer_id, i.due_on, SUM(e.amount_fen) AS open_fen
  FROM ar_entry e JOIN invoice i ON i.id = e.invoice_id
  WHERE e.customer_id = ANY(%(ids)s) AND e.created_at < %(utc_to)s AND i.issued_on <= %(end)s::date
  GROUP BY i.id, i.customer_id, i.due_on HAVING SUM(e.amount_fen) <> 0
)
SELECT customer_id,
       CASE WHEN due_on >= %(end)s::date THEN 'current'
            WHEN due_on >= %(end)s::date - 30 THEN '1_30'
            WHEN due_on >= %(end)s::date - 60 THEN '31_60'
            WHEN due_on >= %(end)s::date - 90 THEN '61_90'
            ELSE 'over_90' END AS bucket,
       SUM(open_fen)
FROM opens GROUP BY 1, 2
"""


def agings() -> dict[tuple[int, str], int]:
    """(customer, bucket) -> fen of the aging each statement keeps (buckets with something in them)."""
    import json

    from backend.db import db

    out = {}
    for customer_id, text in db.execute_sql("SELECT customer_id, aging FROM statement").fetchall():
        for bucket in json.loads(text)["buckets"] if text else []:
            if bucket["amount_fen"]:
                out[(int(customer_id), bucket["key"])] = int(bucket["amount_fen"])
    return out


def written() -> tuple[list[tuple[Any, ...]], list[tuple[Any, ...]]]:
    """Every statement and line written, in a comparable shape."""
    from backend.db import db

    heads = db.execute_sql(
        "SELECT customer_id, opening_fen, debit_fen, credit_fen, closing_fen, line_count FROM statement"
        " ORDER BY customer_id"
    ).fetchall()
    lines = db.execute_sql(
        "SELECT s.customer_id, l.seq, l.entry_id, l.on_date, l.kind, l.invoice_id, l.order_id, l.description,"
        " l.amount_fen, l.balance_fen FROM statement_line l JOIN statement s ON s.id = l.statement_id"
        " ORDER BY s.customer_id, l.seq"
    ).fetchall()
    return heads, lines


def clear() -> None:
    from backend.db import db

    with db.atomic():
        db.execute_sql("DELETE FROM statement_notice")
        db.execute_sql("DELETE FROM statement_line")
        db.execute_sql("DELETE FROM statement")


# The statements keep the aging at the period end once backend.receivables.aging is there.
WITH_AGING = Path(__file__).resolve().parents[1].joinpath("backend/receivables/aging.py").exists()


def run_app(ids: list[int]) -> tuple[float, Any]:
    from backend.receivables import statements

    start = time.perf_counter()
    made = statements.generate_period(MONTH[0], MONTH[1], ids)
    took = time.perf_counter() - start
    assert len(made) == len(ids), (len(made), len(ids))
    result = (*written(), agings())
    clear()
    return took, result


def run_reference(ids: list[int]) -> tuple[float, Any]:
    from backend import clock
    from backend.db import db
    from backend.receivables.statements import bounds

    utc_from, utc_to = bounds(*MONTH)
    params = {
        "ids": ids,
        "utc_from": utc_from,
        "utc_to": utc_to,
        "start": MONTH[0],
        "end": MONTH[1],
        "zone": str(clock.zone()),
    }
    sql = reference_sql()
    start = time.perf_counter()
    with db.atomic():  # committed, like the app's
        db.execute_sql(sql, params)
        aged = db.execute_sql(AGING_SQL, params).fetchall() if WITH_AGING else []
    took = time.perf_counter() - start
    result = (*written(), {(int(c), str(b)): int(f) for c, b, f in aged if f})
    clear()
    return took, result


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--admin-url", default=ADMIN_URL)
    parser.add_argument("--customers", type=int, default=500)
    parser.add_argument("--per-month", type=int, default=40, help="entries per distributor per month")
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--seed", type=int, default=7)
    args = parser.parse_args()

    import psycopg2

    from backend import clock, migrate, wiring
    from backend.config import load_settings

    dbname = f"yecai_bench_{uuid.uuid4().hex[:8]}"
    admin = psycopg2.connect(args.admin_url)
    admin.autocommit = True
    admin.cursor().execute(f'CREATE DATABASE "{dbname}"')
    url = f"{args.admin_url.rsplit('/', 1)[0]}/{dbname}"
    try:
        database = wiring.configure(load_settings(database_url=url, secret_key="bench-secret-key-0123456789"))
        migrate.upgrade(database)
        clock.travel_to(dt.datetime.combine(TODAY, dt.time(4, 0)))
        began = time.perf_counter()
        ids = seed(args.customers, args.per_month, random.Random(args.seed))
        database.execute_sql("ANALYZE")
        entries = database.execute_sql("SELECT COUNT(*) FROM ar_entry").fetchone()[0]
        print(
            f"seeded {args.customers} distributors, {entries} receivable entries "
            f"({HISTORY_MONTHS} months of history + November) in {time.perf_counter() - began:.1f} s"
        )
        app_times, ref_times = [], []
        for _ in range(args.runs):
            took, reference = run_reference(ids)
            ref_times.append(took)
            took, app = run_app(ids)
            app_times.append(took)
            assert app == reference, "the app and the reference disagree"
        heads, lines, _ = app
        med_app, med_ref = statistics.median(app_times), statistics.median(ref_times)
        print(
            f"statements for {MONTH[0]}..{MONTH[1]}: {len(heads)} statements, {len(lines)} lines, PostgreSQL"
        )
        print(
            f"  app (statements.generate_period): median {med_app:.3f} s  runs {[round(t, 3) for t in app_times]}"
        )
        print(
            f"  reference (one hand-written SQL): median {med_ref:.3f} s  runs {[round(t, 3) for t in ref_times]}"
        )
        verdict = "met" if med_app <= 2 * med_ref else "NOT met"
        print(f"  app / reference: {med_app / med_ref:.2f}x   goal within 2x: {verdict}")
        print("  both agree on every opening, line, running balance, closing and aging bucket, to the fen")
    finally:
        from backend.db import db

        if hasattr(db.obj, "close_all"):
            db.obj.close_all()
        admin.cursor().execute(f'DROP DATABASE IF EXISTS "{dbname}"')


if __name__ == "__main__":
    main()
