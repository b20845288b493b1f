"""Adjustments against one invoice: discount and price corrections reduce revenue with their output VAT
(Dr 5001, Dr 2221 / Cr 1122), 抹零 goes to 5603 财务费用, a raising price correction goes through the
credit check; never more than is open; staff above the owner's threshold wait for approval; a dispute
settles once per invoice; racing adjustments never take the same open amount twice (PostgreSQL)."""

from __future__ import annotations

import json
from typing import Any

import pytest

from backend.approvals.models import ApprovalRequest
from backend.audit import AuditEntry
from backend.kernel.models import Customer
from backend.receivables import adjustments
from backend.receivables.errors import AdjustmentExceedsOpen, InvalidAdjustment
from backend.receivables.models import Adjustment, AdjustmentThreshold, ArEntry, Invoice
from store import services as sales
from store.errors import InvalidTransition
from tests.credit.conftest import Books, breaks, post
from tests.helpers import at_once, journal_entries
from tests.platform.test_openapi import assert_answer_documented


def _invoice(books: Books, units: int = 5) -> Invoice:
    order = sales.sell_on_account(books.distributor.id, [(books.sku.id, units)], channel="distributor")
    return Invoice.get(Invoice.order == order.id)  # 1130 fen a unit, 130 of it VAT


def _state() -> Any:
    return (
        sorted((a.id, a.invoice_id, a.amount_fen) for a in Adjustment.select()),
        AdjustmentThreshold.select().count(),
    )


@pytest.fixture
def nothing_changes(unchanged: Any) -> Any:
    from contextlib import contextmanager

    @contextmanager
    def guard():  # type: ignore[no-untyped-def]
        before = _state()
        with unchanged():
            yield
        assert _state() == before

    return guard


def test_staff_adjust_below_threshold_books_each_kind(client: Any, books: Books) -> None:
    invoice = _invoice(books)  # 5650 fen, 650 VAT
    url = f"/api/invoices/{invoice.id}/adjustments"
    discount = post(
        client, url, books.staff, {"kind": "discount", "amount_fen": 500, "reason": "包装破损 折让"}
    )
    assert discount.status_code == 201, discount.json
    body = discount.json
    assert (body["status"], body["approval_id"], body["approval"]) == ("applied", None, None)
    got = body["adjustment"]
    assert (got["kind"], got["amount_fen"], got["vat_fen"], got["account_code"], got["reason"]) == (
        "discount",
        -500,
        -58,  # 500 x 650 / 5650 = 57.52, rounded half up
        "5001",
        "包装破损 折让",
    )
    assert got["kind_label"] == "折让 Discount"
    rounding = post(client, url, books.staff, {"kind": "rounding", "amount_fen": 50, "reason": "抹零"})
    assert rounding.status_code == 201, rounding.json
    raised = post(
        client,
        url,
        books.staff,
        {"kind": "price_correction", "direction": "raise", "amount_fen": 1130, "reason": "少开一瓶"},
    )
    assert raised.status_code == 201, raised.json
    assert (raised.json["adjustment"]["amount_fen"], raised.json["adjustment"]["vat_fen"]) == (1130, 130)

    assert journal_entries("receivable.adjusted") == [
        [("5001", 442, 0), ("2221", 58, 0), ("1122", 0, 500)],
        [("5603", 50, 0), ("1122", 0, 50)],
        [("1122", 1130, 0), ("5001", 0, 1000), ("2221", 0, 130)],
    ]
    row = Invoice.get_by_id(invoice.id)
    assert (row.amount_fen, row.open_fen) == (6780, 5650 - 500 - 50 + 1130)
    assert Customer.get_by_id(books.distributor.id).balance_fen == 6230
    assert [
        e.amount_fen for e in ArEntry.select().where(ArEntry.kind == "adjustment").order_by(ArEntry.id)
    ] == [
        -500,
        -50,
        1130,
    ]
    listed = client.get(url, headers=books.staff)
    assert [(a["kind"], a["amount_fen"]) for a in listed.json["items"]] == [
        ("discount", -500),
        ("rounding", -50),
        ("price_correction", 1130),
    ]
    audited = [
        json.loads(a.detail) for a in AuditEntry.select().where(AuditEntry.action == "receivable.adjust")
    ]
    assert [(a["kind"], a["amount_fen"], a["account"]) for a in audited] == [
        ("discount", -500, "5001"),
        ("rounding", -50, "5603"),
        ("price_correction", 1130, "5001"),
    ]
    # The same request again (same key) replays, and adjusts nothing more.
    again = client.post(
        url,
        json={"kind": "rounding", "amount_fen": 50, "reason": "抹零"},
        headers={**books.staff, "Idempotency-Key": "round-1"},
    )
    replay = client.post(
        url,
        json={"kind": "rounding", "amount_fen": 50, "reason": "抹零"},
        headers={**books.staff, "Idempotency-Key": "round-1"},
    )
    assert (again.status_code, replay.status_code, replay.json) == (201, 201, again.json)
    assert Adjustment.select().count() == 4
    assert breaks() == []


