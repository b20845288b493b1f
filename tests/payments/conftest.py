"""Payments fixtures: the app served over real HTTP (the WeChat sandbox posts notifications to it),
a small shop, a customer logged in through WeChat, and a snapshot to prove nothing changed."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import pytest
from werkzeug.serving import BaseWSGIServer, make_server


class _Dispatch:
    """The live server starts before the app exists (its URL goes into the settings)."""

    app: Any = None

    def __call__(self, environ: Any, start_response: Any) -> Any:
        return self.app(environ, start_response)


@pytest.fixture
def live_server() -> Iterator[tuple[_Dispatch, BaseWSGIServer]]:
    dispatch = _Dispatch()
    server = make_server("127.0.0.1", 0, dispatch, threaded=True)
    thread = threading.Thread(target=server.serve_forever, args=(0.05,), daemon=True)
    thread.start()
    yield dispatch, server
    server.shutdown()
    server.server_close()
    thread.join(timeout=5)


@pytest.fixture
def settings(settings: Any, live_server: tuple[_Dispatch, BaseWSGIServer]) -> Any:
    _, server = live_server
    return settings.with_overrides(public_base_url=f"http://127.0.0.1:{server.server_port}")


@pytest.fixture(autouse=True)
def live(app: Any, live_server: tuple[_Dispatch, BaseWSGIServer]) -> str:
    dispatch, server = live_server
    dispatch.app = app
    return f"http://127.0.0.1:{server.server_port}"


@dataclass
class Shop:
    warehouse: Any
    sku: Any  # 1130 fen incl. 13% VAT (130 VAT), 10 on hand at 700 fen
    sku2: Any  # 565 fen incl. 13% VAT (65 VAT), 5 on hand at 300 fen


@pytest.fixture
def shop(app: Any) -> Shop:
    from backend.inventory.services import receive_purchase
    from store import catalog

    warehouse = catalog.create_warehouse("MAIN", "门店仓")
    product = catalog.create_product("茶叶")
    sku = catalog.create_sku(product.id, name="龙井 250g", price_fen=1130, barcode="6900000000011")
    sku2 = catalog.create_sku(product.id, name="红茶 100g", price_fen=565, barcode="6900000000028")
    receive_purchase(sku.id, warehouse.id, 10, 700, reference="PO-1")
    receive_purchase(sku2.id, warehouse.id, 5, 300, reference="PO-2")
    return Shop(warehouse, sku, sku2)


@dataclass
class Buyer:
    headers: dict[str, str]
    user_id: int
    openid: str
    customer: Any


@pytest.fixture
def wechat_buyer(client: Any, wechat_sandbox: Any) -> Any:
    """buyer(name) -> a customer who logged in with a wx.login code and has a customer record."""
    from store import catalog

    def make(name: str = "王小姐", kind: str = "member", **fields: Any) -> Buyer:
        code = wechat_sandbox.login_code()
        response = client.post("/api/auth/wechat-login", json={"code": code.code})
        assert response.status_code == 200, response.json
        user_id = response.json["user"]["id"]
        customer = catalog.create_customer(kind, name, user_id=user_id, **fields)
        return Buyer({"Authorization": f"Bearer {response.json['token']}"}, user_id, code.openid, customer)

    return make


@pytest.fixture
def place(app: Any, client: Any) -> Any:
    """place(buyer, [(sku_id, qty)]) -> order id, through the spine's HTTP endpoint when it is wired."""
    from store import services as sales

    def do(buyer: Buyer, items: list[tuple[int, int]], key: str | None = None) -> int:
        body = {"items": [{"sku_id": s, "quantity": q} for s, q in items]}
        if "orders" in app.blueprints:
            headers = {**buyer.headers, "Idempotency-Key": key or f"order-{buyer.user_id}-{items}"}
            response = client.post("/api/orders", json=body, headers=headers)
            assert response.status_code == 201, response.json
            return int(response.json["id"])
        return sales.place_order(buyer.customer.id, items, channel="miniprogram", placed_by=buyer.user_id).id

    return do


def snapshot() -> dict[str, Any]:
    """Row counts of every ledger and payments table, plus order states and caches."""
    from backend.inventory.models import StockLevel, StockMove
    from backend.jobs.models import OutboxMessage
    from backend.kernel.models import Customer, Order
    from backend.ledger.models import JournalEntry, JournalLine
    from backend.receivables.models import ArEntry, Invoice, Payment
    from payments.models import PaymentRecord, RefundRecord, WechatNotification

    counts: dict[str, Any] = {
        m.__name__: m.select().count()
        for m in (
            StockMove,
            JournalEntry,
            JournalLine,
            Invoice,
            Payment,
            ArEntry,
            Order,
            OutboxMessage,
            PaymentRecord,
            RefundRecord,
            WechatNotification,
        )
    }
    counts["levels"] = sorted(
        (lv.sku_id, lv.on_hand, lv.reserved, lv.value_fen) for lv in StockLevel.select()
    )
    counts["balances"] = sorted((c.id, c.balance_fen) for c in Customer.select())
    counts["orders"] = sorted((o.id, o.status, o.paid_fen, o.refunded_fen) for o in Order.select())
    counts["payments"] = sorted(
        (p.id, p.status, p.outcome, p.transaction_id, p.refunded_fen) for p in PaymentRecord.select()
    )
    counts["refunds"] = sorted((r.id, r.status, r.amount_fen) for r in RefundRecord.select())
    return counts


def checks_clean() -> list[str]:
    from backend import checks

    return [f"{r.name}: {p}" for r in checks.run_all() for p in r.problems]


def order_entries(order_id: int) -> list[tuple[str, list[tuple[str, int, int]]]]:
    """(event, lines) of every journal entry of an order, in order."""
    from backend.ledger.models import JournalEntry
    from backend.ledger.services import entry_lines

    return [
        (e.event, entry_lines(e.id))
        for e in JournalEntry.select()
        .where((JournalEntry.source_type == "order") & (JournalEntry.source_id == order_id))
        .order_by(JournalEntry.id)
    ]


def cancel_before_wechat_hears(order_id: int) -> None:
    """Cancel an order while its WeChat close job does not get through (WeChat unreachable for a
    moment), so the customer can still pay: the race the late-payment rules are for. The close
    attempt changes nothing; any later retry finds the payment settled."""
    from backend.jobs import registry
    from store import services as sales

    handlers = registry._handlers
    real = handlers["order.cancelled"]
    handlers["order.cancelled"] = lambda payload: None
    try:
        sales.cancel_order(order_id)
    finally:
        handlers["order.cancelled"] = real
