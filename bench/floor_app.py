"""The floor under the app: a bare Flask view that runs `place_and_pay.pgbench` through psycopg2.

No ORM, no authentication, no validation, no idempotency logic, no outbox hand-over: the same SQL
statements pgbench sends, one round trip each, behind the same gunicorn and HTTP client as the app.
`place_and_pay.py --floor` serves it next to the app, so the table shows how much of the gap to
pgbench is HTTP + Python + CPU sharing on this machine, before any of yecai's own code runs.

The statements are read from the pgbench script itself (one source of the SQL): `:name` becomes a
psycopg2 parameter, `\\gset` stores the returned columns for the statements that follow.
Environment: FLOOR_DATABASE_URL, FLOOR_WAREHOUSE, FLOOR_CUSTOMER.
"""

from __future__ import annotations

import os
import re
import threading
from pathlib import Path
from typing import Any

import psycopg2
from flask import Flask, jsonify, request

SCRIPT = Path(__file__).with_name("place_and_pay.pgbench")


def _statements() -> list[tuple[str, bool]]:
    """(SQL with %(name)s parameters, stores its row with \\gset) for each statement of the script."""
    statements: list[tuple[str, bool]] = []
    pending: list[str] = []
    for line in SCRIPT.read_text().splitlines():
        if not line.strip() or line.startswith(("--", "\\")):
            continue
        pending.append(line.strip())
        if line.endswith((";", "\\gset")):  # pgbench ends a statement at ';' or at \\gset
            sql, gset = " ".join(pending), line.endswith("\\gset")
            pending = []
            sql = sql.removesuffix("\\gset").strip().rstrip(";")
            if sql not in ("BEGIN", "COMMIT"):
                statements.append((re.sub(r"(?<!:):([a-z_]+)", r"%(\1)s", sql), gset))
    return statements


STATEMENTS = _statements()
app = Flask(__name__)
_local = threading.local()


def _connection() -> Any:
    if getattr(_local, "conn", None) is None:
        _local.conn = psycopg2.connect(os.environ["FLOOR_DATABASE_URL"])
    return _local.conn


@app.post("/api/counter-sales")
def counter_sale() -> Any:
    item = request.get_json()["items"][0]
    values: dict[str, Any] = {
        "sku": int(item["sku_id"]),
        "qty": int(item["quantity"]),
        "wh": int(os.environ["FLOOR_WAREHOUSE"]),
        "cust": int(os.environ["FLOOR_CUSTOMER"]),
    }
    conn = _connection()
    with conn, conn.cursor() as cursor:  # one transaction: commit on success, roll back on error
        for sql, gset in STATEMENTS:
            cursor.execute(sql, values)
            if gset:
                names = [column.name for column in cursor.description]
                values.update(zip(names, cursor.fetchone(), strict=True))
    return jsonify(id=values["order_id"], status="shipped"), 201