def test_bad_adjustments_change_nothing(client: Any, books: Books, nothing_changes: Any) -> None:
    invoice = _invoice(books)  # 5650 open; limit 10,000
    url = f"/api/invoices/{invoice.id}/adjustments"
    with nothing_changes():
        for who, body, status, code in (
            (
                books.staff,
                {"kind": "discount", "amount_fen": 5651, "reason": "x"},
                409,
                "adjustment_exceeds_open",
            ),
            (
                books.owner,
                {"kind": "rounding", "amount_fen": 5651, "reason": "x"},
                409,
                "adjustment_exceeds_open",
            ),
            (books.staff, {"kind": "discount", "amount_fen": 0, "reason": "x"}, 422, "invalid_amount"),
            (books.staff, {"kind": "discount", "amount_fen": -5, "reason": "x"}, 422, "invalid_amount"),
            (books.staff, {"kind": "gift", "amount_fen": 5, "reason": "x"}, 422, "validation_failed"),
            (books.staff, {"kind": "discount", "amount_fen": 5, "reason": ""}, 422, "validation_failed"),
            (books.staff, {"kind": "discount", "amount_fen": 5, "reason": "   "}, 422, "invalid_adjustment"),
            (
                books.staff,
                {"kind": "discount", "direction": "raise", "amount_fen": 5, "reason": "x"},
                422,
                "invalid_adjustment",
            ),
            (
                books.owner,  # 5650 + 4351 passes the 10,000 limit
                {"kind": "price_correction", "direction": "raise", "amount_fen": 4351, "reason": "x"},
                409,
                "credit_limit_exceeded",
            ),
        ):
            answer = post(client, url, who, body)
            assert (answer.status_code, answer.json["error"]["code"]) == (status, code), (body, answer.json)
        missing = post(
            client,
            "/api/invoices/999999/adjustments",
            books.staff,
            {"kind": "discount", "amount_fen": 5, "reason": "x"},
        )
        assert (missing.status_code, missing.json["error"]["code"]) == (404, "unknown_invoice")
        assert client.get("/api/invoices/999999/adjustments", headers=books.staff).status_code == 404


def test_check_notices_an_adjustment_without_its_entry(books: Books) -> None:
    invoice = _invoice(books)
    made = adjustments.adjust(invoice.id, "discount", 100, "折让", actor_id=books.owner_user.id).adjustment
    assert made is not None and breaks() == []
    Adjustment.update(amount_fen=-99).execute()
    assert breaks() == [
        "receivables: adjustments equal their receivable entries and their vouchers, per invoice: "
        f"invoice {invoice.id}: adjustments sum to -99 fen but its adjustment entries to -100",
        "receivables: adjustments equal their receivable entries and their vouchers, per invoice: "
        f"adjustment {made.id}: -99 fen but its voucher moves 1122 by -100",
    ]


