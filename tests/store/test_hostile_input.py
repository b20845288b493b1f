"""Hostile input gets a clear 4xx in the one error shape and changes nothing, never a 500.

Every probe is fired at a representative set of endpoints (creating POSTs with an Idempotency-Key,
PATCHes, query strings, path ids) on SQLite and on PostgreSQL: JSON nested very deep, numbers with
thousands of digits, lone surrogates, NUL characters, integers beyond 64 bits, totals that overflow
when multiplied out, dates far outside any business range, references to rows that do not exist,
and a WeChat bill for a day that has not happened yet.
"""

from __future__ import annotations

import datetime as dt
import json
from typing import Any

from tests.platform.test_errors import assert_error

HUGE = "9" * 23  # beyond 2**64
TOO_LONG = "1" * 5000  # past Python's int-parsing limit
DEEP = "[" * 10_000 + "]" * 10_000
ABSENT = 987_654  # an id no row has

# (what is sent, expected status, expected code); raw bodies go as bytes.
BODY_PROBES: list[tuple[str, str, int, str]] = [
    ("deep", DEEP, 400, "json_too_deep"),
    ("deeper-than-32", '{"name": "x", "quantity": ' + "[" * 33 + "]" * 33 + "}", 400, "json_too_deep"),
    ("deep-object", '{"name":' + DEEP + "}", 400, "json_too_deep"),
    ("long-number", '{"name": "x", "quantity": ' + TOO_LONG + "}", 400, "number_too_long"),
    ("lone-surrogate", '{"name": "\\ud800", "quantity": 1}', 422, "invalid_text"),
    ("nul", '{"name": "a\\u0000b", "quantity": 1}', 422, "invalid_text"),
    (
        "int-beyond-64-bits",
        '{"name": "x", "sku_id": ' + HUGE + ', "quantity": 1}',
        422,
        "number_out_of_range",
    ),
    ("float-beyond-64-bits", '{"name": "x", "sku_id": 1e300, "quantity": 1}', 422, "number_out_of_range"),
]


def _send(
    client: Any, method: str, path: str, headers: dict[str, str], body: Any = None, key: str = ""
) -> Any:
    headers = {**headers, "Idempotency-Key": key} if key and method in ("POST", "PUT") else headers
    if isinstance(body, str):
        return client.open(
            path, method=method, data=body.encode(), content_type="application/json", headers=headers
        )
    return client.open(path, method=method, json=body, headers=headers)


def _check(results: list[str], name: str, response: Any, status: int, code: str) -> None:
    """Collect mismatches instead of stopping at the first, so the report counts every 500."""
    got = (
        response.status_code,
        (response.json or {}).get("error", {}).get("code") if response.is_json else None,
    )
    if got != (status, code):
        results.append(f"{name}: got {got}, want {(status, code)}")
        return
    assert_error(response, status, code)


