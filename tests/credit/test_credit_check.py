"""The credit check on sales on account: held for an overdue beyond grace, over the limit, and the
ways the owner lets one through (approval of a waiting order, a one-off override now, an allowance
granted ahead), each audited; due dates follow the profile's terms."""

from __future__ import annotations

import datetime as dt
import json
from typing import Any

import pytest

from backend import clock
from backend.audit import AuditEntry
from backend.kernel.models import Customer
from backend.receivables.credit.errors import CreditHold
from backend.receivables.credit.profiles import change_profile
from backend.receivables.errors import CreditLimitExceeded
from backend.receivables.models import Invoice
from store import services as sales
from tests.credit.conftest import Books, breaks, post


def sell(books: Books, quantity: int) -> Any:
    return sales.sell_on_account(books.distributor.id, [(books.sku.id, quantity)], channel="distributor")


def order_body(books: Books, quantity: int, **extra: Any) -> dict[str, Any]:
    return {
        "customer_id": books.distributor.id,
        "on_account": True,
        "items": [{"sku_id": books.sku.id, "quantity": quantity}],
        **extra,
    }


def test_overdue_beyond_grace_holds_new_sales_on_account(books: Books, unchanged: Any) -> None:
    change_profile(books.distributor.id, {"grace_days": 3}, actor_id=books.owner_user.id)
    sell(books, 1)
    clock.advance(86400 * 33)  # due + 3: still within grace
    sell(books, 1)
    clock.advance(86400)  # due + 4: beyond grace
    with unchanged(), pytest.raises(CreditHold) as held:
        sell(books, 1)
    assert held.value.details == {
        "customer_id": books.distributor.id,
        "held_fen": 1130,
        "requested_fen": 1130,
    }
    change_profile(books.distributor.id, {"overdue_action": "warn"}, actor_id=books.owner_user.id)
    sell(books, 1)  # a warning only
    assert Customer.get_by_id(books.distributor.id).balance_fen == 3390
    assert breaks() == []


def test_limit_counts_accepted_orders_not_yet_invoiced(books: Books, unchanged: Any) -> None:
    from backend.db import transaction
    from backend.receivables.credit import check

    with transaction():
        check.accept_order(books.distributor.id, 8000, "order accepted")
    with unchanged(), pytest.raises(CreditLimitExceeded):
        sell(books, 2)  # 8000 + 2260 > 10,000
    sell(books, 1)  # 8000 + 1130
    with transaction():
        check.release_accepted(books.distributor.id, 8000)
    sell(books, 7)
    assert Customer.get_by_id(books.distributor.id).balance_fen == 9040


def test_over_the_limit_an_order_waits_for_the_owner(client: Any, books: Books, unchanged: Any) -> None:
    assert post(client, "/api/orders", books.staff, order_body(books, 8)).status_code == 201  # 9040
    with unchanged():
        refused = post(client, "/api/orders", books.staff, order_body(books, 2))
        assert (refused.status_code, refused.json["error"]["code"]) == (409, "credit_limit_exceeded")
    asked = post(
        client,
        "/api/orders",
        books.staff,
        order_body(books, 2, if_over_credit="ask_owner", credit_reason="老客户"),
    )
    assert asked.status_code == 202, asked.json
    assert (asked.json["kind"], asked.json["amount_fen"], asked.json["payload"]["refused"]) == (
        "over_limit_order",
        2260,
        "credit_limit_exceeded",
    )
    orders_before = client.get("/api/orders", headers=books.staff).json["items"]
    assert len(orders_before) == 1  # nothing placed, nothing reserved while it waits

    approved = post(client, f"/api/approvals/{asked.json['id']}/approve", books.owner, {"note": "可以"})
    assert approved.status_code == 200, approved.json
    order_id = approved.json["result"]["order_id"]
    order = client.get(f"/api/orders/{order_id}", headers=books.staff).json
    assert (order["status"], order["total_fen"]) == ("on_account", 2260)
    assert Customer.get_by_id(books.distributor.id).balance_fen == 11_300
    override = json.loads(AuditEntry.get(AuditEntry.action == "credit.override").detail)
    assert (
        override["approval_id"],
        override["amount_fen"],
        override["limit_fen"],
        override["exposure_fen"],
    ) == (
        asked.json["id"],
        2260,
        10_000,
        11_300,
    )
    credit = client.get(f"/api/customers/{books.distributor.id}/credit", headers=books.owner).json
    assert credit["headroom_fen"] == -1300
    assert breaks() == []


