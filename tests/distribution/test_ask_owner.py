"""A distributor over their credit limit asks the owner over HTTP: the order waits as awaiting_approval
with its stock and campaign units held, shows in their orders, and the owner's approval puts it on
account (an open invoice over the limit, audited as an override) while a rejection cancels it and
gives the stock and the campaign units back. Bad input changes nothing."""

from __future__ import annotations

from tests.distribution.conftest import make_campaign, post
from tests.payments.conftest import checks_clean
from tests.platform.test_errors import assert_error


def _level(sku_id, warehouse_id):
    from backend.inventory.models import StockLevel

    level = StockLevel.get((StockLevel.sku == sku_id) & (StockLevel.warehouse == warehouse_id))
    return level.on_hand, level.reserved


def test_ask_the_owner_then_approve_puts_it_on_account(client, trade, distributor, unchanged):
    from backend.audit import AuditEntry
    from backend.kernel.models import Customer
    from backend.receivables.models import Invoice

    small = distributor("小酒行", grade=trade.grade_a, credit_limit_fen=10000)
    campaign = make_campaign(client, trade)
    post(client, "/api/distributor/cart/items", {"sku_id": trade.red.id, "quantity": 6}, small.headers, "c-1")
    with unchanged():
        refused = post(client, "/api/distributor/orders", {"pay_with": "on_account"}, small.headers, "o-1")
        assert_error(refused, 409, "credit_limit_exceeded")
        assert_error(
            post(
                client,
                "/api/distributor/orders",
                {"pay_with": "wechat", "if_over_credit": "ask_owner"},
                small.headers,
                "o-bad",
            ),
            422,
            "invalid_if_over_credit",
        )
        bad = post(
            client,
            "/api/distributor/orders",
            {"pay_with": "on_account", "if_over_credit": "override"},
            small.headers,
            "o-bad-2",
        )
        assert bad.status_code == 422, bad.json

    asked = post(
        client,
        "/api/distributor/orders",
        {"pay_with": "on_account", "if_over_credit": "ask_owner", "credit_reason": "旺季备货"},
        small.headers,
        "o-2",
    )
    assert asked.status_code == 201, asked.json
    order = asked.json
    assert (order["status"], order["total_fen"], order["lines"][0]["unit_price_fen"]) == (
        "awaiting_approval",
        36000,
        6000,
    )
    assert client.get("/api/distributor/cart", headers=small.headers).json["items"] == []
    assert _level(trade.red.id, trade.main.id) == (120, 6)
    stock = client.get(f"/api/campaigns/{campaign['id']}", headers=trade.staff).json["stock"]
    assert stock == [{"sku_id": trade.red.id, "quota": 24, "taken": 6, "left": 18}]
    assert Invoice.select().where(Invoice.order == order["id"]).count() == 0
    assert Customer.get_by_id(small.customer.id).balance_fen == 0
    mine = client.get("/api/orders", headers=small.headers).json["items"]
    assert [(o["id"], o["status"]) for o in mine] == [(order["id"], "awaiting_approval")]

    pending = client.get("/api/approvals?kind=held_order_over_credit", headers=trade.owner).json["items"]
    assert [(p["subject_id"], p["amount_fen"], p["reason"], p["status"]) for p in pending] == [
        (str(order["id"]), 36000, "旺季备货", "pending")
    ]
    # asking again for the same order is not possible: the cart is empty
    assert_error(
        post(
            client,
            "/api/distributor/orders",
            {"pay_with": "on_account", "if_over_credit": "ask_owner"},
            small.headers,
            "o-3",
        ),
        422,
        "empty_cart",
    )
    with unchanged():
        refused = post(client, f"/api/approvals/{pending[0]['id']}/approve", {}, trade.staff, "a-0")
        assert refused.status_code == 403, refused.json
    approved = post(
        client, f"/api/approvals/{pending[0]['id']}/approve", {"note": "老客户"}, trade.owner, "a-1"
    )
    assert approved.status_code == 200, approved.json
    assert approved.json["status"] == "approved"
    assert client.get(f"/api/orders/{order['id']}", headers=small.headers).json["status"] == "on_account"
    invoice = Invoice.get(Invoice.order == order["id"])
    assert (invoice.amount_fen, invoice.open_fen) == (36000, 36000)
    assert Customer.get_by_id(small.customer.id).balance_fen == 36000
    assert _level(trade.red.id, trade.main.id) == (120, 6)
    override = AuditEntry.get(AuditEntry.action == "credit.override")
    assert (override.target_type, override.target_id) == ("customer", str(small.customer.id))
    assert checks_clean() == []


