"""银行流水导入: a bank statement CSV (UTF-8 or GBK) matched to customers by invoice number and payer
name; the rest queued for staff to assign or dismiss; broken files import nothing; the same lines
twice collect once."""

from __future__ import annotations

import base64
from typing import Any

from tests.credit.conftest import Books, breaks, post


def _upload(client: Any, books: Books, text: str, encoding: str = "utf-8", **extra: Any) -> Any:
    body = {
        "filename": "statement.csv",
        "account": "ICBC-001",
        "content_base64": base64.b64encode(text.encode(encoding)).decode(),
    }
    return post(client, "/api/bank-imports", books.staff, {**body, **extra})


def _setup(books: Books) -> Any:
    from backend.receivables import services as receivables
    from store import catalog
    from store import services as sales

    west = catalog.create_customer(
        "distributor", "城西批发部", credit_limit_fen=10_000, payment_terms_days=30
    )
    a = sales.sell_on_account(books.distributor.id, [(books.sku.id, 2)], channel="distributor")  # 2260
    b = sales.sell_on_account(west.id, [(books.sku.id, 1)], channel="distributor")  # 1130
    return west, receivables.invoice_for_order(a.id), receivables.invoice_for_order(b.id)


STATEMENT = """交易日期,交易流水号,对方户名,金额,摘要
2026-12-01,B001,张三,1000.00,货款 INV{ia}
2026-12-01,B002,城西批发部,"1,500.50",货款
2026-12-02,B003,某某公司,88.00,转账
2026-12-02,B004,银行,-20.00,手续费
2026/12/03,B005,李四,1130.00,
"""


def test_a_statement_is_matched_queued_assigned_and_never_collected_twice(
    client: Any, books: Books, unchanged: Any
) -> None:
    from backend.kernel.models import Order
    from backend.receivables import advances
    from backend.receivables.models import Invoice, Payment

    west, ia, ib = _setup(books)
    text = STATEMENT.format(ia=ia.id)
    done = _upload(client, books, text, encoding="gbk")
    assert done.status_code == 201, done.json
    got = done.json
    assert (
        got["encoding"],
        got["rows"],
        got["credits"],
        got["duplicates"],
        got["collected"],
        got["queued"],
    ) == ("gbk", 5, 4, 0, 2, 2)
    rows = [
        (ln["row_no"], ln["amount_fen"], ln["status"], ln["matched_by"], ln["customer_id"])
        for ln in got["lines"]
    ]
    assert rows == [
        (2, 100000, "collected", "invoice_number", books.distributor.id),
        (3, 150050, "collected", "payer_name", west.id),
        (4, 8800, "queued", "", None),
        (6, 113000, "queued", "", None),
    ]
    # 张三 paid invoice a (2260) with 1000 yuan: a is settled, the rest is the distributor's credit.
    assert Invoice.get_by_id(ia.id).open_fen == 0
    assert Order.get_by_id(ia.order_id).paid_fen == 2260
    assert advances.balance_of(books.distributor.id) == 100000 - 2260
    assert (Invoice.get_by_id(ib.id).open_fen, advances.balance_of(west.id)) == (0, 150050 - 1130)
    # The last line is suggested by its amount? No invoice is open for 1130 yuan: no suggestion.
    assert [ln["suggested_customer_id"] for ln in got["lines"][2:]] == [None, None]

    # The same file again: every credit line is a duplicate, nothing is collected twice.
    again = _upload(client, books, text, encoding="gbk")
    assert (again.json["duplicates"], again.json["collected"], again.json["queued"], again.json["lines"]) == (
        4,
        0,
        0,
        [],
    )
    assert Payment.select().where(Payment.direction == "in").count() == 2

    queue = client.get("/api/bank-lines/queue", headers=books.staff).json["lines"]
    assert [ln["row_no"] for ln in queue] == [4, 6]
    assign = post(client, f"/api/bank-lines/{queue[1]['id']}/assign", books.staff, {"customer_id": west.id})
    assert assign.status_code == 200, assign.json
    assert (assign.json["line"]["status"], assign.json["unapplied_fen"], assign.json["advance_fen"]) == (
        "assigned",
        113000,
        150050 - 1130 + 113000,
    )
    with unchanged():
        twice = post(
            client, f"/api/bank-lines/{queue[1]['id']}/assign", books.staff, {"customer_id": west.id}
        )
        assert (twice.status_code, twice.json["error"]["code"]) == (409, "bank_line_decided")
        nobody = post(
            client, f"/api/bank-lines/{queue[0]['id']}/assign", books.staff, {"customer_id": 999999}
        )
        assert (nobody.status_code, nobody.json["error"]["code"]) == (404, "unknown_customer")
        missing = post(client, "/api/bank-lines/999999/dismiss", books.staff, {})
        assert (missing.status_code, missing.json["error"]["code"]) == (404, "bank_line_not_found")
    dismissed = post(client, f"/api/bank-lines/{queue[0]['id']}/dismiss", books.staff, {"note": "利息"})
    assert (dismissed.status_code, dismissed.json["status"], dismissed.json["note"]) == (
        200,
        "dismissed",
        "利息",
    )
    assert client.get("/api/bank-lines/queue", headers=books.staff).json["lines"] == []
    read = client.get(f"/api/bank-imports/{got['id']}", headers=books.staff).json
    assert [ln["status"] for ln in read["lines"]] == ["collected", "collected", "dismissed", "assigned"]
    assert breaks() == []