def test_hostile_input_is_a_clear_4xx_and_changes_nothing(client, shop, shopper, unchanged, wechat_sandbox):
    from store import catalog

    alice = shopper("王小姐")
    address = f"/api/addresses/{alice.address_id}"
    # Ten SKUs at the highest allowed price: a million of each overflows a 64-bit total.
    dear = [catalog.create_sku(shop.wine.id, name=f"整箱{i}", price_fen=10**12).id for i in range(10)]
    staff, buyer = shop.staff, alice.headers
    targets = [
        ("POST", "/api/products", staff),
        ("POST", "/api/cart/items", buyer),
        ("PATCH", address, buyer),
        ("POST", "/api/orders", staff),
        ("PATCH", f"/api/products/{shop.wine.id}", staff),
    ]
    problems: list[str] = []
    tried = 0
    with unchanged():
        for method, path, headers in targets:
            for name, body, status, code in BODY_PROBES:
                tried += 1
                response = _send(client, method, path, headers, body, key=f"{name}-{path}")
                _check(problems, f"{method} {path} {name}", response, status, code)

        for path in (
            f"/api/orders/{HUGE}",
            f"/api/orders/{TOO_LONG}",
            f"/api/shop/products/{2**63}",
            f"/api/shop/orders/{HUGE}",
            f"/api/customers/{HUGE}/account",
        ):
            tried += 1
            _check(problems, f"GET {path[:40]}", client.get(path, headers=staff), 404, "not_found")
        tried += 1
        _check(
            problems,
            "PATCH cart item huge id",
            client.patch(f"/api/cart/items/{HUGE}", json={"quantity": 1}, headers=buyer),
            404,
            "not_found",
        )

        for path, status, code in (
            ("/api/shop/products?q=%00", 422, "invalid_text"),
            ("/api/shop/products?q=a%00b", 422, "invalid_text"),
            (f"/api/shop/products?category_id={HUGE}", 422, "number_out_of_range"),
            (f"/api/stock-levels?sku_id={HUGE}", 422, "number_out_of_range"),
            (f"/api/orders?limit={TOO_LONG}", 422, "validation_failed"),
            ("/api/reports/sales?day=0001-01-01", 422, "date_out_of_range"),
            ("/api/orders?created_from=0001-01-01", 422, "date_out_of_range"),
            ("/api/orders?created_to=9999-12-31", 422, "date_out_of_range"),
            ("/api/reports/sales?day=9999-12-31", 422, "date_out_of_range"),
            ("/api/reports/receivables-aging?as_of=9999-12-31", 422, "date_out_of_range"),
            ("/api/payments/reconciliations/9999-12-31", 404, "reconciliation_not_found"),
        ):
            tried += 1
            headers = buyer if path.startswith("/api/shop") else shop.owner
            _check(problems, f"GET {path}", client.get(path, headers=headers), status, code)

        coupon = {"name": "券", "amount_off_fen": 100, "valid_from": "2026-01-01T00:00:00+08:00"}
        for name, fields in (
            ("year-1", {"valid_until": "0001-01-01T00:00:00+08:00"}),
            ("year-9999", {"valid_until": "9999-12-31T23:59:59+08:00"}),
            ("naive-year-1", {"valid_from": "0001-01-01T00:00:00"}),
        ):
            tried += 1
            response = _send(
                client, "POST", "/api/coupons", staff, {**coupon, **fields}, key=f"coupon-{name}"
            )
            _check(problems, f"coupon {name}", response, 422, "date_out_of_range")

        for name, path, headers, body, status, code in (
            (
                "cart absent sku",
                "/api/cart/items",
                buyer,
                {"sku_id": ABSENT, "quantity": 1},
                422,
                "off_sale",
            ),
            (
                "order absent sku",
                "/api/orders",
                staff,
                {"items": [{"sku_id": ABSENT, "quantity": 1}]},
                422,
                "unknown_sku",
            ),
            (
                "order absent customer",
                "/api/orders",
                staff,
                {"items": [{"sku_id": shop.sku.id, "quantity": 1}], "customer_id": ABSENT},
                404,
                "unknown_customer",
            ),
            (
                "receipt absent sku",
                "/api/stock-receipts",
                staff,
                {"sku_id": ABSENT, "warehouse_id": shop.warehouse.id, "quantity": 1, "unit_cost_fen": 1},
                422,
                "unknown_sku",
            ),
            (
                "receipt absent warehouse",
                "/api/stock-receipts",
                staff,
                {"sku_id": shop.sku.id, "warehouse_id": ABSENT, "quantity": 1, "unit_cost_fen": 1},
                422,
                "unknown_warehouse",
            ),
            (
                "sku absent product",
                "/api/skus",
                staff,
                {"product_id": ABSENT, "name": "x", "price_fen": 1},
                422,
                "unknown_product",
            ),
            (
                "customer absent user",
                "/api/customers",
                staff,
                {"name": "x", "kind": "distributor", "user_id": ABSENT},
                422,
                "invalid_customer",
            ),
            ("checkout absent address", "/api/checkout", buyer, {"address_id": ABSENT}, 422, "empty_cart"),
            (
                "total beyond 64 bits",
                "/api/orders",
                staff,
                {"items": [{"sku_id": sku, "quantity": 1_000_000} for sku in dear]},
                422,
                "amount_too_large",
            ),
        ):
            tried += 1
            _check(problems, name, _send(client, "POST", path, headers, body, key=name), status, code)

    from payments.models import ReconciliationReport

    tomorrow = (wechat_sandbox.clock.datetime() + dt.timedelta(days=1)).date().isoformat()
    tried += 1
    response = _send(
        client, "POST", "/api/payments/reconciliations", shop.owner, {"bill_date": tomorrow}, key="bill"
    )
    _check(problems, "bill for a future day", response, 422, "bill_not_available")
    assert ReconciliationReport.select().count() == 0

    server_errors = [p for p in problems if "got (5" in p]
    print(json.dumps({"tried": tried, "server_errors": len(server_errors), "mismatches": len(problems)}))
    print("\n".join(problems))
    assert problems == []
