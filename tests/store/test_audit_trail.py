"""Every money and stock action leaves exactly one audit row, written by the event itself in its own
transaction, naming who did it and what moved."""

from __future__ import annotations

import json
from typing import Any

from tests.store.conftest import add_to_cart, checkout


def _rows_after(mark: int) -> list[tuple[Any, ...]]:
    from backend.audit import AuditEntry

    return [
        (e.actor_id, e.action, e.target_type, e.target_id, json.loads(e.detail))
        for e in AuditEntry.select().where(AuditEntry.id > mark).order_by(AuditEntry.id)
    ]


def _mark() -> int:
    from backend.audit import AuditEntry

    last = AuditEntry.select(AuditEntry.id).order_by(AuditEntry.id.desc()).first()
    return last.id if last else 0


def test_each_money_and_stock_action_leaves_one_audit_row(
    client, shop, shopper, make_user, login, wechat_sandbox, drain_jobs
):
    from payments.models import RefundRecord

    user = make_user("staff")
    staff = login(user)
    me = user.id

    def post(path: str, body: dict[str, Any], key: str) -> Any:
        response = client.post(path, json=body, headers={**staff, "Idempotency-Key": key})
        assert response.status_code in (200, 201), response.json
        return response.json

    def did(*expected: tuple[Any, ...]) -> None:
        nonlocal mark
        assert _rows_after(mark) == list(expected)
        mark = _mark()

    mark = _mark()
    sku = shop.sku.id
    post(
        "/api/stock-receipts",
        {
            "sku_id": sku,
            "warehouse_id": shop.warehouse.id,
            "quantity": 4,
            "unit_cost_fen": 800,
            "reference": "PO-9",
        },
        "receipt",
    )
    did(
        (
            me,
            "stock.receive",
            "sku",
            str(sku),
            {"quantity": 4, "reference": "PO-9", "unit_cost_fen": 800, "warehouse_id": shop.warehouse.id},
        ),
    )

    dealer = post(
        "/api/customers",
        {"kind": "distributor", "name": "城东批发部", "credit_limit_fen": 50000, "payment_terms_days": 30},
        "dealer",
    )
    did(
        (
            me,
            "customer.credit",
            "customer",
            str(dealer["id"]),
            {"credit_limit_fen": 50000, "kind": "distributor", "payment_terms_days": 30},
        ),
    )

    post(
        "/api/orders",
        {"items": [{"sku_id": sku, "quantity": 2}], "customer_id": dealer["id"], "on_account": True},
        "credit-sale",
    )
    did()  # a sale is in the books and ledgers, not in the audit log
    collected = post(
        "/api/collections", {"customer_id": dealer["id"], "amount_fen": 1000, "method": "cash"}, "collect"
    )
    (row,) = _rows_after(mark)
    assert row[:4] == (me, "receivable.collect", "customer", str(dealer["id"]))
    assert row[4]["reference"].startswith("collection:")
    assert {k: v for k, v in row[4].items() if k != "reference"} == {
        "amount_fen": 1000,
        "method": "cash",
        "payment_id": collected["payment_id"],
        "advance_fen": 0,  # all of it settled invoices: none became the customer's credit
    }
    mark = _mark()

    sale = post("/api/counter-sales", {"items": [{"sku_id": sku, "quantity": 2}]}, "sale")
    did()
    line_id = sale["lines"][0]["id"]
    post(f"/api/orders/{sale['id']}/returns", {"lines": [{"line_id": line_id, "quantity": 1}]}, "return")
    (row,) = _rows_after(mark)
    assert row[:4] == (me, "order.return_goods", "order", str(sale["id"]))
    # 10 at 700 and 4 at 800: 14 units worth 10200, two left at 1457, one came back at 729.
    assert (row[4]["lines"], row[4]["cost_fen"]) == ({str(line_id): 1}, 729)
    mark = _mark()
    post(f"/api/orders/{sale['id']}/refunds", {"amount_fen": 1130}, "refund")
    (row,) = _rows_after(mark)
    assert row[:4] == (me, "order.refund", "order", str(sale["id"]))
    assert {k: v for k, v in row[4].items() if k != "reference"} == {
        "amount_fen": 1130,
        "everything": False,
        "method": "cash",
        "vat_fen": 130,
    }
    mark = _mark()

    placed = post("/api/orders", {"items": [{"sku_id": sku, "quantity": 1}]}, "to-cancel")
    post(f"/api/orders/{placed['id']}/cancel", {}, "cancel")
    did(
        (
            me,
            "order.cancel",
            "order",
            str(placed["id"]),
            {"channel": "counter", "status": "pending_payment", "total_fen": 1130},
        ),
    )

    placed = post("/api/orders", {"items": [{"sku_id": sku, "quantity": 1}]}, "to-pay")
    paid = post(
        f"/api/orders/{placed['id']}/offline-payments",
        {"method": "bank_transfer", "amount_fen": 1130},
        "transfer",
    )
    did(
        (
            me,
            "payment.offline",
            "order",
            str(placed["id"]),
            {"amount_fen": 1130, "method": "bank_transfer", "out_trade_no": paid["out_trade_no"]},
        ),
    )

    assert client.patch(f"/api/skus/{sku}", json={"price_fen": 1200}, headers=staff).status_code == 200
    did((me, "sku.update", "sku", str(sku), {"price_fen": 1200}))
    assert (
        client.put(
            f"/api/skus/{sku}/level-prices/{shop.gold.id}", json={"price_fen": 1050}, headers=staff
        ).status_code
        == 200
    )
    did((me, "sku.level_price", "sku", str(sku), {"level_id": shop.gold.id, "price_fen": 1050}))

    buyer = shopper()
    add_to_cart(client, buyer, shop.sku2.id, 1)
    body = checkout(client, buyer, "co-audit")
    order_id = body["order"]["id"]
    wechat_sandbox.approve(body["request_payment"]["package"].removeprefix("prepay_id="), buyer.openid)
    wechat_sandbox.deliver_due()
    mark = _mark()
    post(f"/api/orders/{order_id}/wechat-refunds", {"amount_fen": 565}, "wx-refund")
    (refund,) = RefundRecord.select()
    (row,) = _rows_after(mark)
    assert row[:4] == (me, "refund.wechat_request", "order", str(order_id))
    assert {k: v for k, v in row[4].items() if k != "out_trade_no"} == {
        "amount_fen": 565,
        "out_refund_no": refund.out_refund_no,
        "reason": "order",
    }
    mark = _mark()
    drain_jobs()
    wechat_sandbox.complete_refund(refund.out_refund_no)
    wechat_sandbox.deliver_due()
    # WeChat's word books the money back: the system's row, no person's.
    did(
        (
            None,
            "order.refund",
            "order",
            str(order_id),
            {
                "amount_fen": 565,
                "everything": True,
                "method": "wechat",
                "reference": refund.out_refund_no,
                "vat_fen": 65,
            },
        ),
    )
