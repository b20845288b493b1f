"""Credit profiles (versioned, owner direct, bad input refused) and where a customer stands."""

from __future__ import annotations

import datetime as dt
import json
from typing import Any

import pytest

from backend import clock
from backend.audit import AuditEntry
from backend.receivables.credit.profiles import Terms, due_date
from store import services as sales
from tests.credit.conftest import Books, breaks, post


def test_owner_change_applies_at_once_as_a_new_version(client: Any, books: Books) -> None:
    url = f"/api/customers/{books.distributor.id}/credit/profile"
    answer = post(
        client,
        url,
        books.owner,
        {
            "limit_fen": 80_000,
            "terms_kind": "month_end",
            "terms_days": 15,
            "grace_days": 5,
            "late_interest_ppm": 500,
        },
    )
    assert answer.status_code == 201, answer.json
    assert answer.json["status"] == "applied" and answer.json["approval"] is None
    assert {k: answer.json["profile"][k] for k in ("version", "limit_fen", "terms_kind", "terms_days")} == {
        "version": 1,
        "limit_fen": 80_000,
        "terms_kind": "month_end",
        "terms_days": 15,
    }
    post(client, url, books.owner, {"overdue_action": "warn"})
    versions = client.get(url, headers=books.owner).json["versions"]
    assert [(v["version"], v["overdue_action"], v["limit_fen"]) for v in versions] == [
        (2, "warn", 80_000),
        (1, "hold", 80_000),
    ]
    details = [
        json.loads(a.detail) for a in AuditEntry.select().where(AuditEntry.action == "credit.profile_change")
    ]
    assert [(d["old"]["overdue_action"], d["new"]["overdue_action"]) for d in details] == [
        ("hold", "hold"),
        ("hold", "warn"),
    ]
    assert details[0]["old"]["limit_fen"] == 10_000 and details[0]["new"]["grace_days"] == 5


@pytest.mark.parametrize(
    "body",
    [
        {"limit_fen": -1},
        {"limit_fen": 10**12},
        {"late_interest_ppm": -5},
        {"late_interest_ppm": 100_000},
        {"terms_days": -30},
        {"terms_days": 100_000},
        {"grace_days": 1000},
        {"terms_kind": "fortnightly"},
        {"overdue_action": "ignore"},
        {"limit_fen": 10_000},  # no change
        {"limit_fen": "10000"},
    ],
)
def test_bad_profiles_are_refused_and_change_nothing(
    client: Any, books: Books, unchanged: Any, body: dict[str, Any]
) -> None:
    with unchanged():
        answer = post(client, f"/api/customers/{books.distributor.id}/credit/profile", books.owner, body)
        assert answer.status_code == 422, answer.json
        assert answer.json["error"]["code"] in (
            "invalid_credit_terms",
            "no_credit_change",
            "validation_failed",
        )


def test_walk_in_and_unknown_customers(client: Any, books: Books, unchanged: Any) -> None:
    from store import catalog

    walk_in = catalog.walk_in_customer()
    with unchanged():
        answer = post(client, f"/api/customers/{walk_in.id}/credit/profile", books.owner, {"limit_fen": 5})
        assert (answer.status_code, answer.json["error"]["code"]) == (422, "not_a_credit_customer")
        answer = post(client, "/api/customers/9999/credit/profile", books.owner, {"limit_fen": 5})
        assert answer.status_code == 404
    assert client.get("/api/customers/9999/credit", headers=books.staff).status_code == 404


def test_due_dates_for_days_and_month_end_terms() -> None:
    days = Terms(0, "days", 30, 0, 0, "hold")
    month_end = Terms(0, "month_end", 15, 0, 0, "hold")
    assert due_date(days, dt.date(2026, 1, 31)) == dt.date(2026, 3, 2)
    assert due_date(month_end, dt.date(2026, 2, 3)) == dt.date(2026, 3, 15)
    assert due_date(month_end, dt.date(2024, 2, 29)) == dt.date(2024, 3, 15)
    assert due_date(Terms(0, "month_end", 0, 0, 0, "hold"), dt.date(2026, 12, 1)) == dt.date(2026, 12, 31)


def test_credit_standing_limit_exposure_overdue_and_hold(client: Any, books: Books, login: Any) -> None:
    url = f"/api/customers/{books.distributor.id}/credit"
    post(client, f"/api/customers/{books.distributor.id}/credit/profile", books.owner, {"grace_days": 5})
    sales.sell_on_account(books.distributor.id, [(books.sku.id, 3)], channel="distributor")  # 3390 fen
    fresh = client.get(url, headers=books.staff).json
    assert {k: fresh[k] for k in ("limit_fen", "exposure_fen", "headroom_fen", "overdue_fen", "on_hold")} == {
        "limit_fen": 10_000,
        "exposure_fen": 3390,
        "headroom_fen": 6610,
        "overdue_fen": 0,
        "on_hold": False,
    }
    clock.advance(86400 * 33)  # 3 days past due: overdue, within grace
    owner = login(books.owner_user)  # a week-old token has expired
    late = client.get(url, headers=owner).json
    assert (late["overdue_fen"], late["overdue_days"], late["on_hold"]) == (3390, 3, False)
    clock.advance(86400 * 3)  # 6 days past due, beyond the 5 days' grace
    held = client.get(url, headers=owner).json
    assert (held["overdue_days"], held["on_hold"], held["hold_reason"]) == (6, True, "overdue_beyond_grace")
    assert held["terms"]["grace_days"] == 5 and held["score"] is None
    assert breaks() == []
