"""A busy shop's history, written in bulk SQL: `yecai generate --orders 1000000 --days 730`.

For measuring the dashboard at scale (bench/dashboard.py), not for production databases. PostgreSQL
only, into a database with no orders yet. Every row is what the services would have written for the
same sales, so `yecai check` passes afterwards:

- a catalog of SKUs at VAT-inclusive prices (13% or 9% VAT) with a fixed unit cost each, received
  into stock before the first day (Dr 1405 / Cr 2202) so that the stock left equals its valuation;
- orders over the last `days` business days in the merchant's time zone, from 08:00 to 22:00, by
  channel: half over the counter (walk-in buyers and members; cash or WeChat), a third through the
  mini-program (members; WeChat), the rest distributors on account; one to three lines each;
- for each order its invoice and receivable entries, its money (receivables payment and the payment
  record WeChat would have), the sale voucher and the cost-of-goods voucher, its stock issue;
- distributors pay most invoices by bank transfer before or somewhat after they fall due (the
  collection voucher, Dr 1002 / Cr 1122); the rest stay open, some overdue. `on_account` sets the
  share of orders sold on account (default 0.15; the rest split between counter and mini-program as
  50:35), `partial` the share of those paid in two parts (a first part of 30-70% on an earlier day,
  the rest when collected, or never), so that aging as of a past day has part-paid invoices to sum;
- WeChat's bill reconciled for every past day but the last two, a few days with differences;
- the closed days rolled up for the dashboard.

The journal's balance trigger and the ledgers' append-only triggers are switched off for the bulk
insert (session_replication_role = replica): every voucher is balanced by construction, and
`yecai check` proves it afterwards.
"""

from __future__ import annotations

import datetime as dt
import time
from collections.abc import Callable
from dataclasses import dataclass, field

from backend import clock
from backend.dashboard import rollup
from backend.db import db, is_postgres, transaction
from backend.kernel.models import Order

SKUS_PER_PRODUCT = 5


@dataclass
class Plan:
    orders: int = 1_000_000
    days: int = 730
    products: int = 40
    members: int = 20_000
    distributors: int = 60
    on_account: float = 0.15  # share of orders sold to distributors on account
    partial: float = 0.0  # share of those paid in two parts
    seed: float = 0.42
    timings: list[tuple[str, float]] = field(default_factory=list)


def _step(plan: Plan, name: str, sql: str, params: dict[str, object], echo: Callable[[str], None]) -> None:
    started = time.perf_counter()
    db.execute_sql(sql, params)
    took = time.perf_counter() - started
    plan.timings.append((name, took))
    echo(f"  {name}: {took:.1f} s")


