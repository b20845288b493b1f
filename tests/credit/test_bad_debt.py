"""Bad debt: write-off with the owner's approval (Dr 5711 / Cr 1122, the 第十条 condition recorded),
never more than is open and never twice; recovery later (Dr 1122 / Cr 5301, then collected)."""

from __future__ import annotations

import json
from typing import Any

from backend.audit import AuditEntry
from backend.kernel.models import Customer, Order
from backend.ledger.services import account_balance
from backend.receivables.credit.models import WriteOff
from backend.receivables.models import Invoice
from store import services as sales
from tests.credit.conftest import Books, breaks, post
from tests.helpers import journal_entries


def test_write_off_with_approval_then_recovery(client: Any, books: Books, unchanged: Any) -> None:
    order = sales.sell_on_account(books.distributor.id, [(books.sku.id, 5)], channel="distributor")  # 5650
    invoice = Invoice.get(Invoice.order == order.id)
    url = f"/api/invoices/{invoice.id}/write-off"
    body = {"amount_fen": 5650, "condition": "bankrupt", "evidence": "法院破产裁定书 (2026)沪01破12号"}
    with unchanged():
        for bad, code in (
            ({**body, "amount_fen": 5651}, "write_off_exceeds_open"),
            ({**body, "amount_fen": 0}, "invalid_amount"),
            ({**body, "condition": "feeling_unlucky"}, "validation_failed"),
        ):
            answer = post(client, url, books.staff, bad)
            assert answer.json["error"]["code"] == code, answer.json
    asked = post(client, url, books.staff, body)
    assert asked.status_code == 202, asked.json
    with unchanged():
        twice = post(client, url, books.staff, body)
        assert (twice.status_code, twice.json["error"]["code"]) == (409, "approval_already_pending")
        own = post(client, f"/api/approvals/{asked.json['approval']['id']}/approve", books.staff)
        assert own.status_code == 403
    approved = post(client, f"/api/approvals/{asked.json['approval']['id']}/approve", books.owner)
    assert approved.status_code == 200, approved.json
    row = WriteOff.get()
    assert (row.amount_fen, row.condition, row.approval_id) == (
        5650,
        "bankrupt",
        asked.json["approval"]["id"],
    )
    assert journal_entries("credit.write_off") == [[("5711", 5650, 0), ("1122", 0, 5650)]]
    assert Customer.get_by_id(books.distributor.id).balance_fen == 0
    detail = json.loads(AuditEntry.get(AuditEntry.action == "credit.write_off").detail)
    assert detail["condition_text"].startswith("债务人依法宣告破产")
    with unchanged():
        again = post(client, url, books.owner, body)
        assert (again.status_code, again.json["error"]["code"]) == (409, "already_written_off")

    recovered = post(
        client,
        f"/api/write-offs/{row.id}/recoveries",
        books.staff,
        {"amount_fen": 2000, "method": "bank_transfer"},
    )
    assert recovered.status_code == 201, recovered.json
    assert recovered.json["write_off"]["recovered_fen"] == 2000
    assert journal_entries("credit.bad_debt_recovered") == [[("1122", 2000, 0), ("5301", 0, 2000)]]
    assert (account_balance("5301"), account_balance("1002"), account_balance("5711")) == (-2000, 2000, 5650)
    assert Customer.get_by_id(books.distributor.id).balance_fen == 0
    assert Order.get_by_id(order.id).paid_fen == 2000
    with unchanged():
        too_much = post(
            client,
            f"/api/write-offs/{row.id}/recoveries",
            books.staff,
            {"amount_fen": 3651, "method": "cash"},
        )
        assert (too_much.status_code, too_much.json["error"]["code"]) == (409, "recovery_exceeds_written_off")
    assert breaks() == []


def test_owner_writes_off_part_directly(client: Any, books: Books) -> None:
    order = sales.sell_on_account(books.distributor.id, [(books.sku.id, 5)], channel="distributor")
    invoice = Invoice.get(Invoice.order == order.id)
    done = post(
        client,
        f"/api/invoices/{invoice.id}/write-off",
        books.owner,
        {"amount_fen": 650, "condition": "restructuring", "evidence": "债务重组协议 减免 6.50 元"},
    )
    assert (done.status_code, done.json["status"], done.json["write_off"]["amount_fen"]) == (
        201,
        "written_off",
        650,
    )
    assert Invoice.get_by_id(invoice.id).open_fen == 5000
    assert breaks() == []
