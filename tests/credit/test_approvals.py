"""Approvals: staff ask, the owner decides from the inbox; the approved action happens with the
decision; nobody decides their own request; every request and decision is audited."""

from __future__ import annotations

import json
from typing import Any

from backend.approvals import services as approvals
from backend.audit import AuditEntry
from backend.kernel.models import Customer
from tests.credit.conftest import Books, breaks, post


def ask_for_limit(client: Any, books: Books, limit_fen: int = 50_000) -> Any:
    answer = post(
        client,
        f"/api/customers/{books.distributor.id}/credit/profile",
        books.staff,
        {"limit_fen": limit_fen, "reason": "旺季备货"},
    )
    assert answer.status_code == 202, answer.json
    return answer.json["approval"]


def test_staff_change_waits_for_the_owner_then_applies_with_the_approval(client: Any, books: Books) -> None:
    request = ask_for_limit(client, books)
    assert (request["kind"], request["status"], request["amount_fen"]) == (
        "credit_profile_change",
        "pending",
        50_000,
    )
    assert request["payload"]["old"]["limit_fen"] == 10_000
    assert Customer.get_by_id(books.distributor.id).credit_limit_fen == 10_000  # not yet

    inbox = client.get("/api/approvals?kind=credit_profile_change", headers=books.owner)
    assert [r["id"] for r in inbox.json["items"]] == [request["id"]]
    assert client.get("/api/approvals?kind=write_off", headers=books.owner).json["items"] == []

    refused = post(client, f"/api/approvals/{request['id']}/approve", books.staff)
    assert refused.status_code == 403

    key = "approve-once"
    approved = post(client, f"/api/approvals/{request['id']}/approve", books.owner, {"note": "同意"}, key=key)
    assert approved.status_code == 200, approved.json
    assert (approved.json["status"], approved.json["decided_by"], approved.json["result"]) == (
        "approved",
        books.owner_user.id,
        {"profile_version": 1},
    )
    # A double tap replays the same answer; a fresh attempt is told it is already decided.
    replay = post(client, f"/api/approvals/{request['id']}/approve", books.owner, {"note": "同意"}, key=key)
    assert replay.json == approved.json and replay.headers["Idempotent-Replayed"] == "true"
    again = post(client, f"/api/approvals/{request['id']}/approve", books.owner)
    assert (again.status_code, again.json["error"]["code"]) == (409, "approval_already_decided")

    assert Customer.get_by_id(books.distributor.id).credit_limit_fen == 50_000
    profile = client.get(f"/api/customers/{books.distributor.id}/credit/profile", headers=books.staff).json
    assert profile["current"]["limit_fen"] == 50_000 and profile["current"]["version"] == 1
    assert [(v["version"], v["approval_id"]) for v in profile["versions"]] == [(1, request["id"])]

    change = AuditEntry.get(AuditEntry.action == "credit.profile_change")
    detail = json.loads(change.detail)
    assert (change.actor_id, detail["old"]["limit_fen"], detail["new"]["limit_fen"]) == (
        books.owner_user.id,
        10_000,
        50_000,
    )
    actions = [a.action for a in AuditEntry.select().where(AuditEntry.target_type == "approval")]
    assert actions == ["approval.request", "approval.approve"]
    assert client.get("/api/approvals", headers=books.owner).json["items"] == []
    assert breaks() == []


def test_nobody_decides_their_own_request(client: Any, books: Books, unchanged: Any) -> None:
    own = approvals.request(
        "credit_profile_change",
        subject_type="customer",
        subject_id=books.distributor.id,
        payload={"new": {"limit_fen": 20_000}},
        requested_by=books.owner_user.id,
    )
    with unchanged():
        answer = post(client, f"/api/approvals/{own.id}/approve", books.owner)
        assert (answer.status_code, answer.json["error"]["code"]) == (403, "own_request")
        answer = post(client, f"/api/approvals/{own.id}/reject", books.owner, {"note": "撤回"})
        assert (answer.status_code, answer.json["error"]["code"]) == (403, "own_request")


def test_rejection_needs_a_note_and_changes_nothing_but_the_request(
    client: Any, books: Books, unchanged: Any
) -> None:
    request = ask_for_limit(client, books)
    with unchanged():
        answer = post(client, f"/api/approvals/{request['id']}/reject", books.owner, {"note": ""})
        assert answer.status_code == 422
    rejected = post(client, f"/api/approvals/{request['id']}/reject", books.owner, {"note": "额度过高"})
    assert (rejected.json["status"], rejected.json["decision_note"]) == ("rejected", "额度过高")
    assert Customer.get_by_id(books.distributor.id).credit_limit_fen == 10_000
    # The subject is free again for a new request.
    assert ask_for_limit(client, books, 30_000)["status"] == "pending"
    assert breaks() == []


def test_one_open_request_per_customer_and_staff_see_only_their_own(
    client: Any, books: Books, make_user: Any, login: Any, unchanged: Any
) -> None:
    first = ask_for_limit(client, books)
    with unchanged():
        second = post(
            client, f"/api/customers/{books.distributor.id}/credit/profile", books.staff, {"grace_days": 5}
        )
        assert (second.status_code, second.json["error"]["code"]) == (409, "approval_already_pending")
        assert second.json["error"]["details"]["approval_id"] == first["id"]
    other_staff = login(make_user("staff"))
    assert client.get("/api/approvals", headers=other_staff).json["items"] == []
    assert client.get(f"/api/approvals/{first['id']}", headers=other_staff).status_code == 404
    assert client.get(f"/api/approvals/{first['id']}", headers=books.staff).json["id"] == first["id"]
    mine = client.get("/api/approvals", headers=books.staff).json["items"]
    assert [r["id"] for r in mine] == [first["id"]]
    distributor = login(make_user("distributor"))
    assert client.get("/api/approvals", headers=distributor).status_code == 403


def test_unknown_request_is_a_404(client: Any, books: Books) -> None:
    answer = post(client, "/api/approvals/999/approve", books.owner)
    assert (answer.status_code, answer.json["error"]["code"]) == (404, "approval_not_found")
