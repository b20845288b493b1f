"""Bad-debt warnings under the owner's thresholds: the defaults until the owner changes them, a rule
that fires sooner once its threshold is lowered (and clears when it is raised again), every change
audited with old and new values; staff are refused and bad values change nothing."""

from __future__ import annotations

import datetime as dt
import json

from backend import clock
from backend.audit import AuditEntry
from backend.receivables.credit import warning_rules
from backend.receivables.credit.models import CreditWarning
from store import services as sales
from tests.credit.conftest import Books
from tests.platform.test_errors import assert_error

DEFAULTS = {
    "days_overdue": 60,
    "overdue_fen": 1_000_000,
    "score_drop": 15,
    "utilisation_pct": 90,
    "broken_promises": 2,
}


def _open_rules() -> list[tuple[int, str, dict]]:
    return sorted((w.customer_id, w.rule, json.loads(w.detail)) for w in warning_rules.open_warnings())


def test_a_lowered_threshold_raises_a_warning_and_a_raised_one_clears_it(client, books: Books) -> None:
    clock.travel_to(dt.datetime(2026, 3, 2, 4))
    sales.sell_on_account(
        books.distributor.id, [(books.sku.id, 4)], channel="distributor"
    )  # 45.20, due in 30 days
    today = dt.date(2026, 3, 2) + dt.timedelta(days=30 + 40)  # 40 days overdue, 45% of the limit
    clock.travel_to(dt.datetime.combine(today, dt.time(4)))
    assert client.get("/api/credit/warning-rules", headers=books.owner).json == DEFAULTS
    assert warning_rules.evaluate(today) == {"raised": 0, "cleared": 0}

    changed = client.put(
        "/api/credit/warning-rules", json={"days_overdue": 30, "utilisation_pct": 40}, headers=books.owner
    )
    assert changed.status_code == 200
    assert changed.json == {**DEFAULTS, "days_overdue": 30, "utilisation_pct": 40}
    assert client.get("/api/credit/warning-rules", headers=books.owner).json == changed.json
    assert warning_rules.evaluate(today) == {"raised": 2, "cleared": 0}
    assert _open_rules() == [
        (books.distributor.id, "days_overdue", {"days": 40}),
        (books.distributor.id, "utilisation", {"exposure_fen": 4520, "limit_fen": 10_000}),
    ]
    entry = AuditEntry.select().where(AuditEntry.action == "credit.warning_thresholds").get()
    assert (entry.actor_id, json.loads(entry.detail)) == (
        books.owner_user.id,
        {"old": DEFAULTS, "new": changed.json},
    )

    client.put("/api/credit/warning-rules", json={"days_overdue": 41}, headers=books.owner)
    assert warning_rules.evaluate(today) == {"raised": 0, "cleared": 1}
    assert [rule for _, rule, _ in _open_rules()] == ["utilisation"]
    assert CreditWarning.select().where(CreditWarning.cleared_on == today).count() == 1


def test_staff_and_bad_values_change_nothing(client, books: Books, unchanged) -> None:
    with unchanged():
        refused = client.put("/api/credit/warning-rules", json={"days_overdue": 30}, headers=books.staff)
        assert refused.status_code == 403
    for body, field in (
        ({"days_overdue": 0}, "days_overdue"),
        ({"utilisation_pct": 101}, "utilisation_pct"),
        ({"overdue_fen": -5}, "overdue_fen"),
    ):
        with unchanged():
            response = client.put("/api/credit/warning-rules", json=body, headers=books.owner)
            assert_error(response, 422, "invalid_warning_thresholds")
            assert list(response.json["error"]["details"]["fields"]) == [field]
    with unchanged():
        assert (
            client.put(
                "/api/credit/warning-rules", json={"score_drop": "10"}, headers=books.owner
            ).status_code
            == 422
        )
        assert client.put("/api/credit/warning-rules", json={}, headers=books.owner).status_code == 422
    assert warning_rules.thresholds() == warning_rules.DEFAULTS