def test_a_broken_statement_names_each_broken_row_and_imports_nothing(
    client: Any, books: Books, unchanged: Any
) -> None:
    _setup(books)
    broken = """date,amount,payer,memo
2026-12-01,100.00,城西批发部,ok
2026-13-01,100.00,城西批发部,bad date
2026-12-02,12.345,城西批发部,three decimals
2026-12-02,abc,城西批发部,not a number
"""
    with unchanged():
        refused = _upload(client, books, broken)
        assert (refused.status_code, refused.json["error"]["code"]) == (422, "invalid_bank_statement")
        assert refused.json["error"]["details"]["rows"] == [
            {"row": 3, "problem": "date '2026-13-01' is not a date (YYYY-MM-DD)"},
            {"row": 4, "problem": "amount '12.345' is not an amount in yuan (up to 2 decimals)"},
            {"row": 5, "problem": "amount 'abc' is not an amount in yuan (up to 2 decimals)"},
        ]
        no_header = _upload(client, books, "2026-12-01,1.00,x\n")
        assert no_header.json["error"]["details"]["rows"][0]["row"] == 1
        not_base64 = post(client, "/api/bank-imports", books.staff, {"content_base64": "%%%"})
        assert (not_base64.status_code, not_base64.json["error"]["code"]) == (422, "invalid_bank_statement")
        binary = post(
            client,
            "/api/bank-imports",
            books.staff,
            {"content_base64": base64.b64encode(b"\xff\xfe\x00\x81\xff").decode()},
        )
        assert binary.status_code == 422
    from backend.receivables.models import BankImport, BankLine

    assert (BankImport.select().count(), BankLine.select().count()) == (0, 0)
    assert client.get("/api/bank-lines/queue", headers=books.owner).status_code == 200
    assert breaks() == []


def test_identical_lines_without_a_bank_reference_are_two_payments_once_each(
    client: Any, books: Books
) -> None:
    from backend.receivables import advances

    west, _, _ = _setup(books)
    text = "日期,金额,付款人,附言\n20261201,10.00,城西批发部,\n20261201,10.00,城西批发部,\n"
    first = _upload(client, books, text)
    assert (first.json["credits"], first.json["collected"], first.json["encoding"]) == (2, 2, "utf-8")
    # An overlapping statement (the same two lines and a third) collects only the new one.
    more = _upload(client, books, text + "20261201,10.00,城西批发部,\n")
    assert (more.json["duplicates"], more.json["collected"]) == (2, 1)
    assert advances.balance_of(west.id) == 3000 - 1130
    assert breaks() == []