# Each step is one statement; %(name)s are the plan's parameters. Ids of rows that other rows point
# at are chosen here (base + n), so no step has to read back what an earlier one wrote.
STEPS: tuple[tuple[str, str], ...] = (
    (
        "catalog",
        """
        INSERT INTO warehouse (code, name, created_at) VALUES ('GEN', '生成仓', %(start_ts)s)
          ON CONFLICT (code) DO NOTHING;
        INSERT INTO product (name, created_at, description, image_urls, on_sale)
          SELECT '商品 ' || p, %(start_ts)s, '', '[]', true FROM generate_series(1, %(products)s) p;
        CREATE TEMP TABLE gen_sku ON COMMIT DROP AS
          SELECT row_number() OVER (ORDER BY p.id, s) AS n, p.id AS product_id, s,
                 (300 + floor(random() * 29700))::bigint AS price_fen,
                 CASE WHEN random() < 0.8 THEN 1300 ELSE 900 END AS vat_rate_bp
          FROM product p CROSS JOIN generate_series(1, 5) s
          WHERE p.id > %(product_base)s;
        INSERT INTO sku (product_id, name, barcode, unit, price_fen, distributor_price_fen, vat_rate_bp,
                         active, created_at)
          SELECT product_id, '规格 ' || s, '69' || lpad((%(sku_base)s + n)::text, 11, '0'), '件',
                 price_fen, price_fen * 8 / 10, vat_rate_bp, true, %(start_ts)s
          FROM gen_sku ORDER BY n;
        CREATE TEMP TABLE gen_cost ON COMMIT DROP AS
          SELECT id AS sku_id, row_number() OVER (ORDER BY id) AS n, vat_rate_bp,
                 price_fen, distributor_price_fen,
                 -- a unit cost of about 55 per cent of the net price, the same for every unit received
                 greatest(1, price_fen * 10000 / (10000 + vat_rate_bp) * 55 / 100) AS unit_cost_fen
          FROM sku WHERE id > %(sku_base)s;
        CREATE UNIQUE INDEX ON gen_cost (n);
        """,
    ),
    (
        "customers",
        """
        INSERT INTO customer (kind, name, phone, credit_limit_fen, payment_terms_days, balance_fen, uninvoiced_fen, created_at)
          SELECT 'walk_in', '散客', NULL, 0, 0, 0, 0, %(start_ts)s
          WHERE NOT EXISTS (SELECT 1 FROM customer WHERE kind = 'walk_in');
        INSERT INTO customer (kind, name, phone, credit_limit_fen, payment_terms_days, balance_fen, uninvoiced_fen, created_at)
          SELECT 'member', '会员 ' || m, '139' || lpad(m::text, 8, '0'), 0, 0, 0, 0, %(start_ts)s
          FROM generate_series(1, %(members)s) m;
        INSERT INTO customer (kind, name, phone, credit_limit_fen, payment_terms_days, balance_fen, uninvoiced_fen, created_at)
          SELECT 'distributor', '批发商 ' || d, '137' || lpad(d::text, 8, '0'),
                 100000000, (ARRAY[15, 30, 30, 45, 60])[1 + d %% 5], 0, 0, %(start_ts)s
          FROM generate_series(1, %(distributors)s) d;
        CREATE TEMP TABLE gen_people ON COMMIT DROP AS
          SELECT kind, array_agg(id ORDER BY id) AS ids FROM customer WHERE id > %(customer_base)s
             OR kind = 'walk_in' GROUP BY kind;
        """,
    ),
    (
        "orders",
        """
        CREATE TEMP TABLE gen_order ON COMMIT DROP AS
          WITH picked AS (
            SELECT n, random() AS r_channel, random() AS r_method, random() AS r_who,
                   -- the shop grows: later days get more orders
                   (%(today)s::date - floor(power(random(), 0.85) * %(days)s)::int) AS day,
                   (interval '8 hours' + random() * interval '14 hours') AS at
            FROM generate_series(1, %(orders)s) n
          )
          SELECT %(order_base)s + row_number() OVER (ORDER BY ts) AS id,
                 row_number() OVER (ORDER BY ts) AS n,  -- in time order, as the app numbers them
                 day, ts, channel, r_method, r_who
          FROM (
            SELECT day, r_method, r_who,
                   least(((day + at) AT TIME ZONE %(zone)s) AT TIME ZONE 'UTC',
                         %(now)s::timestamp - (random() * interval '1 hour')) AS ts,
                   CASE WHEN r_channel >= 1 - %(on_account)s THEN 'distributor'
                        WHEN r_channel < (1 - %(on_account)s) * 50 / 85 THEN 'counter'
                        ELSE 'miniprogram' END AS channel
            FROM picked
          ) timed;
        ALTER TABLE gen_order ADD COLUMN customer_id integer, ADD COLUMN method text;
        UPDATE gen_order o SET
          customer_id = CASE
            WHEN channel = 'distributor' THEN
              d.ids[1 + floor(power(r_who, 2) * array_length(d.ids, 1))::int]
            WHEN channel = 'counter' AND r_who < 0.8 THEN w.ids[1]
            ELSE m.ids[1 + floor(power(r_who, 3) * array_length(m.ids, 1))::int] END,
          method = CASE WHEN channel = 'distributor' THEN 'on_account'
                        WHEN channel = 'counter' AND r_method < 0.35 THEN 'cash' ELSE 'wechat' END
        FROM gen_people d, gen_people w, gen_people m
        WHERE d.kind = 'distributor' AND w.kind = 'walk_in' AND m.kind = 'member';
        -- The business day as the app stores it: the merchant's date of the timestamp.
        UPDATE gen_order SET day = ((ts AT TIME ZONE 'UTC') AT TIME ZONE %(zone)s)::date;
        CREATE UNIQUE INDEX ON gen_order (id);
        CREATE TEMP TABLE gen_pick ON COMMIT DROP AS
          SELECT o.id AS order_id, o.channel, random() AS r_quantity,
                 1 + floor(power(random(), 2) * %(sku_count)s)::int AS sku_n  -- a few SKUs sell most
          FROM gen_order o
          CROSS JOIN LATERAL generate_series(1, 1 + floor(power(random(), 2) * 3)::int + o.id * 0) l;
        CREATE TEMP TABLE gen_line ON COMMIT DROP AS
          SELECT p.order_id, c.sku_id, c.vat_rate_bp, c.unit_cost_fen,
                 CASE WHEN p.channel = 'distributor' THEN 10 + floor(p.r_quantity * 40)::int
                      ELSE 1 + floor(power(p.r_quantity, 3) * 4)::int END AS quantity,
                 CASE WHEN p.channel = 'distributor' THEN c.distributor_price_fen ELSE c.price_fen END
                   AS unit_price_fen
          FROM gen_pick p JOIN gen_cost c ON c.n = p.sku_n;
        ALTER TABLE gen_line ADD COLUMN total_fen bigint, ADD COLUMN vat_fen bigint;
        -- VAT inside a VAT-inclusive total as backend.money splits it: net rounded half up, VAT the rest
        UPDATE gen_line SET total_fen = unit_price_fen * quantity,
          vat_fen = unit_price_fen * quantity
                    - (2 * unit_price_fen * quantity * 10000 + (10000 + vat_rate_bp)) / (2 * (10000 + vat_rate_bp));
        CREATE INDEX ON gen_line (order_id);
        CREATE TEMP TABLE gen_total ON COMMIT DROP AS
          SELECT o.*, t.total_fen, t.vat_fen, t.cost_fen,
                 -- distributors pay most invoices, some late; recent ones are mostly still open
                 CASE WHEN o.channel <> 'distributor' THEN NULL
                      WHEN random() < 0.9 THEN o.day + (floor(random() * (c.payment_terms_days + 25)))::int
                      ELSE NULL END AS collected_on,
                 c.payment_terms_days
          FROM gen_order o
          JOIN (SELECT order_id, sum(total_fen) AS total_fen, sum(vat_fen) AS vat_fen,
                       sum(unit_cost_fen * quantity) AS cost_fen
                FROM gen_line GROUP BY order_id) t ON t.order_id = o.id
          JOIN customer c ON c.id = o.customer_id;
        UPDATE gen_total SET collected_on = NULL WHERE collected_on >= %(today)s::date;
        -- A share of on-account invoices paid in two parts: the first part before the rest (or alone).
        ALTER TABLE gen_total ADD COLUMN part_on date, ADD COLUMN part_fen bigint NOT NULL DEFAULT 0;
        UPDATE gen_total SET
          part_on = day + floor(random() * (coalesce(collected_on, %(today)s::date - 1) - day + 1))::int,
          part_fen = greatest(1, total_fen * (30 + floor(random() * 41))::int / 100)
        WHERE channel = 'distributor' AND random() < %(partial)s AND total_fen > 1
          AND coalesce(collected_on, %(today)s::date - 1) >= day;
        CREATE UNIQUE INDEX ON gen_total (n);
        INSERT INTO sales_order (id, channel, customer_id, warehouse_id, status, total_fen, vat_fen, paid_fen,
                                 refunded_fen, refunded_vat_fen, placed_by, created_at, paid_at, shipped_at,
                                 closed_at, discount_fen)
          SELECT id, channel, customer_id, %(warehouse)s,
                 CASE WHEN channel = 'miniprogram' THEN 'completed'
                      WHEN channel = 'distributor' AND collected_on IS NOT NULL THEN 'paid' ELSE 'shipped' END,
                 total_fen, vat_fen,
                 CASE WHEN channel = 'distributor' AND collected_on IS NULL THEN part_fen ELSE total_fen END,
                 0, 0, NULL, ts,
                 CASE WHEN channel = 'distributor' THEN NULL ELSE ts END, ts + interval '1 minute',
                 CASE WHEN channel = 'miniprogram' THEN ts + interval '3 days' END, 0
          FROM gen_total ORDER BY id;
        INSERT INTO order_line (order_id, sku_id, quantity, unit_price_fen, vat_rate_bp, total_fen, net_fen,
                                vat_fen, cost_fen, discount_fen, returned_quantity, returned_cost_fen)
          SELECT order_id, sku_id, quantity, unit_price_fen, vat_rate_bp, total_fen, total_fen - vat_fen,
                 vat_fen, unit_cost_fen * quantity, 0, 0, 0
          FROM gen_line ORDER BY order_id;
        """,
    ),
    (
        "stock",
        """
        -- Received before the first day: what was sold plus what is left, at the SKU's unit cost.
        CREATE TEMP TABLE gen_stock ON COMMIT DROP AS
          SELECT c.sku_id, c.unit_cost_fen, coalesce(s.sold, 0) AS sold,
                 CASE WHEN c.n %% 17 = 0 THEN floor(random() * 8)::int
                      ELSE 50 + floor(random() * 500)::int END AS left_over
          FROM gen_cost c LEFT JOIN (SELECT sku_id, sum(quantity) AS sold FROM gen_line GROUP BY sku_id) s
            ON s.sku_id = c.sku_id;
        DELETE FROM gen_stock WHERE sold + left_over = 0;
        ALTER TABLE gen_stock ADD COLUMN entry_id bigint;
        UPDATE gen_stock g SET entry_id = %(entry_base)s + r.n
          FROM (SELECT sku_id, row_number() OVER (ORDER BY sku_id) AS n FROM gen_stock) r
          WHERE r.sku_id = g.sku_id;
        INSERT INTO stock_level (sku_id, warehouse_id, on_hand, reserved, value_fen)
          SELECT sku_id, %(warehouse)s, left_over, 0, left_over * unit_cost_fen FROM gen_stock;
        INSERT INTO stock_move (sku_id, warehouse_id, kind, on_hand_delta, reserved_delta, value_delta_fen,
                                order_id, reference, created_at)
          SELECT sku_id, %(warehouse)s, 'receipt', sold + left_over, 0, (sold + left_over) * unit_cost_fen,
                 NULL, 'GEN-PO-' || sku_id, %(start_ts)s
          FROM gen_stock;
        INSERT INTO journal_entry (id, event, memo, source_type, source_id, posted_on, created_at)
          SELECT entry_id, 'stock.received', '采购入库 sku ' || sku_id,
                 'sku', sku_id, %(start_day)s, %(start_ts)s
          FROM gen_stock;
        INSERT INTO journal_line (entry_id, account_code, debit_fen, credit_fen, customer_id)
          SELECT entry_id, a.code,
                 CASE WHEN a.code = '1405' THEN (sold + left_over) * unit_cost_fen ELSE 0 END,
                 CASE WHEN a.code = '2202' THEN (sold + left_over) * unit_cost_fen ELSE 0 END, NULL
          FROM gen_stock CROSS JOIN (VALUES ('1405'), ('2202')) a(code);
        INSERT INTO stock_move (sku_id, warehouse_id, kind, on_hand_delta, reserved_delta, value_delta_fen,
                                order_id, reference, created_at)
          SELECT l.sku_id, %(warehouse)s, 'issue', -l.quantity, 0, -l.quantity * l.unit_cost_fen, l.order_id,
                 'order:' || l.order_id, o.ts + interval '1 minute'
          FROM gen_line l JOIN gen_order o ON o.id = l.order_id;
        """,
    ),
    (
        "money",
        """
        INSERT INTO payment_record (out_trade_no, method, order_id, customer_id, amount_fen, status, outcome,
                                    transaction_id, refunded_fen, last_error, created_at, updated_at,
                                    succeeded_at, wechat_success_time)
          SELECT 'GEN' || n,
                 CASE WHEN method = 'cash' THEN 'cash' WHEN channel = 'counter' THEN 'wechat_codepay'
                      ELSE 'wechat_jsapi' END,
                 id, customer_id, total_fen, 'succeeded', 'captured',
                 CASE WHEN method = 'wechat' THEN 'GT' || lpad(n::text, 26, '0') END, 0, '', ts, ts, ts,
                 CASE WHEN method = 'wechat' THEN ts END
          FROM gen_total WHERE method <> 'on_account' ORDER BY n;
        INSERT INTO payment (id, customer_id, order_id, direction, method, amount_fen, reference, created_at)
          SELECT %(payment_base)s + n, customer_id, id, 'in', method, total_fen,
                 CASE WHEN method = 'wechat' THEN 'GT' || lpad(n::text, 26, '0') ELSE 'gen-cash-' || n END, ts
          FROM gen_total WHERE method <> 'on_account'
          UNION ALL
          SELECT %(payment_base)s + %(orders)s + n, customer_id, NULL, 'in', 'bank_transfer',
                 total_fen - part_fen, 'gen-collection-' || n,
                 ((collected_on + time '10:00') AT TIME ZONE %(zone)s) AT TIME ZONE 'UTC'
          FROM gen_total WHERE collected_on IS NOT NULL
          UNION ALL
          SELECT %(payment_base)s + 2 * %(orders)s + n, customer_id, NULL, 'in', 'bank_transfer', part_fen,
                 'gen-part-' || n, ((part_on + time '10:00') AT TIME ZONE %(zone)s) AT TIME ZONE 'UTC'
          FROM gen_total WHERE part_on IS NOT NULL
          ORDER BY 1;
        INSERT INTO invoice (id, customer_id, order_id, amount_fen, open_fen, issued_on, due_on, created_at)
          SELECT %(invoice_base)s + n, customer_id, id, total_fen,
                 CASE WHEN method = 'on_account' AND collected_on IS NULL THEN total_fen - part_fen ELSE 0 END,
                 day, day + coalesce(CASE WHEN method = 'on_account' THEN payment_terms_days END, 0), ts
          FROM gen_total ORDER BY n;
        INSERT INTO ar_entry (customer_id, invoice_id, payment_id, kind, amount_fen, created_at)
          SELECT customer_id, %(invoice_base)s + n, NULL, 'invoice', total_fen, ts FROM gen_total
          UNION ALL
          SELECT customer_id, %(invoice_base)s + n, %(payment_base)s + n, 'payment', -total_fen, ts
            FROM gen_total WHERE method <> 'on_account'
          UNION ALL
          SELECT customer_id, %(invoice_base)s + n, %(payment_base)s + %(orders)s + n, 'payment',
                 -(total_fen - part_fen),
                 ((collected_on + time '10:00') AT TIME ZONE %(zone)s) AT TIME ZONE 'UTC'
            FROM gen_total WHERE collected_on IS NOT NULL
          UNION ALL
          SELECT customer_id, %(invoice_base)s + n, %(payment_base)s + 2 * %(orders)s + n, 'payment', -part_fen,
                 ((part_on + time '10:00') AT TIME ZONE %(zone)s) AT TIME ZONE 'UTC'
            FROM gen_total WHERE part_on IS NOT NULL;
        UPDATE customer c SET balance_fen = s.open
          FROM (SELECT customer_id, sum(open_fen) AS open FROM invoice
                WHERE id > %(invoice_base)s GROUP BY customer_id) s
          WHERE c.id = s.customer_id;
        """,
    ),
    (
        "journal",
        """
        -- Sale vouchers (ids base + 2n - 1) and cost-of-goods vouchers (base + 2n), then collections.
        INSERT INTO journal_entry (id, event, memo, source_type, source_id, posted_on, created_at)
          SELECT %(sale_entry_base)s + 2 * n - 1,
                 CASE WHEN method = 'on_account' THEN 'order.on_account' ELSE 'order.paid' END,
                 '销售 订单 ' || id, 'order', id, day, ts
          FROM gen_total
          UNION ALL
          SELECT %(sale_entry_base)s + 2 * n, 'order.shipped', '销售出库 订单 ' || id, 'order', id, day,
                 ts + interval '1 minute'
          FROM gen_total WHERE cost_fen > 0
          UNION ALL
          SELECT %(sale_entry_base)s + 2 * %(orders)s + n, 'receivable.collected', '收款 批发商',
                 'payment', %(payment_base)s + %(orders)s + n, collected_on,
                 ((collected_on + time '10:00') AT TIME ZONE %(zone)s) AT TIME ZONE 'UTC'
          FROM gen_total WHERE collected_on IS NOT NULL
          UNION ALL
          SELECT %(sale_entry_base)s + 3 * %(orders)s + n, 'receivable.collected', '收款 批发商 部分',
                 'payment', %(payment_base)s + 2 * %(orders)s + n, part_on,
                 ((part_on + time '10:00') AT TIME ZONE %(zone)s) AT TIME ZONE 'UTC'
          FROM gen_total WHERE part_on IS NOT NULL
          ORDER BY 1;
        -- In entry order, as the app writes them: a day's vouchers and their lines sit together.
        INSERT INTO journal_line (entry_id, account_code, debit_fen, credit_fen, customer_id)
          SELECT * FROM (
            SELECT %(sale_entry_base)s + 2 * n - 1,
                   CASE method WHEN 'cash' THEN '1001' WHEN 'wechat' THEN '1012' ELSE '1122' END,
                   total_fen, 0, CASE WHEN method = 'on_account' THEN customer_id END
              FROM gen_total
            UNION ALL
            SELECT %(sale_entry_base)s + 2 * n - 1, '5001', 0, total_fen - vat_fen, NULL
              FROM gen_total WHERE total_fen > vat_fen
            UNION ALL
            SELECT %(sale_entry_base)s + 2 * n - 1, '2221', 0, vat_fen, NULL FROM gen_total WHERE vat_fen > 0
            UNION ALL
            SELECT %(sale_entry_base)s + 2 * n, '5401', cost_fen, 0, NULL FROM gen_total WHERE cost_fen > 0
            UNION ALL
            SELECT %(sale_entry_base)s + 2 * n, '1405', 0, cost_fen, NULL FROM gen_total WHERE cost_fen > 0
            UNION ALL
            SELECT %(sale_entry_base)s + 2 * %(orders)s + n, '1002', total_fen - part_fen, 0, NULL
              FROM gen_total WHERE collected_on IS NOT NULL
            UNION ALL
            SELECT %(sale_entry_base)s + 2 * %(orders)s + n, '1122', 0, total_fen - part_fen, customer_id
              FROM gen_total WHERE collected_on IS NOT NULL
            UNION ALL
            SELECT %(sale_entry_base)s + 3 * %(orders)s + n, '1002', part_fen, 0, NULL
              FROM gen_total WHERE part_on IS NOT NULL
            UNION ALL
            SELECT %(sale_entry_base)s + 3 * %(orders)s + n, '1122', 0, part_fen, customer_id
              FROM gen_total WHERE part_on IS NOT NULL
          ) v ORDER BY 1;
        """,
    ),
    (
        "reconciliation",
        """
        -- WeChat's bill reconciled each past day but the last two; about one day in fifty differed.
        INSERT INTO reconciliation_report (bill_date, wechat_rows, our_rows, wechat_paid_fen,
                                           wechat_refunded_fen, difference_count, ran_at)
          SELECT day, count(*), count(*), sum(total_fen), 0,
                 CASE WHEN random() < 0.02 THEN 1 ELSE 0 END,
                 ((day + 1 + time '10:00') AT TIME ZONE %(zone)s) AT TIME ZONE 'UTC'
          FROM gen_total WHERE method = 'wechat' AND day < %(today)s::date - 2
          GROUP BY day
          ON CONFLICT (bill_date) DO NOTHING;
        """,
    ),
    (
        "sequences",
        """
        SELECT setval(pg_get_serial_sequence('sales_order', 'id'), (SELECT max(id) FROM sales_order));
        SELECT setval(pg_get_serial_sequence('payment', 'id'), (SELECT max(id) FROM payment));
        SELECT setval(pg_get_serial_sequence('invoice', 'id'), (SELECT max(id) FROM invoice));
        SELECT setval(pg_get_serial_sequence('journal_entry', 'id'), (SELECT max(id) FROM journal_entry));
        """,
    ),
)