def test_threshold_and_approval_over_http(client: Any, books: Books, unchanged: Any) -> None:
    invoice = _invoice(books)
    url = f"/api/invoices/{invoice.id}/adjustments"
    setting = "/api/settings/adjustment-approval-threshold"
    assert client.get(setting, headers=books.owner).json == {
        "threshold_fen": 10_000,
        "is_default": True,
        "changed_by": None,
        "changed_at": None,
        "reason": "",
    }
    with unchanged():
        assert client.put(setting, json={"threshold_fen": 0}, headers=books.staff).status_code == 403
        assert client.get(setting, headers=books.staff).status_code == 403
        bad = client.put(setting, json={"threshold_fen": -1}, headers=books.owner)
        assert (bad.status_code, bad.json["error"]["code"]) == (422, "validation_failed")
    put = client.put(setting, json={"threshold_fen": 1000, "reason": "大额调整要我批"}, headers=books.owner)
    assert (put.status_code, put.json["threshold_fen"], put.json["is_default"]) == (200, 1000, False)
    assert json.loads(AuditEntry.get(AuditEntry.action == "settings.adjustment_threshold").detail) == {
        "old_fen": 10_000,
        "new_fen": 1000,
        "reason": "大额调整要我批",
    }

    at_threshold = post(
        client, url, books.staff, {"kind": "discount", "amount_fen": 1000, "reason": "老客户"}
    )
    assert (at_threshold.status_code, at_threshold.json["status"]) == (201, "applied")
    asked = post(
        client, url, books.staff, {"kind": "dispute_settlement", "amount_fen": 2000, "reason": "对账差异"}
    )
    assert asked.status_code == 202, asked.json
    spec = client.get("/api/openapi.json").json
    assert_answer_documented(spec, "POST", url, asked)
    assert_answer_documented(spec, "POST", url, at_threshold)
    assert_answer_documented(spec, "GET", setting, put)
    approval_id = asked.json["approval_id"]
    assert (asked.json["status"], asked.json["adjustment"], asked.json["approval"]["id"]) == (
        "pending_approval",
        None,
        approval_id,
    )
    assert Invoice.get_by_id(invoice.id).open_fen == 4650  # nothing applied yet
    assert Adjustment.select().count() == 1
    inbox = client.get("/api/approvals", headers=books.owner).json["items"]
    assert [(a["id"], a["kind"], a["kind_label"], a["amount_fen"], a["reason"]) for a in inbox] == [
        (
            approval_id,
            "ar_adjustment",
            "应收调整 Receivable adjustment",
            2000,
            "争议调整 Dispute settlement: 对账差异",
        )
    ]
    assert inbox[0]["payload"]["direction"] == "lower"
    with unchanged():
        own = post(client, f"/api/approvals/{approval_id}/approve", books.staff)
        assert own.status_code == 403
    approved = post(client, f"/api/approvals/{approval_id}/approve", books.owner)
    assert approved.status_code == 200, approved.json
    made = Adjustment.get(Adjustment.approval_id == approval_id)
    assert approved.json["result"] == {"adjustment_id": made.id}
    assert (made.kind, made.amount_fen, made.created_by_id) == (
        "dispute_settlement",
        -2000,
        books.owner_user.id,
    )
    assert Invoice.get_by_id(invoice.id).open_fen == 2650
    # A request that no longer fits when the owner decides stays pending and changes nothing.
    late = post(client, url, books.staff, {"kind": "discount", "amount_fen": 1500, "reason": "再让一点"})
    assert late.status_code == 202
    owner_big = post(client, url, books.owner, {"kind": "discount", "amount_fen": 2000, "reason": "老板同意"})
    assert (owner_big.status_code, owner_big.json["status"]) == (201, "applied")
    assert Invoice.get_by_id(invoice.id).open_fen == 650
    with unchanged():
        refused = post(client, f"/api/approvals/{late.json['approval_id']}/approve", books.owner)
        assert (refused.status_code, refused.json["error"]["code"]) == (409, "adjustment_exceeds_open")
    assert ApprovalRequest.get_by_id(late.json["approval_id"]).status == "pending"
    assert breaks() == []