def test_owner_one_off_override_and_staff_may_not(client: Any, books: Books, unchanged: Any) -> None:
    with unchanged():
        refused = post(
            client,
            "/api/orders",
            books.staff,
            order_body(books, 9, if_over_credit="override", credit_reason="x"),
        )
        assert (refused.status_code, refused.json["error"]["code"]) == (403, "owner_only")
        no_reason = post(client, "/api/orders", books.owner, order_body(books, 9, if_over_credit="override"))
        assert (no_reason.status_code, no_reason.json["error"]["code"]) == (422, "reason_required")
    sold = post(
        client,
        "/api/orders",
        books.owner,
        order_body(books, 9, if_over_credit="override", credit_reason="春节备货"),
    )
    assert sold.status_code == 201, sold.json
    entry = AuditEntry.get(AuditEntry.action == "credit.override")
    assert (entry.actor_id, json.loads(entry.detail)["reason"]) == (books.owner_user.id, "春节备货")


def test_allowance_granted_ahead_is_used_once(client: Any, books: Books, unchanged: Any) -> None:
    url = f"/api/customers/{books.distributor.id}/credit/allowances"
    until = (clock.today() + dt.timedelta(days=3)).isoformat()
    asked = post(client, url, books.staff, {"amount_fen": 3000, "until": until, "reason": "节前大单"})
    assert asked.status_code == 202 and asked.json["approval"]["kind"] == "credit_one_off_override"
    with unchanged(), pytest.raises(CreditLimitExceeded):
        sell(books, 10)  # 11,300: not yet
    approved = post(client, f"/api/approvals/{asked.json['approval']['id']}/approve", books.owner)
    assert approved.status_code == 200, approved.json
    order = sell(books, 10)  # over by 1300, within the 3000 allowance
    credit = client.get(f"/api/customers/{books.distributor.id}/credit", headers=books.staff).json
    assert credit["allowances"] == []  # used up
    assert (credit["exposure_fen"], credit["headroom_fen"]) == (11_300, -1300)
    used = json.loads(AuditEntry.get(AuditEntry.action == "credit.override").detail)
    assert (used["what"], used["excess_fen"]) == (f"order {order.id}", 1300)
    with unchanged(), pytest.raises(CreditLimitExceeded):
        sell(books, 1)


@pytest.mark.parametrize(
    "body",
    [
        {"amount_fen": 0, "until": "2099-01-01"},
        {"amount_fen": -5, "until": None},
        {"amount_fen": 500, "until": "2000-01-01"},
        {"amount_fen": 10**12, "until": None},
    ],
)
def test_bad_allowances_are_refused(client: Any, books: Books, unchanged: Any, body: dict[str, Any]) -> None:
    if body["until"] is None:
        body["until"] = (clock.today() + dt.timedelta(days=1)).isoformat()
    with unchanged():
        answer = post(client, f"/api/customers/{books.distributor.id}/credit/allowances", books.owner, body)
        assert (answer.status_code, answer.json["error"]["code"]) == (422, "invalid_credit_terms")


def test_month_end_terms_set_the_due_date(books: Books) -> None:
    change_profile(
        books.distributor.id, {"terms_kind": "month_end", "terms_days": 10}, actor_id=books.owner_user.id
    )
    clock.travel_to(dt.datetime(2026, 2, 10, 4, 0))  # noon in Beijing, 10 February
    order = sell(books, 1)
    assert Invoice.get(Invoice.order == order.id).due_on == dt.date(2026, 3, 10)


def test_credit_paid_ahead_counts_against_exposure(client: Any, books: Books, unchanged: Any) -> None:
    from backend.receivables import advances
    from store import on_account

    # ¥50.00 paid ahead, no invoice to take it: it becomes the distributor's credit (预收).
    on_account.collect(books.distributor.id, 5000, "bank_transfer", "prepay-1", invoice_ids=[])
    standing = client.get(f"/api/customers/{books.distributor.id}/credit", headers=books.staff).json
    assert (standing["advance_fen"], standing["exposure_fen"], standing["headroom_fen"]) == (
        5000,
        -5000,
        15000,
    )
    found = client.get(f"/api/counter/customers?q={books.distributor.name}", headers=books.staff).json
    assert [c["headroom_fen"] for c in found["items"]] == [15000]

    order = sell(books, 13)  # 14,690: over the 10,000 limit alone, within it net of the credit
    assert Invoice.get(Invoice.order == order.id).open_fen == 9690  # the credit took 5,000 at once
    assert (
        Customer.get_by_id(books.distributor.id).balance_fen,
        advances.balance_of(books.distributor.id),
    ) == (
        9690,
        0,
    )
    with unchanged(), pytest.raises(CreditLimitExceeded) as refused:
        sell(books, 1)  # 9,690 + 1,130 > 10,000 now the credit is used
    assert refused.value.details == {
        "credit_limit_fen": 10_000,
        "balance_fen": 9690,
        "credit_fen": 0,
        "requested_fen": 1130,
    }
    assert breaks() == []