def _max_id(table: str) -> int:
    return int(db.execute_sql(f'SELECT coalesce(max(id), 0) FROM "{table}"').fetchone()[0])


def generate(plan: Plan, echo: Callable[[str], None] = print) -> Plan:
    """Write the plan's history; returns it with each step's timing."""
    if not is_postgres():
        raise RuntimeError(
            "the generator writes PostgreSQL's bulk SQL: point YECAI_DATABASE_URL at PostgreSQL"
        )
    if Order.select().exists():
        raise RuntimeError("the database already has orders: generate into an empty one")
    now = clock.now()
    today = clock.today()
    start_day = today - dt.timedelta(days=plan.days)
    params: dict[str, object] = {
        "orders": plan.orders,
        "days": plan.days,
        "products": plan.products,
        "members": plan.members,
        "distributors": plan.distributors,
        "on_account": plan.on_account,
        "partial": plan.partial,
        "sku_count": plan.products * SKUS_PER_PRODUCT,
        "zone": str(clock.zone()),
        "now": now,
        "today": today,
        "start_day": start_day,
        "start_ts": clock.day_bounds(start_day)[0] + dt.timedelta(hours=1),
    }
    with transaction():
        db.execute_sql("SET LOCAL session_replication_role = replica")
        db.execute_sql("SELECT setseed(%s)", (plan.seed,))
        params["product_base"] = _max_id("product")
        params["sku_base"] = _max_id("sku")
        params["customer_base"] = _max_id("customer")
        params["order_base"] = _max_id("sales_order")
        params["payment_base"] = _max_id("payment")
        params["invoice_base"] = _max_id("invoice")
        for name, sql in STEPS[:1]:
            _step(plan, name, sql, params, echo)
        params["warehouse"] = int(db.execute_sql("SELECT id FROM warehouse WHERE code = 'GEN'").fetchone()[0])
        entry_base = _max_id("journal_entry")
        params["entry_base"] = entry_base
        params["sale_entry_base"] = entry_base + plan.products * SKUS_PER_PRODUCT
        for name, sql in STEPS[1:]:
            _step(plan, name, sql, params, echo)
    started = time.perf_counter()
    db.execute_sql("ANALYZE")
    days = rollup.roll_up_closed_days()
    db.execute_sql("VACUUM ANALYZE")  # fresh statistics and visibility, as autovacuum keeps them
    plan.timings.append(("analyze and roll up", time.perf_counter() - started))
    echo(f"  analyze and roll up {days} closed days: {plan.timings[-1][1]:.1f} s")
    return plan