def test_dispute_source_settles_once_and_cancel_refused(books: Books) -> None:
    invoice = _invoice(books)
    done = adjustments.adjust(
        invoice.id,
        "dispute_settlement",
        300,
        "对账单争议 #7",
        actor_id=books.owner_user.id,
        source_type="statement_dispute",
        source_id=7,
    )
    assert done.adjustment is not None
    assert (done.adjustment.source_type, done.adjustment.source_id) == ("statement_dispute", 7)
    with pytest.raises(InvalidAdjustment) as twice:
        adjustments.adjust(
            invoice.id,
            "dispute_settlement",
            300,
            "again",
            actor_id=books.owner_user.id,
            source_type="statement_dispute",
            source_id=7,
        )
    assert (twice.value.code, twice.value.status) == ("adjustment_source_used", 409)
    with pytest.raises(InvalidTransition) as cancel:
        sales.cancel_order(invoice.order_id)
    assert cancel.value.message_en.endswith("its invoice has been adjusted")
    assert Invoice.get_by_id(invoice.id).open_fen == 5350
    assert breaks() == []


@pytest.mark.pg
@pytest.mark.parametrize("run", [1, 2])
def test_racing_adjustments_never_take_the_same_open_amount(books: Books, settings: Any, run: int) -> None:
    invoice = _invoice(books)  # 5650 open

    def adjuster(_: int) -> str:
        try:
            adjustments.adjust(invoice.id, "discount", 1000, "抢", actor_id=books.owner_user.id)
        except AdjustmentExceedsOpen:
            return "refused"
        return "applied"

    assert at_once(8, adjuster) == ["applied"] * 5 + ["refused"] * 3
    assert Invoice.get_by_id(invoice.id).open_fen == 650
    assert Customer.get_by_id(books.distributor.id).balance_fen == 650
    assert breaks() == []


def test_a_discounted_order_refunded_in_full_is_refunded(books: Books) -> None:
    from backend.inventory.models import StockLevel
    from backend.kernel.models import Order
    from backend.ledger import chart
    from backend.ledger.services import account_balance
    from store import on_account

    invoice = _invoice(books, 3)  # 3390 fen, 390 VAT
    adjustments.adjust(invoice.id, "discount", 500, "包装破损 折让", actor_id=books.owner_user.id)  # 58 VAT
    on_account.collect(books.distributor.id, 2890, "cash", "pay-rest", invoice_ids=[invoice.id])
    refunded = sales.refund_order(invoice.order_id, reference="refund-all", method="cash")
    assert (refunded.status, refunded.refunded_fen, refunded.refunded_vat_fen) == ("refunded", 2890, 332)
    assert journal_entries("order.refunded")[-1] == [
        (chart.REVENUE, 2558, 0),
        (chart.OUTPUT_VAT, 332, 0),
        (chart.MONEY_ACCOUNT["cash"], 0, 2890),
    ]
    # Revenue and output VAT of the order are back to nothing; its goods are no longer held for it.
    assert (account_balance(chart.REVENUE), account_balance(chart.OUTPUT_VAT)) == (0, 0)
    level = StockLevel.get((StockLevel.sku == books.sku.id) & (StockLevel.warehouse == books.warehouse.id))
    assert (level.on_hand, level.reserved) == (100, 0)
    assert Order.get_by_id(invoice.order_id).closed_at is not None
    assert breaks() == []


def test_a_part_refund_of_a_discounted_order_takes_vat_of_the_adjusted_total(books: Books) -> None:
    from store import on_account

    invoice = _invoice(books, 3)  # 3390 fen, 390 VAT
    adjustments.adjust(
        invoice.id, "discount", 500, "折让", actor_id=books.owner_user.id
    )  # 2890 left, 332 VAT
    on_account.collect(books.distributor.id, 2890, "cash", "pay-rest", invoice_ids=[invoice.id])
    part = sales.refund_order(invoice.order_id, 1000, reference="refund-part", method="cash")
    assert (part.status, part.refunded_vat_fen) == ("partially_refunded", 115)  # 1000 x 332 / 2890
    rest = sales.refund_order(invoice.order_id, 1890, reference="refund-rest", method="cash")
    assert (rest.status, rest.refunded_vat_fen) == ("refunded", 332)
    assert breaks() == []
