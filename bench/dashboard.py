"""The owner's dashboard at scale: latency of every dashboard call over a generated busy shop, against
the same figures summed straight from the journal (no roll-up, no partial index) in the same run.

    .venv/bin/python bench/dashboard.py                   # 1,000,000 orders over 730 days
    .venv/bin/python bench/dashboard.py --orders 100000 --rounds 50
    .venv/bin/python bench/dashboard.py --fresh           # drop the database and generate again

Needs PostgreSQL at 127.0.0.1:5432 (user postgres, trust; `--admin-url` to change). The database
`yecai_bench_dashboard_<orders>` is generated once (`yecai generate`, timed) and kept for the next
run. Each call goes through the whole app (routing, token, schemas, JSON) with Flask's test client,
so the figures are the server's time without the network. See bench/README.md.
"""

from __future__ import annotations

import argparse
import datetime as dt
import os
import statistics
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from bench.databases import ensure_database, timed  # noqa: E402 - after the path is set

PASSWORD = "bench-password-1"


def percentile(values: list[float], p: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(p / 100 * (len(ordered) - 1)))]


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--orders", type=int, default=1_000_000)
    parser.add_argument("--days", type=int, default=730)
    parser.add_argument("--rounds", type=int, default=100, help="timed requests per dashboard call")
    parser.add_argument("--baseline-rounds", type=int, default=5, help="timed runs of each baseline")
    parser.add_argument("--admin-url", default="postgresql://postgres@127.0.0.1:5432/postgres")
    parser.add_argument("--fresh", action="store_true", help="drop the database and generate it again")
    args = parser.parse_args()

    name = f"yecai_bench_dashboard_{args.orders}"
    url = args.admin_url.rsplit("/", 1)[0] + "/" + name
    must_generate = ensure_database(args.admin_url, name, args.fresh)

    from backend import create_app, migrate
    from backend.auth import services as auth
    from backend.auth.models import User
    from backend.config import load_settings
    from backend.dashboard import figures
    from backend.dashboard.generate import Plan, generate
    from backend.db import db
    from backend.receivables import aging

    app = create_app(load_settings(database_url=url, secret_key="bench-secret-key-0123456789"))
    database = db.obj
    migrate.upgrade(database)
    # A database left empty by an interrupted or failed generation is generated again.
    if must_generate or not database.execute_sql("SELECT EXISTS (SELECT 1 FROM sales_order)").fetchone()[0]:
        print(f"generating {args.orders} orders over {args.days} days into {name} ...")
        started = time.perf_counter()
        generate(Plan(orders=args.orders, days=args.days))
        print(f"generated in {time.perf_counter() - started:.1f} s")
    else:
        # A database generated before a roll-up was added (monthly tables) catches up here, as the
        # periodic job does on a live shop.
        from backend.dashboard import rollup

        started = time.perf_counter()
        rollup.roll_up_closed_days()
        database.execute_sql("VACUUM ANALYZE")  # as autovacuum would after the catch-up's writes
        print(f"roll-up caught up in {time.perf_counter() - started:.1f} s")
    counts = {
        table: database.execute_sql(f"SELECT count(*) FROM {table}").fetchone()[0]
        for table in ("sales_order", "order_line", "journal_entry", "journal_line", "invoice", "customer")
    }
    print("rows: " + ", ".join(f"{t} {n:,}" for t, n in counts.items()))

    if not User.select().where(User.username == "bench-owner").exists():
        auth.create_user("owner", username="bench-owner", password=PASSWORD)
    client = app.test_client()
    token = client.post("/api/auth/password-login", json={"login": "bench-owner", "password": PASSWORD}).json
    headers = {"Authorization": f"Bearer {token['token']}"}

    from backend import clock

    today = clock.today()

    def days_back(n: int) -> str:
        return (today - dt.timedelta(days=n - 1)).isoformat()

    def get(path: str) -> Callable[[], Any]:
        def call() -> Any:
            response = client.get(path, headers=headers)
            assert response.status_code == 200, response.get_data(as_text=True)
            return response.json

        return call

    def journal_range(n: int) -> Callable[[], dict[str, int]]:
        """The range's totals and per-day figures summed from the journal alone."""

        def call() -> dict[str, int]:
            total = {"revenue": 0, "vat": 0, "cogs": 0, "orders": 0}
            for row in figures.sales(today - dt.timedelta(days=n - 1), today):
                total["revenue"] += row.revenue_fen
                total["vat"] += row.vat_fen
                total["cogs"] += row.cogs_fen
                total["orders"] += row.orders
            return total

        return call

    def journal_top(n: int) -> Callable[[], list[tuple[int, int]]]:
        def call() -> list[tuple[int, int]]:
            totals: dict[int, int] = {}
            for row in figures.customers(today - dt.timedelta(days=n - 1), today):
                totals[row.customer_id] = totals.get(row.customer_id, 0) + row.revenue_fen + row.vat_fen
            products: dict[int, int] = {}
            for p in figures.products(today - dt.timedelta(days=n - 1), today):
                products[p.sku_id] = products.get(p.sku_id, 0) + p.sales_fen
            return sorted(totals.items(), key=lambda kv: (-kv[1], kv[0]))[:10]

        return call

    calls: list[tuple[str, Callable[[], Any], Callable[[], Any] | None, str]] = [
        ("today vs yesterday, last week", get("/api/dashboard/today"), journal_range(8), "journal, 8 days"),
        (
            "sales 30 days",
            get(f"/api/dashboard/sales?from={days_back(30)}&to={today}"),
            journal_range(30),
            "journal",
        ),
        (
            "sales 365 days",
            get(f"/api/dashboard/sales?from={days_back(365)}&to={today}"),
            journal_range(365),
            "journal",
        ),
        (
            "sales 730 days",
            get(f"/api/dashboard/sales?from={days_back(730)}&to={today}"),
            journal_range(730),
            "journal",
        ),
        (
            "top 30 days",
            get(f"/api/dashboard/top?from={days_back(30)}&to={today}"),
            journal_top(30),
            "journal",
        ),
        (
            "top 365 days",
            get(f"/api/dashboard/top?from={days_back(365)}&to={today}"),
            journal_top(365),
            "journal",
        ),
        (
            "receivables",
            get("/api/dashboard/receivables"),
            lambda: aging.aging(from_entries=True),
            "summed from AR entries",
        ),
        ("stock alerts", get("/api/dashboard/stock-alerts"), None, ""),
        (
            "reconciliation 30 days",
            get(f"/api/dashboard/reconciliation?from={days_back(30)}&to={today}"),
            None,
            "",
        ),
    ]
    print(
        f"\n{args.rounds} requests per call (after one warm-up), milliseconds; baseline: {args.baseline_rounds} runs"
    )
    header = f"{'call':32} {'p50':>8} {'p95':>8} {'p99':>8}   {'baseline p50':>12} {'ratio':>7}  baseline"
    print(header)
    print("-" * len(header))
    checks: list[str] = []
    for label, call, baseline, what in calls:
        times, answer = timed(call, args.rounds)
        line = f"{label:32} {percentile(times, 50):8.1f} {percentile(times, 95):8.1f} {percentile(times, 99):8.1f}"
        if baseline is not None:
            base_times, base_answer = timed(baseline, args.baseline_rounds)
            base = statistics.median(base_times)
            line += f"   {base:12.1f} {base / percentile(times, 50):6.1f}x  {what}"
            if label.startswith("sales"):  # the roll-up and the journal agree to the fen
                total = answer["total"]
                same = (total["revenue_fen"], total["vat_fen"], total["cogs_fen"], total["orders"]) == (
                    base_answer["revenue"],
                    base_answer["vat"],
                    base_answer["cogs"],
                    base_answer["orders"],
                )
                checks.append(f"{label}: dashboard {'equals' if same else 'DIFFERS FROM'} the journal")
            if label.startswith("top"):
                same = [(c["customer_id"], c["sales_fen"]) for c in answer["customers"]] == base_answer
                checks.append(f"{label}: top customers {'equal' if same else 'DIFFER FROM'} the journal's")
        print(line, flush=True)
    print()
    for line in checks:
        print(line)
    database.close_all()
    if any("DIFFER" in c for c in checks):
        sys.exit(1)


if __name__ == "__main__":
    os.environ.setdefault("YECAI_SECRET_KEY", "bench-secret-key-0123456789")
    main()