def test_rejection_cancels_and_gives_back_stock_and_campaign_units(client, trade, distributor):
    from backend.kernel.models import Customer
    from backend.ledger.models import JournalEntry

    small = distributor("小酒行", grade=trade.grade_a, credit_limit_fen=10000)
    campaign = make_campaign(client, trade)
    post(
        client, "/api/distributor/cart/items", {"sku_id": trade.red.id, "quantity": 12}, small.headers, "c-1"
    )
    entries = JournalEntry.select().count()
    order = post(
        client,
        "/api/distributor/orders",
        {"pay_with": "on_account", "if_over_credit": "ask_owner"},
        small.headers,
        "o-1",
    ).json
    assert (order["status"], order["total_fen"]) == ("awaiting_approval", 72000)
    assert _level(trade.red.id, trade.main.id) == (120, 12)
    request = client.get("/api/approvals?kind=held_order_over_credit", headers=trade.owner).json["items"][0]
    assert_error(
        post(client, f"/api/approvals/{request['id']}/reject", {}, trade.owner, "r-0"),
        422,
        "validation_failed",
    )
    rejected = post(
        client, f"/api/approvals/{request['id']}/reject", {"note": "先付旧账"}, trade.owner, "r-1"
    )
    assert rejected.status_code == 200, rejected.json
    assert client.get(f"/api/orders/{order['id']}", headers=small.headers).json["status"] == "cancelled"
    assert _level(trade.red.id, trade.main.id) == (120, 0)
    stock = client.get(f"/api/campaigns/{campaign['id']}", headers=trade.staff).json["stock"]
    assert stock == [{"sku_id": trade.red.id, "quota": 24, "taken": 0, "left": 24}]
    assert Customer.get_by_id(small.customer.id).balance_fen == 0
    assert JournalEntry.select().count() == entries  # nothing was ever booked
    assert checks_clean() == []


def test_within_the_limit_ask_owner_just_places_the_order(client, trade, distributor):
    a = distributor("甲酒行")
    post(client, "/api/distributor/cart/items", {"sku_id": trade.white.id, "quantity": 2}, a.headers, "c-1")
    placed = post(
        client,
        "/api/distributor/orders",
        {"pay_with": "on_account", "if_over_credit": "ask_owner"},
        a.headers,
        "o-1",
    )
    assert placed.status_code == 201, placed.json
    assert (placed.json["status"], placed.json["total_fen"]) == ("on_account", 12000)
    assert client.get("/api/approvals", headers=trade.owner).json["items"] == []


def test_an_approved_order_takes_the_credit_paid_ahead_at_once(client, trade, distributor):
    from backend.receivables import advances
    from backend.receivables.models import Invoice
    from store import on_account

    small = distributor("预付酒行", grade=trade.grade_a, credit_limit_fen=10000)
    on_account.collect(small.customer.id, 5000, "bank_transfer", "prepay-small", invoice_ids=[])
    post(client, "/api/distributor/cart/items", {"sku_id": trade.red.id, "quantity": 6}, small.headers, "c-1")
    asked = post(
        client,
        "/api/distributor/orders",
        {"pay_with": "on_account", "if_over_credit": "ask_owner"},
        small.headers,
        "o-1",
    )
    assert (asked.status_code, asked.json["status"]) == (201, "awaiting_approval")
    total = asked.json["total_fen"]
    pending = client.get("/api/approvals?kind=held_order_over_credit", headers=trade.owner).json["items"]
    approved = post(client, f"/api/approvals/{pending[0]['id']}/approve", {}, trade.owner, "a-1")
    assert approved.status_code == 200, approved.json
    invoice = Invoice.get(Invoice.order == asked.json["id"])
    assert (invoice.amount_fen, invoice.open_fen) == (total, total - 5000)
    assert client.get(f"/api/orders/{asked.json['id']}", headers=small.headers).json["paid_fen"] == 5000
    assert advances.balance_of(small.customer.id) == 0
    assert checks_clean() == []
