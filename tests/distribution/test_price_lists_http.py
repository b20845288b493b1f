"""Price lists over HTTP: the owner keeps them (audited), bad lists are refused at save and change
nothing, a distributor sees only the lists that price them, staff quote a customer's price with the
rule that won and the last price paid, and the order line records the rule."""

from __future__ import annotations

import json

from tests.distribution.conftest import Trade
from tests.platform.test_errors import assert_error


def _post(client, path, body, headers, key):
    return client.post(path, json=body, headers={**headers, "Idempotency-Key": key})


def _grade_list(client, trade: Trade, key="gl-1", **overrides):
    body = {
        "name": "一级价",
        "scope": "grade",
        "grade_id": trade.grade_a.id,
        "items": [
            {"sku_id": trade.red.id, "min_quantity": 1, "price_fen": 7500},
            {"sku_id": trade.red.id, "min_quantity": 12, "price_fen": 7200},
        ],
    } | overrides
    return _post(client, "/api/price-lists", body, trade.owner, key)


def test_owner_keeps_lists_and_bad_ones_are_refused_at_save(client, trade, unchanged):
    made = _grade_list(client, trade)
    assert made.status_code == 201, made.json
    assert [(i["sku_id"], i["min_quantity"], i["price_fen"]) for i in made.json["items"]] == [
        (trade.red.id, 1, 7500),
        (trade.red.id, 12, 7200),
    ]
    with unchanged():
        # same grade, same priority, both always valid: which would win?
        error = assert_error(_grade_list(client, trade, key="gl-2", name="重复"), 409, "price_list_overlap")
        assert error["details"]["other_price_list_id"] == made.json["id"]
        items = [
            {"sku_id": trade.red.id, "min_quantity": 12, "price_fen": 7200},
            {"sku_id": trade.red.id, "min_quantity": 6, "price_fen": 7500},
        ]
        assert_error(
            _grade_list(client, trade, key="gl-3", priority=1, items=items), 422, "breaks_out_of_order"
        )
        rising = [
            {"sku_id": trade.red.id, "min_quantity": 1, "price_fen": 7000},
            {"sku_id": trade.red.id, "min_quantity": 6, "price_fen": 7500},
        ]
        assert_error(
            _grade_list(client, trade, key="gl-4", priority=1, items=rising), 422, "breaks_out_of_order"
        )
        negative = [{"sku_id": trade.red.id, "price_fen": -1}]
        assert_error(
            _grade_list(client, trade, key="gl-5", priority=1, items=negative), 422, "negative_price"
        )
        assert_error(
            _post(
                client,
                f"/api/price-lists/{made.json['id']}/import",
                {"items": negative},
                trade.owner,
                "imp-bad",
            ),
            422,
            "negative_price",
        )
        assert_error(
            _grade_list(client, trade, key="gl-6", priority=1, customer_id=1), 422, "invalid_price_list"
        )
        assert_error(
            _post(
                client,
                "/api/price-lists",
                {"name": "x", "scope": "grade", "grade_id": 1},
                trade.staff,
                "gl-7",
            ),
            403,
            "forbidden",
        )
    # a later, non-overlapping window at the same priority is fine
    later = _grade_list(
        client, trade, key="gl-8", name="明年", valid_from="2027-01-01T00:00:00+08:00", items=[]
    )
    assert later.status_code == 409  # the first list is open-ended: it still overlaps
    window = client.patch(
        f"/api/price-lists/{made.json['id']}",
        json={"valid_to": "2027-01-01T00:00:00+08:00"},
        headers=trade.owner,
    )
    assert window.status_code == 200, window.json
    assert window.json["valid_to"] == "2027-01-01T00:00:00+08:00"
    later = _grade_list(
        client, trade, key="gl-9", name="明年", valid_from="2027-01-01T00:00:00+08:00", items=[]
    )
    assert later.status_code == 201, later.json


def test_bulk_changes_are_audited(client, trade):
    made = _grade_list(client, trade).json
    raised = _post(
        client, f"/api/price-lists/{made['id']}/percent-change", {"percent_bp": 550}, trade.owner, "pct-1"
    )
    assert raised.status_code == 201, raised.json
    assert raised.json["breaks_changed"] == 2
    detail = client.get(f"/api/price-lists/{made['id']}", headers=trade.staff).json
    assert [i["price_fen"] for i in detail["items"]] == [7913, 7596]  # 7500 x 1.055 = 7912.5 -> 7913
    imported = _post(
        client,
        f"/api/price-lists/{made['id']}/import",
        {
            "items": [
                {"sku_id": trade.white.id, "price_fen": 5000},
                {"sku_id": trade.red.id, "price_fen": 7000},
            ]
        },
        trade.owner,
        "imp-1",
    )
    assert imported.status_code == 201, imported.json
    detail = client.get(f"/api/price-lists/{made['id']}", headers=trade.staff).json
    assert [(i["sku_id"], i["min_quantity"], i["price_fen"]) for i in detail["items"]] == [
        (trade.red.id, 1, 7000),
        (trade.white.id, 1, 5000),
    ]
    assert_error(
        _post(
            client,
            f"/api/price-lists/{made['id']}/percent-change",
            {"percent_bp": -10000},
            trade.owner,
            "pct-2",
        ),
        422,
        "invalid_percent",
    )
    log = client.get("/api/audit-log", headers=trade.owner).json["items"]
    actions = [
        (e["action"], json.loads(e["detail"]) if isinstance(e["detail"], str) else e["detail"]) for e in log
    ]
    changed = [d for a, d in actions if a == "price_list.change_by_percent"]
    assert changed and changed[0]["percent_bp"] == 550 and changed[0]["breaks"] == 2
    assert any(a == "price_list.import" for a, _ in actions)
    assert any(a == "price_list.create" for a, _ in actions)


