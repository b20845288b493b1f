"""Benchmark of credit's nightly jobs (scoring with limit proposals, dunning, late interest) at growing
numbers of credit customers, printing seconds and seconds per thousand customers (the ratio shows
whether they grow worse than linearly).

    .venv/bin/python bench/credit_nightly.py                       # 500, 10,000 and 100,000 customers
    .venv/bin/python bench/credit_nightly.py --sizes 500,2000      # a quick look

Each size gets a fresh PostgreSQL database (`--admin-url`, default the test server), migrated, with
bulk-loaded histories per customer: a paid invoice, an invoice overdue by 1-60 days (so a share of
them reach a dunning step on the night), one not yet due, a credit profile charging 日万分之五, and a
collection payment. Then, for the night of the 1st: `scoring.score_all`, `dunning.plan` (steps and
their outbox rows; the sends themselves are the outbox's business and not timed), and
`interest.post_interest` for the month just ended. The database is dropped afterwards.
"""

from __future__ import annotations

import argparse
import datetime as dt
import random
import sys
import time
import uuid
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

ADMIN_URL = "postgresql://postgres@127.0.0.1:5432/test"
TODAY = dt.date(2026, 6, 1)
BATCH = 5000


def _noon(day: dt.date) -> dt.datetime:
    return dt.datetime.combine(day, dt.time(4, 0))


def seed(customers: int, rng: random.Random) -> None:
    from backend.auth.models import User
    from backend.db import transaction
    from backend.kernel.models import Customer
    from backend.receivables.credit.models import CreditProfile
    from backend.receivables.models import ArEntry, Invoice, Payment

    owner = User.create(role="owner", username="bench-owner")
    for start in range(0, customers, BATCH):
        count = min(BATCH, customers - start)
        with transaction():
            first = (
                Customer.insert_many(
                    [
                        {
                            "kind": "distributor",
                            "name": f"经销商 {start + n}",
                            "credit_limit_fen": 1_000_000,
                            "payment_terms_days": 30,
                            "balance_fen": 0,
                            "created_at": _noon(TODAY - dt.timedelta(days=rng.randrange(30, 1500))),
                        }
                        for n in range(count)
                    ]
                )
                .returning(Customer.id)
                .tuples()
                .execute()
            )
            ids = [row[0] for row in first]
            CreditProfile.insert_many(
                [
                    {
                        "customer": c,
                        "version": 1,
                        "limit_fen": 1_000_000,
                        "terms_kind": "days",
                        "terms_days": 30,
                        "grace_days": 5,
                        "late_interest_ppm": 500,
                        "overdue_action": "hold",
                        "changed_by": owner.id,
                    }
                    for c in ids
                ]
            ).execute()
            invoices, plan = [], []
            for c in ids:
                for kind in ("paid", "overdue", "current"):
                    amount = rng.randrange(10_000, 300_000)
                    due = {
                        "paid": TODAY - dt.timedelta(days=rng.randrange(40, 200)),
                        "overdue": TODAY - dt.timedelta(days=rng.randrange(1, 61)),
                        "current": TODAY + dt.timedelta(days=rng.randrange(-3, 30)),
                    }[kind]
                    invoices.append(
                        {
                            "customer": c,
                            "amount_fen": amount,
                            "open_fen": 0 if kind == "paid" else amount,
                            "issued_on": due - dt.timedelta(days=30),
                            "due_on": due,
                            "created_at": _noon(due - dt.timedelta(days=30)),
                        }
                    )
                    plan.append((c, kind, amount, due))
            invoice_ids = [
                row[0] for row in Invoice.insert_many(invoices).returning(Invoice.id).tuples().execute()
            ]
            payments = (
                Payment.insert_many(
                    [
                        {
                            "customer": c,
                            "direction": "in",
                            "method": "bank_transfer",
                            "amount_fen": amount,
                            "reference": f"bench-{uuid.uuid4().hex}",
                            "created_at": _noon(due - dt.timedelta(days=rng.randrange(-10, 5))),
                        }
                        for c, kind, amount, due in plan
                        if kind == "paid"
                    ]
                )
                .returning(Payment.id, Payment.created_at)
                .tuples()
                .execute()
            )
            paid = iter(list(payments))
            entries = []
            for invoice_id, (c, kind, amount, due) in zip(invoice_ids, plan, strict=True):
                entries.append(
                    {
                        "customer": c,
                        "invoice": invoice_id,
                        "kind": "invoice",
                        "amount_fen": amount,
                        "created_at": _noon(due - dt.timedelta(days=30)),
                    }
                )
                if kind == "paid":
                    payment_id, at = next(paid)
                    entries.append(
                        {
                            "customer": c,
                            "invoice": invoice_id,
                            "payment": payment_id,
                            "kind": "payment",
                            "amount_fen": -amount,
                            "created_at": at,
                        }
                    )
            ArEntry.insert_many(entries).execute()
            for c, kind, amount, _ in plan:
                if kind != "paid":
                    Customer.update(balance_fen=Customer.balance_fen + amount).where(
                        Customer.id == c
                    ).execute()


