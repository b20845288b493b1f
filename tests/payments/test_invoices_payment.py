"""A distributor pays part of an invoice, or several invoices at once, in one WeChat payment (JSAPI or
a QR): allocated once when WeChat notifies, whatever the duplicates; a payment WeChat confirms after
the invoices were settled another way becomes the customer's credit, never lost."""

from __future__ import annotations

from typing import Any

from tests.payments.conftest import checks_clean, snapshot


def _two_invoices(shop: Any, wechat_buyer: Any) -> tuple[Any, Any, Any, Any, Any]:
    from backend.receivables import services as receivables
    from store import services as sales

    buyer = wechat_buyer("城东批发部", kind="distributor", credit_limit_fen=10_000, payment_terms_days=30)
    a = sales.sell_on_account(buyer.customer.id, [(shop.sku.id, 2)], channel="distributor")  # 2260
    b = sales.sell_on_account(buyer.customer.id, [(shop.sku.id, 1)], channel="distributor")  # 1130
    return buyer, a, b, receivables.invoice_for_order(a.id), receivables.invoice_for_order(b.id)


def _entries(event: str) -> list[list[tuple[str, int, int]]]:
    from backend.ledger.models import JournalEntry
    from backend.ledger.services import entry_lines

    return [
        entry_lines(e.id)
        for e in JournalEntry.select().where(JournalEntry.event == event).order_by(JournalEntry.id)
    ]


def test_part_of_one_and_all_of_another_in_one_jsapi_payment_applied_once(
    client, shop, wechat_buyer, wechat_sandbox
):
    from backend.kernel.models import Order
    from backend.receivables import advances
    from backend.receivables import services as receivables
    from backend.receivables.models import Invoice
    from payments.models import PaymentRecord

    sb = wechat_sandbox
    buyer, a, b, ia, ib = _two_invoices(shop, wechat_buyer)
    body = {
        "allocations": [{"invoice_id": ia.id, "amount_fen": 1000}, {"invoice_id": ib.id, "amount_fen": 1130}]
    }

    other = wechat_buyer("李先生", kind="distributor")
    before = snapshot()
    for who, bad, status, code in [
        (other, body, 404, "invoice_not_found"),
        (buyer, {"allocations": [{"invoice_id": ia.id, "amount_fen": 2261}]}, 409, "invoice_not_payable"),
        (buyer, {"allocations": [{"invoice_id": ia.id, "amount_fen": 0}]}, 409, "invoice_not_payable"),
        (
            buyer,
            {"allocations": [{"invoice_id": ia.id, "amount_fen": 1}, {"invoice_id": ia.id, "amount_fen": 1}]},
            409,
            "invoice_not_payable",
        ),
        (buyer, {"allocations": []}, 422, "validation_failed"),
    ]:
        refused = client.post("/api/my/invoices/wechat-checkout", json=bad, headers=who.headers)
        assert (refused.status_code, refused.json["error"]["code"]) == (status, code), bad
    assert snapshot() == before

    response = client.post("/api/my/invoices/wechat-checkout", json=body, headers=buyer.headers)
    assert response.status_code == 200, response.json
    assert response.json["payment"]["amount_fen"] == 2130
    assert response.json["allocations"] == body["allocations"]
    again = client.post("/api/my/invoices/wechat-checkout", json=body, headers=buyer.headers)
    assert again.json["payment"]["out_trade_no"] == response.json["payment"]["out_trade_no"]  # reused

    out_trade_no = response.json["payment"]["out_trade_no"]
    sb.inject_fault("duplicate", out_trade_no, copies=3, concurrent=True)
    sb.approve(response.json["request_payment"]["package"][10:], buyer.openid)
    delivered = [x for x in sb.deliver_due() if x.out_trade_no == out_trade_no]
    assert delivered and all(x.ok for x in delivered)

    assert (Invoice.get_by_id(ia.id).open_fen, Invoice.get_by_id(ib.id).open_fen) == (1260, 0)
    assert (Order.get_by_id(a.id).paid_fen, Order.get_by_id(b.id).paid_fen) == (1000, 1130)
    assert (receivables.balance_of(buyer.customer.id), advances.balance_of(buyer.customer.id)) == (1260, 0)
    record = PaymentRecord.get(PaymentRecord.out_trade_no == out_trade_no)
    assert (record.status, record.outcome) == ("succeeded", "captured")
    assert _entries("receivable.collected") == [[("1012", 2130, 0), ("1122", 0, 2130)]]
    assert checks_clean() == []


def test_a_qr_payment_confirmed_after_the_invoices_were_settled_becomes_credit(
    client, shop, wechat_buyer, wechat_sandbox, make_user, login
):
    from backend.receivables import advances
    from backend.receivables.models import Invoice
    from payments.models import PaymentRecord

    sb = wechat_sandbox
    buyer, _, _, ia, ib = _two_invoices(shop, wechat_buyer)
    body = {
        "allocations": [{"invoice_id": ia.id, "amount_fen": 2000}, {"invoice_id": ib.id, "amount_fen": 500}]
    }
    qr = client.post("/api/my/invoices/wechat-qr", json=body, headers=buyer.headers)
    assert qr.status_code == 200, qr.json
    assert qr.json["code_url"].startswith("weixin://") and qr.json["payment"]["amount_fen"] == 2500
    # Meanwhile the distributor pays invoice a in cash at the counter, and 1000 of b.
    staff = login(make_user("staff"))
    cash = client.post(
        "/api/collections",
        json={
            "customer_id": buyer.customer.id,
            "amount_fen": 3260,
            "method": "cash",
            "allocations": [
                {"invoice_id": ia.id, "amount_fen": 2260},
                {"invoice_id": ib.id, "amount_fen": 1000},
            ],
        },
        headers={**staff, "Idempotency-Key": "cash-1"},
    )
    assert cash.status_code == 201, cash.json
    # Then the QR is paid: b takes the 130 it still has open, the other 2370 become credit.
    sb.scan_and_pay(qr.json["code_url"], buyer.openid)
    sb.deliver_due()
    record = PaymentRecord.get(PaymentRecord.out_trade_no == qr.json["payment"]["out_trade_no"])
    assert (record.status, record.outcome) == ("succeeded", "captured")
    assert (Invoice.get_by_id(ia.id).open_fen, Invoice.get_by_id(ib.id).open_fen) == (0, 0)
    assert advances.balance_of(buyer.customer.id) == 2370
    assert _entries("advance.received") == [[("1012", 2370, 0), ("2203", 0, 2370)]]

    # A late duplicate of the notification changes nothing.
    def money() -> Any:
        from backend.ledger.models import JournalEntry
        from backend.receivables.models import ArEntry, Payment

        return (
            Payment.select().count(),
            ArEntry.select().count(),
            JournalEntry.select().count(),
            advances.balance_of(buyer.customer.id),
        )

    before = money()
    sb.notify_trade_state(record.out_trade_no, "SUCCESS")
    sb.deliver_due()
    assert money() == before
    account = client.get("/api/my/account", headers=buyer.headers).json
    assert (account["balance_fen"], account["advance_fen"], account["open_items"]) == (0, 2370, [])
    assert checks_clean() == []
