"""A distributor's after-sales over HTTP: a return (退货) and a price-difference claim (价差补偿) on an
order sold on account, decided by staff through the shop's after-sales approval. The approved amount
lowers the open invoice (a credit note) with revenue and output VAT reversed in the order's
proportion, the returned units come back to stock at their cost; bad claims change nothing."""

from __future__ import annotations

from tests.payments.conftest import checks_clean
from tests.platform.test_errors import assert_error


def _post(client, path, body, headers, key):
    return client.post(path, json=body, headers={**headers, "Idempotency-Key": key})


def _voucher(event, source_id):
    from backend.ledger.models import JournalEntry, JournalLine

    entry = JournalEntry.get((JournalEntry.event == event) & (JournalEntry.source_id == source_id))
    return sorted(
        (line.account_code, line.debit_fen, line.credit_fen)
        for line in JournalLine.select().where(JournalLine.entry == entry.id)
    )


def _sold(client, trade, a):
    added = _post(
        client, "/api/distributor/cart/items", {"sku_id": trade.red.id, "quantity": 12}, a.headers, "c-1"
    )
    assert added.status_code == 201, added.json
    order = _post(client, "/api/distributor/orders", {"pay_with": "on_account"}, a.headers, "o-1").json
    assert (order["status"], order["total_fen"], order["vat_fen"]) == ("on_account", 96000, 11044)
    return order