def timed(label: str, fn, results: dict[str, float]) -> None:  # type: ignore[no-untyped-def]
    started = time.perf_counter()
    outcome = fn()
    results[label] = time.perf_counter() - started
    print(f"    {label:<10} {results[label]:8.2f} s   {outcome}", flush=True)


def run_size(customers: int, admin_url: str) -> dict[str, float]:
    import psycopg2

    from backend import clock, migrate, runtime
    from backend.config import load_settings
    from backend.db import db, make_database
    from backend.jobs import dispatch
    from backend.receivables.credit import dunning, interest, scoring

    name = f"yecai_bench_credit_{uuid.uuid4().hex[:8]}"
    admin = psycopg2.connect(admin_url.replace("postgresql://", "postgres://"))
    admin.autocommit = True
    admin.cursor().execute(f'CREATE DATABASE "{name}"')
    url = admin_url.rsplit("/", 1)[0] + "/" + name
    try:
        database = make_database(url, pool_size=2)
        migrate.upgrade(database)
        database.close_all()  # type: ignore[attr-defined]
        runtime.configure(
            load_settings(environ={}, database_url=url, secret_key="bench", instance_dir="/tmp")
        )
        dispatch.deliver = lambda ids: None  # the sends are the outbox's business, not the night's
        clock.travel_to(_noon(TODAY))
        rng = random.Random(customers)
        started = time.perf_counter()
        seed(customers, rng)
        print(f"  {customers:>7} customers seeded in {time.perf_counter() - started:.1f} s", flush=True)
        results: dict[str, float] = {}
        month_end = TODAY - dt.timedelta(days=1)
        timed("scoring", lambda: scoring.score_all(TODAY), results)
        timed("dunning", lambda: dunning.plan(TODAY), results)
        timed("interest", lambda: interest.post_interest(month_end, since=month_end.replace(day=1)), results)
        results["total"] = sum(results.values())
        return results
    finally:
        if not db.is_closed():
            db.close()
        if hasattr(db.obj, "close_all"):
            db.obj.close_all()
        admin.cursor().execute(
            "SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = %s AND pid <> pg_backend_pid()",
            (name,),
        )
        admin.cursor().execute(f'DROP DATABASE IF EXISTS "{name}"')
        admin.close()


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--sizes", default="500,10000,100000")
    parser.add_argument("--admin-url", default=ADMIN_URL)
    args = parser.parse_args()
    sizes = [int(s) for s in args.sizes.split(",")]
    table = []
    for size in sizes:
        print(f"{size} credit customers", flush=True)
        table.append((size, run_size(size, args.admin_url)))
    print()
    print(
        f"{'customers':>10} {'scoring s':>10} {'dunning s':>10} {'interest s':>10} {'total s':>9} {'s per 1000':>11} {'vs smallest':>12}"
    )
    base = table[0][1]["total"] / table[0][0]
    for size, r in table:
        per = r["total"] / size
        print(
            f"{size:>10} {r['scoring']:>10.2f} {r['dunning']:>10.2f} {r['interest']:>10.2f} {r['total']:>9.2f} "
            f"{per * 1000:>11.3f} {per / base:>11.2f}x"
        )


if __name__ == "__main__":
    main()
