"""Pricing a 50-line order for a distributor with 5 overlapping price lists: the app's time per order.

Creates a fresh PostgreSQL database (or uses SQLite with --sqlite), migrates it and seeds through the
real services: 50 SKUs, a distributor in a grade, and five lists that all cover every SKU with three
quantity breaks each (the distributor's own list and an own promotion at a higher priority, the
grade's list and a grade promotion, the distributor channel's list). Then it prices the same
50-line order --orders times with `store.pricing.price_lines`, the one function the order, the cart
and the quote all use, and prints the app time per order (median, p95) against the floor: the same
SELECT sent bare through the driver. Goal: under 5 ms per order.

    .venv/bin/python bench/pricing.py                 # PostgreSQL at 127.0.0.1:5432 (user postgres)
    .venv/bin/python bench/pricing.py --sqlite        # the embedded default
    .venv/bin/python bench/pricing.py --orders 2000 --lines 50
"""

from __future__ import annotations

import argparse
import statistics
import sys
import tempfile
import time
import uuid
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))


def seed(url: str, lines: int) -> dict[str, Any]:
    from backend import migrate, wiring
    from backend.config import load_settings
    from store import catalog
    from store.distribution import price_lists as pl

    database = wiring.configure(load_settings(database_url=url, secret_key="bench-secret-key-0123456789"))
    migrate.upgrade(database)
    catalog.create_warehouse("MAIN", "主仓")
    product = catalog.create_product("压测葡萄酒")
    skus = [
        catalog.create_sku(product.id, name=f"SKU {n}", price_fen=10000 + n, distributor_price_fen=8000)
        for n in range(lines)
    ]
    grade = pl.create_grade("一级经销商")
    customer = catalog.create_customer(
        "distributor", "压测酒行", credit_limit_fen=10**9, payment_terms_days=30
    )
    pl.set_grade(customer.id, grade.id)

    def items(base: int) -> list[dict[str, int]]:
        return [
            {"sku_id": s.id, "min_quantity": q, "price_fen": base - step}
            for s in skus
            for q, step in ((1, 0), (12, 100), (60, 300))
        ]

    pl.create_price_list("专属价", "customer", customer_id=customer.id, items=items(7000))
    pl.create_price_list("专属促销", "customer", customer_id=customer.id, priority=1, items=items(6800))
    pl.create_price_list("一级价", "grade", grade_id=grade.id, items=items(7500))
    pl.create_price_list("一级促销", "grade", grade_id=grade.id, priority=1, items=items(7300))
    pl.create_price_list("经销渠道价", "channel", channel="distributor", items=items(7800))
    # Lists of other customers and grades, so the query has to pick ours out of a realistic table.
    for n in range(200):
        other = catalog.create_customer("distributor", f"别家 {n}")
        pl.create_price_list(f"别家 {n}", "customer", customer_id=other.id, items=items(6000)[:30])
    return {"database": database, "customer": customer, "skus": skus}


def floor_query(database: Any, customer_id: int, lines: list[tuple[int, int]]) -> None:
    """The statement pricing sends, bare through the driver's own cursor (no peewee, no Python
    resolution): the floor the app's time is compared with."""
    from backend import clock
    from store import pricing

    p = database.param
    sql = pricing._BEST_BREAKS.format(values=", ".join(f"({p}, {p}, {p})" for _ in lines), p=p)
    params: list[Any] = [x for n, (sku, quantity) in enumerate(lines) for x in (n, sku, quantity)]
    now = clock.now()
    cursor = database.connection().cursor()
    cursor.execute(sql, [*params, True, now, now, "distributor", customer_id, customer_id])
    cursor.fetchall()


def timed(fn: Any, runs: int) -> list[float]:
    times = []
    for _ in range(runs):
        start = time.perf_counter()
        fn()
        times.append((time.perf_counter() - start) * 1000)
    return times


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--admin-url", default="postgresql://postgres@127.0.0.1:5432/test")
    parser.add_argument("--sqlite", action="store_true")
    parser.add_argument("--orders", type=int, default=1000)
    parser.add_argument("--lines", type=int, default=50)
    args = parser.parse_args()

    admin = None
    if args.sqlite:
        url = f"sqlite:///{tempfile.mkdtemp()}/bench.sqlite3"
    else:
        import psycopg2

        dbname = f"yecai_bench_{uuid.uuid4().hex[:8]}"
        admin = psycopg2.connect(args.admin_url)
        admin.autocommit = True
        admin.cursor().execute(f'CREATE DATABASE "{dbname}"')
        url = f"{args.admin_url.rsplit('/', 1)[0]}/{dbname}"
    try:
        seeded = seed(url, args.lines)
        from store import pricing

        customer, skus, database = seeded["customer"], seeded["skus"], seeded["database"]
        order = [(s, (1, 12, 60, 5)[n % 4]) for n, s in enumerate(skus)]
        prices = pricing.price_lines(customer, "distributor", order)
        assert {p.rule for p in prices} == {"customer_list"}, prices
        assert prices[1].unit_price_fen == 6800 - 100  # the own promotion's 12-unit break
        timed(lambda: pricing.price_lines(customer, "distributor", order), 50)  # warm up
        app = timed(lambda: pricing.price_lines(customer, "distributor", order), args.orders)
        bare = [(s.id, q) for s, q in order]
        floor = timed(lambda: floor_query(database, customer.id, bare), args.orders)
        kind = "SQLite" if args.sqlite else "PostgreSQL"
        med_app, med_floor = statistics.median(app), statistics.median(floor)
        p95_app = sorted(app)[int(0.95 * (len(app) - 1))]
        p95_floor = sorted(floor)[int(0.95 * (len(floor) - 1))]
        print(
            f"pricing a {args.lines}-line order, 5 overlapping lists x 3 breaks, {kind}, {args.orders} orders"
        )
        print(f"  app  (store.pricing.price_lines): median {med_app:.2f} ms  p95 {p95_app:.2f} ms per order")
        print(f"  floor (its SQL, bare cursor):       median {med_floor:.2f} ms  p95 {p95_floor:.2f} ms")
        verdict = "met" if med_app < 5 else "NOT met"
        print(
            f"  app / floor (median): {med_app / med_floor:.2f}x   goal < 5 ms per order (median): {verdict}"
        )
    finally:
        if admin is not None:
            from backend.db import db

            if hasattr(db.obj, "close_all"):
                db.obj.close_all()
            admin.cursor().execute(f'DROP DATABASE IF EXISTS "{dbname}"')


if __name__ == "__main__":
    main()
