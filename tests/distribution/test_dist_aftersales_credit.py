"""A distributor's claim approved after their invoice was paid, over HTTP: what the invoice still has
open is lowered (a credit note) and the rest becomes their unapplied credit (预收 2203), which pays
their next invoice on account; the voucher credits 1122 and 2203 under the customer."""

from __future__ import annotations

from tests.payments.conftest import checks_clean


def _post(client, path, body, headers, key):
    return client.post(path, json=body, headers={**headers, "Idempotency-Key": key})


def test_a_claim_on_a_part_paid_invoice_becomes_credit_beyond_what_is_open(client, trade, distributor):
    from backend.ledger.models import JournalEntry, JournalLine
    from backend.receivables.advances import balance_of
    from backend.receivables.models import Invoice

    a = distributor("甲酒行")
    _post(client, "/api/distributor/cart/items", {"sku_id": trade.red.id, "quantity": 12}, a.headers, "c-1")
    order = _post(client, "/api/distributor/orders", {"pay_with": "on_account"}, a.headers, "o-1").json
    assert (order["total_fen"], order["vat_fen"]) == (96000, 11044)
    paid = _post(
        client,
        "/api/collections",
        {"customer_id": a.customer.id, "amount_fen": 90000, "method": "bank_transfer"},
        trade.staff,
        "col-1",
    )
    assert paid.status_code == 201, paid.json
    invoice = Invoice.get(Invoice.order == order["id"])
    assert invoice.open_fen == 6000
    line_id = order["lines"][0]["id"]
    claim = _post(
        client,
        f"/api/distributor/orders/{order['id']}/aftersales",
        {"kind": "price_difference", "lines": [{"line_id": line_id, "quantity": 12, "unit_fen": 1000}]},
        a.headers,
        "as-1",
    )
    assert (claim.status_code, claim.json["amount_fen"]) == (201, 12000)
    approved = _post(client, f"/api/aftersales/{claim.json['id']}/approve", {}, trade.staff, "ap-1")
    assert approved.status_code == 200, approved.json
    assert (approved.json["credited_fen"], approved.json["unapplied_fen"]) == (6000, 6000)
    assert Invoice.get_by_id(invoice.id).open_fen == 0
    assert balance_of(a.customer.id) == 6000
    entry = JournalEntry.get(
        (JournalEntry.event == "aftersale.credited") & (JournalEntry.source_id == claim.json["id"])
    )
    # VAT: 12000 x 11044 / 96000 = 1380.5 -> 1381
    assert sorted(
        (x.account_code, x.debit_fen, x.credit_fen, x.customer_id)
        for x in JournalLine.select().where(JournalLine.entry == entry.id)
    ) == [
        ("1122", 0, 6000, a.customer.id),
        ("2203", 0, 6000, a.customer.id),
        ("2221", 1381, 0, None),
        ("5001", 10619, 0, None),
    ]
    seen = client.get(f"/api/orders/{order['id']}", headers=a.headers).json
    assert (seen["paid_fen"], seen["refunded_fen"]) == (96000, 12000)
    # the credit pays the next invoice on account
    _post(client, "/api/distributor/cart/items", {"sku_id": trade.white.id, "quantity": 2}, a.headers, "c-2")
    nxt = _post(client, "/api/distributor/orders", {"pay_with": "on_account"}, a.headers, "o-2").json
    assert Invoice.get(Invoice.order == nxt["id"]).open_fen == 12000 - 6000
    assert balance_of(a.customer.id) == 0
    assert checks_clean() == []
