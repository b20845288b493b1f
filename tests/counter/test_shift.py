"""交班: a staff member's takings by payment method over their shift, and the handover."""

from __future__ import annotations

import datetime as dt
from typing import Any

from backend import clock


def _sell(client: Any, headers: dict[str, str], sku: Any, quantity: int, key: str) -> Any:
    response = client.post(
        "/api/counter-sales",
        json={"items": [{"sku_id": sku.id, "quantity": quantity}]},
        headers={**headers, "Idempotency-Key": key},
    )
    assert response.status_code == 201, response.json
    return response.json


def test_the_shift_starts_with_the_merchants_business_day_and_ends_at_the_handover(
    client: Any, shop: Any, make_user: Any, login: Any
) -> None:
    from backend.audit import AuditEntry

    other = login(make_user("staff"))
    clock.travel_to(dt.datetime(2026, 11, 30, 15, 30))  # 23:30 on 30 November in Shanghai
    _sell(client, shop.staff, shop.tea, 1, "late-night")
    clock.travel_to(dt.datetime(2026, 11, 30, 16, 30))  # 00:30 on 1 December: a new business day
    _sell(client, shop.staff, shop.tea, 2, "morning")
    _sell(client, shop.staff, shop.black, 1, "morning-2")
    _sell(client, other, shop.black, 1, "someone-else")

    shift = client.get("/api/counter/shift", headers=shop.staff).json
    assert shift["started_at"] == "2026-12-01T00:00:00+08:00"
    assert shift["ended_at"] == "2026-12-01T00:30:00+08:00"
    assert shift["takings"] == [
        {"method": "cash", "count": 2, "amount_fen": 2825, "refunded_fen": 0, "net_fen": 2825}
    ]
    assert (shift["total_fen"], shift["expected_cash_fen"]) == (2825, 2825)

    clock.advance(3600)
    handed = client.post(
        "/api/counter/shift/handovers",
        json={"counted_cash_fen": 2800, "note": "少了 25 分"},
        headers={**shop.staff, "Idempotency-Key": "handover-1"},
    )
    assert handed.status_code == 201, handed.json
    assert {
        k: handed.json[k] for k in ("expected_cash_fen", "counted_cash_fen", "difference_fen", "ended_at")
    } == {
        "expected_cash_fen": 2825,
        "counted_cash_fen": 2800,
        "difference_fen": -25,
        "ended_at": "2026-12-01T01:30:00+08:00",
    }
    assert AuditEntry.select().where(AuditEntry.action == "shift.handover").count() == 1

    clock.advance(60)
    after = client.get("/api/counter/shift", headers=shop.staff).json
    assert (after["started_at"], after["takings"], after["total_fen"]) == ("2026-12-01T01:30:00+08:00", [], 0)

    from backend.checks import run_all

    assert [r.problems for r in run_all() if r.name.startswith("shifts:")] == [[], []]
    mine = client.get("/api/counter/shift/handovers", headers=shop.staff).json["items"]
    assert [h["id"] for h in mine] == [handed.json["id"]]
    assert client.get("/api/counter/shift/handovers", headers=other).json["items"] == []


def test_a_bad_count_changes_nothing(client: Any, shop: Any) -> None:
    from payments.shift_models import ShiftHandover

    for n, body in enumerate(
        [{"counted_cash_fen": -1}, {"counted_cash_fen": "12"}, {}, {"counted_cash_fen": 1.5}]
    ):
        bad = client.post(
            "/api/counter/shift/handovers", json=body, headers={**shop.staff, "Idempotency-Key": f"bad-{n}"}
        )
        assert bad.status_code == 422, body
    assert ShiftHandover.select().count() == 0


def test_a_collection_on_account_taken_at_the_counter_is_in_the_shift(
    client: Any, shop: Any, make_user: Any, login: Any
) -> None:
    from store import services as sales

    clock.travel_to(dt.datetime(2026, 12, 1, 2, 0))  # 10:00 in Shanghai
    sales.sell_on_account(shop.dealer.id, [(shop.tea.id, 9)], channel="distributor")  # 81.00 on account
    _sell(client, shop.staff, shop.tea, 1, "walk-in")  # 11.30 in cash
    for key, method, amount in (("c1", "cash", 5000), ("c2", "bank_transfer", 2000)):
        collected = client.post(
            "/api/collections",
            json={"customer_id": shop.dealer.id, "amount_fen": amount, "method": method},
            headers={**shop.staff, "Idempotency-Key": key},
        )
        assert collected.status_code == 201, collected.json
    owner = login(make_user("owner"))
    client.post(
        "/api/collections",
        json={"customer_id": shop.dealer.id, "amount_fen": 1000, "method": "cash"},
        headers={**owner, "Idempotency-Key": "owner-took-it"},
    )

    shift = client.get("/api/counter/shift", headers=shop.staff).json
    assert shift["takings"] == [
        {"method": "bank_transfer", "count": 1, "amount_fen": 2000, "refunded_fen": 0, "net_fen": 2000},
        {"method": "cash", "count": 2, "amount_fen": 6130, "refunded_fen": 0, "net_fen": 6130},
    ]
    assert (shift["total_fen"], shift["expected_cash_fen"]) == (8130, 6130)
    owners = client.get("/api/counter/shift", headers=owner).json
    assert owners["takings"] == [
        {"method": "cash", "count": 1, "amount_fen": 1000, "refunded_fen": 0, "net_fen": 1000}
    ]
    handed = client.post(
        "/api/counter/shift/handovers",
        json={"counted_cash_fen": 6130},
        headers={**shop.staff, "Idempotency-Key": "handover"},
    )
    assert (handed.json["expected_cash_fen"], handed.json["difference_fen"]) == (6130, 0)
