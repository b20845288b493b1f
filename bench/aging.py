"""Receivables aging as of past days over two years of a busy shop, against a hand-written SQL query
of the same figures, in the same run.

    .venv/bin/python bench/aging.py                        # 1,000,000 invoices over 730 days
    .venv/bin/python bench/aging.py --orders 100000        # a quicker look
    .venv/bin/python bench/aging.py --fresh                # drop the database and generate again

Needs PostgreSQL at 127.0.0.1:5432 (user postgres, trust; `--admin-url` to change). The database
`yecai_bench_aging_<orders>` is generated once (`yecai generate --orders N --days 730 --on-account 0.3
--partial 0.3`: every order has its invoice; 30% are sold on account, most collected later and 30% of
those in two parts; timed) and kept for the next run. For each as-of day it times:

- app: `GET /api/receivables/aging?as_of=` through the whole app (Flask's test client: routing,
  token, schemas, JSON; no network), which sums the receivable entries in SQL;
- reference: one hand-written SQL statement giving the same per-customer, per-bucket sums, sent with
  the same connection and read back;

and prints their medians and the ratio (goal: the app within 2x of the reference), and checks that
both agree to the fen.
"""

from __future__ import annotations

import argparse
import datetime as dt
import statistics
import sys
import time
from collections.abc import Callable
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from bench.databases import ensure_database, timed  # noqa: E402 - after the path is set

PASSWORD = "bench-password-1"

REFERENCE_SQL = """
WITH open_invoice AS (
  SELECT i.id, i.customer_id, i.due_on, sum(e.amount_fen) AS open_fen
  FROM ar_entry e JOIN invoice i ON i.id = e.invoice_id
  WHERE e.created_at < %(end)s AND i.issued_on <= %(as_of)s
  GROUP BY i.id, i.customer_id, i.due_on
  HAVING sum(e.amount_fen) <> 0
)
SELECT customer_id,
       CASE WHEN due_on >= %(as_of)s THEN 'current'
            WHEN due_on >= %(as_of)s::date - 30 THEN '1_30'
            WHEN due_on >= %(as_of)s::date - 60 THEN '31_60'
            WHEN due_on >= %(as_of)s::date - 90 THEN '61_90'
            ELSE 'over_90' END AS bucket,
       sum(open_fen), count(*)
FROM open_invoice
GROUP BY 1, 2
"""


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--orders", type=int, default=1_000_000, help="orders, each with its invoice")
    parser.add_argument("--days", type=int, default=730)
    parser.add_argument("--on-account", type=float, default=0.3)
    parser.add_argument("--partial", type=float, default=0.3)
    parser.add_argument("--rounds", type=int, default=5, help="timed runs of each call")
    parser.add_argument("--back", default="1,30,180,365,700", help="as-of days, this many days ago")
    parser.add_argument("--admin-url", default="postgresql://postgres@127.0.0.1:5432/postgres")
    parser.add_argument("--fresh", action="store_true", help="drop the database and generate it again")
    parser.add_argument("--explain", action="store_true", help="print the plan of the app's query")
    args = parser.parse_args()

    name = f"yecai_bench_aging_{args.orders}"
    url = args.admin_url.rsplit("/", 1)[0] + "/" + name
    must_generate = ensure_database(args.admin_url, name, args.fresh)

    from backend import clock, create_app, migrate
    from backend.auth import services as auth
    from backend.auth.models import User
    from backend.config import load_settings
    from backend.dashboard.generate import Plan, generate
    from backend.db import db
    from backend.receivables import aging

    app = create_app(load_settings(database_url=url, secret_key="bench-secret-key-0123456789"))
    database = db.obj
    migrate.upgrade(database)
    if must_generate:
        print(f"generating {args.orders:,} orders over {args.days} days into {name} ...", flush=True)
        started = time.perf_counter()
        generate(
            Plan(orders=args.orders, days=args.days, on_account=args.on_account, partial=args.partial),
            echo=lambda line: print(line, flush=True),
        )
        print(f"generated in {time.perf_counter() - started:.1f} s", flush=True)
    database.execute_sql("VACUUM ANALYZE ar_entry")  # as autovacuum keeps it after a migration's index
    counts = {
        table: database.execute_sql(f"SELECT count(*) FROM {table}").fetchone()[0]
        for table in ("invoice", "ar_entry", "customer")
    }
    open_now = database.execute_sql("SELECT count(*) FROM invoice WHERE open_fen > 0").fetchone()[0]
    print("rows: " + ", ".join(f"{t} {n:,}" for t, n in counts.items()) + f"; open today {open_now:,}")

    if not User.select().where(User.username == "bench-staff").exists():
        auth.create_user("staff", username="bench-staff", password=PASSWORD)
    client = app.test_client()
    token = client.post("/api/auth/password-login", json={"login": "bench-staff", "password": PASSWORD}).json
    headers = {"Authorization": f"Bearer {token['token']}"}
    today = clock.today()

    def app_call(as_of: dt.date) -> Callable[[], dict[tuple[int, str], int]]:
        def call() -> dict[tuple[int, str], int]:
            response = client.get(f"/api/receivables/aging?as_of={as_of.isoformat()}", headers=headers)
            assert response.status_code == 200, response.get_data(as_text=True)
            return {
                (c["customer_id"], key): fen
                for c in response.json["customers"]
                for key, fen in c["buckets"].items()
                if fen
            }

        return call

    def reference(as_of: dt.date) -> Callable[[], dict[tuple[int, str], int]]:
        params = {"as_of": as_of, "end": clock.day_bounds(as_of)[1]}

        def call() -> dict[tuple[int, str], int]:
            rows = database.execute_sql(REFERENCE_SQL, params).fetchall()
            return {(int(c), str(b)): int(fen) for c, b, fen, _ in rows if fen}

        return call

    print(f"\n{args.rounds} timed runs each (after one warm-up), milliseconds")
    header = f"{'as of':12} {'open invoices':>14} {'open fen':>16} {'app p50':>9} {'app max':>9} {'SQL p50':>9} {'ratio':>6}"
    print(header)
    print("-" * len(header))
    ratios, differ = [], []
    for back in [int(b) for b in args.back.split(",")]:
        as_of = today - dt.timedelta(days=back)
        app_times, got = timed(app_call(as_of), args.rounds)
        ref_times, want = timed(reference(as_of), args.rounds)
        if got != want:
            differ.append(as_of.isoformat())
        report = aging.aging(as_of)
        ratio = statistics.median(app_times) / statistics.median(ref_times)
        ratios.append(ratio)
        print(
            f"{as_of.isoformat():12} {report.invoices:14,} {report.open_fen:16,} {statistics.median(app_times):9.1f} "
            f"{max(app_times):9.1f} {statistics.median(ref_times):9.1f} {ratio:5.2f}x",
            flush=True,
        )
    if args.explain:
        as_of = today - dt.timedelta(days=180)
        sql, params = aging.open_invoices(as_of).sql()
        for (line,) in database.execute_sql("EXPLAIN (ANALYZE, BUFFERS) " + sql, params).fetchall():
            print(line)
    print()
    print(f"app / reference: worst {max(ratios):.2f}x (goal: within 2x)")
    if differ:
        print("DIFFERS FROM the reference on " + ", ".join(differ))
    else:
        print("the app equals the reference to the fen on every day")
    database.close_all()
    if differ:
        sys.exit(1)


if __name__ == "__main__":
    main()