def test_return_and_price_difference_lower_the_open_invoice(client, trade, distributor, unchanged):
    from backend.inventory.models import StockLevel
    from backend.kernel.models import Customer
    from backend.receivables.models import Invoice

    a = distributor("甲酒行")
    b = distributor("乙酒行")
    order = _sold(client, trade, a)
    line_id = order["lines"][0]["id"]
    with unchanged():  # not shipped yet: nothing to return
        assert_error(
            _post(
                client,
                f"/api/distributor/orders/{order['id']}/aftersales",
                {"kind": "return", "lines": [{"line_id": line_id, "quantity": 2}]},
                a.headers,
                "as-0",
            ),
            422,
            "invalid_aftersale",
        )
    shipped = client.post(f"/api/orders/{order['id']}/fulfil", headers=trade.staff)
    assert shipped.status_code == 200, shipped.json

    def ask(body, headers=a.headers, key="as"):
        return _post(client, f"/api/distributor/orders/{order['id']}/aftersales", body, headers, key)

    with unchanged():
        assert_error(
            ask({"kind": "return", "lines": [{"line_id": line_id, "quantity": 2}]}, b.headers, "x1"),
            404,
            "not_found",
        )
        assert_error(
            ask({"kind": "return", "lines": [{"line_id": line_id, "quantity": 13}]}, key="x2"),
            422,
            "invalid_aftersale",
        )
        assert_error(
            ask({"kind": "return", "lines": [{"line_id": line_id, "quantity": 0}]}, key="x3"),
            422,
            "invalid_aftersale",
        )
        assert_error(
            ask(
                {
                    "kind": "price_difference",
                    "lines": [{"line_id": line_id, "quantity": 10, "unit_fen": 8001}],
                },
                key="x4",
            ),
            422,
            "invalid_aftersale",
        )
        assert_error(
            ask({"kind": "price_difference", "lines": [{"line_id": line_id, "quantity": 10}]}, key="x5"),
            422,
            "invalid_aftersale",
        )
        bad_kind = ask({"kind": "refund", "lines": [{"line_id": line_id, "quantity": 1}]}, key="x6")
        assert bad_kind.status_code == 422, bad_kind.json
        assert_error(
            ask({"kind": "return", "lines": [{"line_id": line_id + 999, "quantity": 1}]}, key="x7"),
            422,
            "invalid_aftersale",
        )

    returned = ask(
        {"kind": "return", "lines": [{"line_id": line_id, "quantity": 2}], "reason": "破损 broken"},
        key="as-1",
    )
    assert returned.status_code == 201, returned.json
    assert (returned.json["kind"], returned.json["amount_fen"], returned.json["status"]) == (
        "return",
        16000,
        "requested",
    )
    claim = ask(
        {
            "kind": "price_difference",
            "lines": [{"line_id": line_id, "quantity": 10, "unit_fen": 500}],
            "reason": "降价",
        },
        key="as-2",
    )
    assert claim.status_code == 201, claim.json
    assert (claim.json["amount_fen"], claim.json["lines"]) == (
        5000,
        [{"line_id": line_id, "quantity": 10, "unit_fen": 500}],
    )
    # what is still claimable: 96000 - 16000 - 5000 waiting = 75000, so all 10 remaining units come to 75000
    capped = ask({"kind": "return", "lines": [{"line_id": line_id, "quantity": 10}]}, key="as-3")
    assert capped.json["amount_fen"] == 75000
    with unchanged():
        assert_error(
            ask(
                {"kind": "price_difference", "lines": [{"line_id": line_id, "quantity": 1, "unit_fen": 1}]},
                key="x8",
            ),
            422,
            "invalid_aftersale",
        )
    rejected = _post(
        client, f"/api/aftersales/{capped.json['id']}/reject", {"note": "未收到货"}, trade.staff, "r-1"
    )
    assert rejected.json["status"] == "rejected"

    mine = client.get("/api/distributor/aftersales", headers=a.headers).json["items"]
    assert [(r["kind"], r["amount_fen"], r["status"]) for r in mine] == [
        ("return", 75000, "rejected"),
        ("price_difference", 5000, "requested"),
        ("return", 16000, "requested"),
    ]
    assert client.get("/api/distributor/aftersales", headers=b.headers).json["items"] == []
    listed = client.get("/api/aftersales?kind=price_difference&status=requested", headers=trade.staff).json[
        "items"
    ]
    assert [r["id"] for r in listed] == [claim.json["id"]]

    def level():
        lv = StockLevel.get((StockLevel.sku == trade.red.id) & (StockLevel.warehouse == trade.main.id))
        return lv.on_hand, lv.reserved, lv.value_fen

    assert level() == (108, 0, 108 * 5000)
    approved = _post(
        client, f"/api/aftersales/{returned.json['id']}/approve", {"note": "同意"}, trade.staff, "ap-1"
    )
    assert approved.status_code == 200, approved.json
    assert (approved.json["status"], approved.json["credited_fen"], approved.json["unapplied_fen"]) == (
        "approved",
        16000,
        0,
    )
    assert level() == (110, 0, 110 * 5000)  # two bottles back at the 5000 they left with
    invoice = Invoice.get(Invoice.order == order["id"])
    assert (invoice.amount_fen, invoice.open_fen) == (96000, 80000)
    assert Customer.get_by_id(a.customer.id).balance_fen == 80000
    # VAT in the order's proportion: 16000 x 11044 / 96000 = 1840.67 -> 1841
    assert _voucher("aftersale.credited", returned.json["id"]) == [
        ("1122", 0, 16000),
        ("2221", 1841, 0),
        ("5001", 14159, 0),
    ]
    assert _voucher("order.goods_returned", order["id"]) == [("1405", 10000, 0), ("5401", 0, 10000)]

    approved = _post(
        client, f"/api/aftersales/{claim.json['id']}/approve", {"goods_returned": True}, trade.staff, "ap-2"
    )
    assert approved.status_code == 200, approved.json
    assert (approved.json["credited_fen"], approved.json["unapplied_fen"]) == (5000, 0)
    assert level() == (110, 0, 110 * 5000)  # a price difference moves no goods, whatever was asked
    assert Invoice.get_by_id(invoice.id).open_fen == 75000
    assert Customer.get_by_id(a.customer.id).balance_fen == 75000
    assert _voucher("aftersale.credited", claim.json["id"]) == [
        ("1122", 0, 5000),
        ("2221", 575, 0),
        ("5001", 4425, 0),
    ]
    with unchanged():
        assert_error(
            _post(client, f"/api/aftersales/{claim.json['id']}/approve", {}, trade.staff, "ap-3"),
            409,
            "aftersale_decided",
        )
    seen = client.get(f"/api/orders/{order['id']}", headers=a.headers).json
    # the credit notes count as paid and as given back: paid + open is still the order's total
    assert (seen["status"], seen["paid_fen"], seen["refunded_fen"]) == ("partially_refunded", 21000, 21000)
    account = client.get("/api/my/account", headers=a.headers).json
    assert account["balance_fen"] == 75000
    assert checks_clean() == []
