"""A distributor pays an open invoice with WeChat; staff record cash and bank transfers."""

from __future__ import annotations

from tests.payments.conftest import checks_clean, order_entries, snapshot


def test_a_distributor_pays_an_open_invoice_with_wechat(client, shop, wechat_buyer, wechat_sandbox):
    from backend.ledger.models import JournalEntry
    from backend.ledger.services import entry_lines
    from backend.receivables import services as receivables
    from payments.models import PaymentRecord
    from store import services as sales

    sb = wechat_sandbox
    buyer = wechat_buyer("城东批发部", kind="distributor", credit_limit_fen=5000, payment_terms_days=30)
    order = sales.sell_on_account(buyer.customer.id, [(shop.sku.id, 2)], channel="distributor")
    invoice = receivables.invoice_for_order(order.id)
    assert (invoice.open_fen, receivables.balance_of(buyer.customer.id)) == (2260, 2260)

    other = wechat_buyer("李先生")
    refused = client.post(f"/api/invoices/{invoice.id}/wechat-checkout", headers=other.headers)
    assert (refused.status_code, refused.json["error"]["code"]) == (404, "invoice_not_found")

    response = client.post(f"/api/invoices/{invoice.id}/wechat-checkout", headers=buyer.headers)
    assert response.status_code == 200, response.json
    assert (response.json["payment"]["amount_fen"], response.json["payment"]["order_id"]) == (2260, None)
    sb.approve(response.json["request_payment"]["package"][10:], buyer.openid)
    out_trade_no = response.json["payment"]["out_trade_no"]
    assert [a.status_code for a in sb.deliver_due() if a.out_trade_no == out_trade_no] == [204]

    assert receivables.invoice_for_order(order.id).open_fen == 0
    assert receivables.balance_of(buyer.customer.id) == 0
    record = PaymentRecord.get(PaymentRecord.out_trade_no == out_trade_no)
    assert (record.status, record.outcome) == ("succeeded", "captured")
    (entry,) = JournalEntry.select().where(JournalEntry.event == "receivable.collected")
    assert entry_lines(entry.id) == [("1012", 2260, 0), ("1122", 0, 2260)]
    again = client.post(f"/api/invoices/{invoice.id}/wechat-checkout", headers=buyer.headers)
    assert (again.status_code, again.json["error"]["code"]) == (409, "invoice_not_payable")
    assert checks_clean() == []


def test_staff_record_a_bank_transfer_and_a_wrong_amount_changes_nothing(client, shop, make_user, login):
    from backend.kernel.models import Order
    from payments.models import PaymentRecord
    from store import services as sales

    staff = login(make_user("staff"))
    order_id = sales.place_order(None, [(shop.sku.id, 1)], channel="counter").id
    before = snapshot()
    wrong = client.post(
        f"/api/orders/{order_id}/offline-payments",
        json={"method": "bank_transfer", "amount_fen": 1000},
        headers={**staff, "Idempotency-Key": "bt-wrong"},
    )
    assert (wrong.status_code, wrong.json["error"]["code"]) == (409, "amount_mismatch")
    assert snapshot() == before

    paid = client.post(
        f"/api/orders/{order_id}/offline-payments",
        json={"method": "bank_transfer", "amount_fen": 1130},
        headers={**staff, "Idempotency-Key": "bt-1"},
    )
    assert paid.status_code == 201, paid.json
    assert (paid.json["method"], paid.json["status"], paid.json["amount_fen"]) == (
        "bank_transfer",
        "succeeded",
        1130,
    )
    replay = client.post(
        f"/api/orders/{order_id}/offline-payments",
        json={"method": "bank_transfer", "amount_fen": 1130},
        headers={**staff, "Idempotency-Key": "bt-1"},
    )
    assert replay.json == paid.json
    assert PaymentRecord.select().count() == 1
    assert Order.get_by_id(order_id).status == "shipped"  # a counter order is handed over as it is paid
    assert order_entries(order_id) == [
        ("order.paid", [("1002", 1130, 0), ("5001", 0, 1000), ("2221", 0, 130)]),
        ("order.shipped", [("5401", 700, 0), ("1405", 0, 700)]),
    ]
    assert checks_clean() == []