def test_a_distributor_sees_only_the_lists_that_price_them(client, trade, distributor):
    a = distributor("甲酒行", grade=trade.grade_a)
    b = distributor("乙酒行", grade=trade.grade_b)
    grade_list = _grade_list(client, trade).json
    own_b = _post(
        client,
        "/api/price-lists",
        {
            "name": "乙专属",
            "scope": "customer",
            "customer_id": b.customer.id,
            "items": [{"sku_id": trade.red.id, "price_fen": 6000}],
        },
        trade.owner,
        "own-b",
    ).json
    assert client.get(f"/api/price-lists/{grade_list['id']}", headers=a.headers).status_code == 200
    assert_error(
        client.get(f"/api/price-lists/{own_b['id']}", headers=a.headers), 404, "price_list_not_found"
    )
    assert_error(
        client.get(f"/api/price-lists/{grade_list['id']}", headers=b.headers), 404, "price_list_not_found"
    )
    assert [p["id"] for p in client.get("/api/price-lists", headers=a.headers).json["items"]] == [
        grade_list["id"]
    ]
    assert [p["id"] for p in client.get("/api/price-lists", headers=b.headers).json["items"]] == [own_b["id"]]
    mine = client.get(f"/api/my/prices?sku_id={trade.red.id}&quantity=12", headers=a.headers).json
    assert [(i["unit_price_fen"], i["rule"], i["min_quantity"]) for i in mine["items"]] == [
        (7200, "grade_list", 12)
    ]


def test_staff_quote_a_customer_with_the_last_price_paid(client, trade, distributor):
    a = distributor("甲酒行", grade=trade.grade_a)
    grade_list = _grade_list(client, trade).json
    placed = _post(
        client,
        "/api/orders",
        {"items": [{"sku_id": trade.red.id, "quantity": 12}], "on_account": True},
        a.headers,
        "o-1",
    )
    assert placed.status_code == 201, placed.json
    assert (placed.json["lines"][0]["unit_price_fen"], placed.json["total_fen"]) == (7200, 86400)
    from backend.kernel.models import OrderLine

    line = OrderLine.get_by_id(placed.json["lines"][0]["id"])
    assert (line.price_rule, line.price_list_id) == ("grade_list", grade_list["id"])

    quote = client.get(
        f"/api/customers/{a.customer.id}/prices?sku_id={trade.red.id}&sku_id={trade.white.id}&quantity=2&channel=distributor",
        headers=trade.staff,
    )
    assert quote.status_code == 200, quote.json
    red, white = quote.json["items"]
    assert (red["unit_price_fen"], red["rule"], red["price_list_id"], red["retail_price_fen"]) == (
        7500,
        "grade_list",
        grade_list["id"],
        10000,
    )
    assert (
        red["last_paid"]["unit_price_fen"],
        red["last_paid"]["quantity"],
        red["last_paid"]["order_id"],
    ) == (
        7200,
        12,
        placed.json["id"],
    )
    assert (white["unit_price_fen"], white["rule"], white["last_paid"]) == (6000, "retail", None)
    assert_error(
        client.get(f"/api/customers/{a.customer.id}/prices?sku_id={trade.red.id}", headers=a.headers),
        403,
        "forbidden",
    )
    assert_error(
        client.get(f"/api/customers/{a.customer.id}/prices?sku_id=999", headers=trade.staff),
        422,
        "unknown_sku",
    )


def test_the_checks_hold_and_see_a_break_written_out_of_order(app, trade):
    from store.distribution import price_lists as pl
    from store.distribution.models import PriceListItem
    from tests.payments.conftest import checks_clean

    made = pl.create_price_list(
        "一级价",
        "grade",
        grade_id=trade.grade_a.id,
        items=[
            {"sku_id": trade.red.id, "price_fen": 7500},
            {"sku_id": trade.red.id, "min_quantity": 6, "price_fen": 7000},
        ],
    )
    assert checks_clean() == []
    PriceListItem.update(price_fen=9000).where(
        PriceListItem.min_quantity == 6
    ).execute()  # behind the rules' back
    assert checks_clean() == [
        "price lists: each SKU's breaks rise in quantity and never rise in price: "
        f"price list {made.id} SKU {trade.red.id}: 9000 fen from 6 units is above the smaller break's 7500"
    ]
