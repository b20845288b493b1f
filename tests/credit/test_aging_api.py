"""GET /api/receivables/aging as of a past day, its PDF and Excel read back to the same totals to the
fen, the invoice pages, and the old endpoints (reports, dashboard) answering from the same code."""

from __future__ import annotations

import datetime as dt
import io
import re
import subprocess
from decimal import Decimal
from pathlib import Path
from typing import Any

import openpyxl
import pytest

from backend import clock
from backend.receivables.credit.profiles import change_profile
from backend.receivables.models import Invoice
from store import catalog, on_account
from store import services as sales
from tests.credit.conftest import Books

DAY = dt.date(2026, 3, 2)
MONEY = re.compile(r"-?\d{1,3}(?:,\d{3})*\.\d{2}")


def at(day: dt.date, hour: int = 10, minute: int = 0) -> dt.datetime:
    return clock.from_local(dt.datetime.combine(day, dt.time(hour, minute)))


def history(books: Books) -> tuple[Any, Any]:
    """Two customers; as of 2026-04-20 one has 11,300 fen 20 days late and 5,650 not due, the other
    paid part of an invoice. Later (after that day) everything is paid, so today's figures differ."""
    other = catalog.create_customer("distributor", "城西商行", credit_limit_fen=10**8, payment_terms_days=30)
    change_profile(
        books.distributor.id, {"limit_fen": 10**8, "overdue_action": "warn"}, actor_id=books.owner_user.id
    )
    clock.travel_to(at(DAY))  # due 2026-04-01
    a1 = sales.sell_on_account(books.distributor.id, [(books.sku.id, 10)], channel="distributor")  # 11300
    b1 = sales.sell_on_account(other.id, [(books.sku.id, 4)], channel="distributor")  # 4520
    clock.travel_to(at(dt.date(2026, 4, 12), 0, 30))  # 00:30 on 04-12 Beijing, 04-11 in UTC
    on_account.collect(
        other.id, 1520, "cash", "part-b1", invoice_ids=[Invoice.get(Invoice.order == b1.id).id]
    )
    clock.travel_to(at(dt.date(2026, 4, 15)))  # due 05-15
    sales.sell_on_account(books.distributor.id, [(books.sku.id, 5)], channel="distributor")  # 5650
    clock.travel_to(at(dt.date(2026, 4, 21), 0))  # 00:00 on 04-21 Beijing: after the day we look at
    on_account.collect(books.distributor.id, 16950, "bank_transfer", "all-a")
    on_account.collect(other.id, 3000, "bank_transfer", "all-b")
    clock.travel_to(at(dt.date(2026, 5, 1)))
    assert Invoice.get(Invoice.order == a1.id).open_fen == 0
    return books.distributor, other


def fen(value: Any) -> int:
    return int(Decimal(str(value).replace(",", "")) * 100)


def pdf_text(data: bytes, tmp_path: Path) -> str:
    path = tmp_path / "aging.pdf"
    path.write_bytes(data)
    return subprocess.run(
        ["pdftotext", "-layout", str(path), "-"], capture_output=True, text=True, check=True
    ).stdout


def test_aging_as_of_a_past_day_in_json_pdf_and_excel(client: Any, books: Books, tmp_path: Path) -> None:
    dealer, other = history(books)
    url = "/api/receivables/aging?as_of=2026-04-20"
    answer = client.get(url, headers=books.staff)
    assert answer.status_code == 200, answer.json
    body = answer.json
    assert (body["as_of"], body["total_open_fen"], body["total_overdue_fen"], body["open_invoices"]) == (
        "2026-04-20",
        11300 + 5650 + 3000,
        11300 + 3000,
        3,
    )
    assert [(b["key"], b["open_fen"]) for b in body["buckets"]] == [
        ("current", 5650),
        ("1_30", 14300),
        ("31_60", 0),
        ("61_90", 0),
        ("over_90", 0),
    ]
    assert body["invoices"] is None
    assert [
        (c["customer_id"], c["open_fen"], c["overdue_fen"], c["invoices"], c["oldest_due_on"])
        for c in body["customers"]
    ] == [
        (dealer.id, 16950, 11300, 2, "2026-04-01"),
        (other.id, 3000, 3000, 1, "2026-04-01"),
    ]
    # Today everything is paid; the day before the partial payment the other customer owed it all.
    assert client.get("/api/receivables/aging", headers=books.owner).json["total_open_fen"] == 0
    early = client.get("/api/receivables/aging?as_of=2026-04-11&buckets=10,20", headers=books.staff).json
    assert [(b["key"], b["open_fen"]) for b in early["buckets"]] == [
        ("current", 0),
        ("1_10", 11300 + 4520),  # the part paid at 00:30 on 04-12 in Beijing is not paid yet
        ("11_20", 0),
        ("over_20", 0),
    ]

    keys = [b["key"] for b in body["buckets"]]
    # The PDF: the same rows and totals, to the fen.
    pdf = client.get(url.replace("aging?", "aging.pdf?"), headers=books.staff)
    assert (pdf.status_code, pdf.mimetype) == (200, "application/pdf")
    assert pdf.headers["Content-Disposition"] == 'attachment; filename="aging-2026-04-20.pdf"'
    text = pdf_text(pdf.data, tmp_path)
    lines = {line.split()[0]: line for line in text.splitlines() if line.strip()}
    for row in body["customers"]:
        figures = [fen(m) for m in MONEY.findall(lines[str(row["customer_id"])])]
        assert figures == [row["open_fen"], *(row["buckets"][k] for k in keys), row["overdue_fen"]]
    totals = [fen(m) for m in MONEY.findall(lines["Total"])]
    assert totals == [
        body["total_open_fen"],
        *(b["open_fen"] for b in body["buckets"]),
        body["total_overdue_fen"],
    ]
    assert "2026-04-20" in text
    assert "应收账龄表 Receivables aging" in text  # Chinese text reads back (poppler-data maps the CID font)

    # The workbook: money as yuan numbers formatted to the fen.
    xlsx = client.get(url.replace("aging?", "aging.xlsx?") + "&detail=invoice", headers=books.owner)
    assert xlsx.status_code == 200
    assert xlsx.mimetype == "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
    book = openpyxl.load_workbook(io.BytesIO(xlsx.data))
    sheet = book["账龄 Aging"]
    rows = [list(r) for r in sheet.iter_rows(values_only=True)]
    start = next(i for i, r in enumerate(rows) if r[0] == "客户ID")
    header, *data = rows[start:]
    money = header.index("未结 Open")
    got = {r[0]: [fen(v) for v in r[money:]] for r in data}
    for row in body["customers"]:
        assert got[row["customer_id"]] == [
            row["open_fen"],
            *(row["buckets"][k] for k in keys),
            row["overdue_fen"],
        ]
    assert got["Total"] == [
        body["total_open_fen"],
        *(b["open_fen"] for b in body["buckets"]),
        body["total_overdue_fen"],
    ]
    assert sheet.cell(row=start + 2, column=money + 1).number_format == "#,##0.00"
    invoices = [list(r) for r in book["发票 Invoices"].iter_rows(values_only=True)][1:]
    assert sorted((r[0], fen(r[6]), r[8]) for r in invoices) == sorted(
        (i["invoice_id"], i["open_fen"], i["bucket"])
        for i in client.get(url + "&detail=invoice", headers=books.staff).json["invoices"]["items"]
    )


def test_invoice_pages_and_one_customer(client: Any, books: Books) -> None:
    dealer, other = history(books)
    url = "/api/receivables/aging?as_of=2026-04-20&detail=invoice&limit=2"
    first = client.get(url, headers=books.staff).json
    assert len(first["invoices"]["items"]) == 2 and first["invoices"]["next_cursor"]
    second = client.get(url + f"&cursor={first['invoices']['next_cursor']}", headers=books.staff).json
    assert second["invoices"]["next_cursor"] is None
    items = first["invoices"]["items"] + second["invoices"]["items"]
    assert [i["invoice_id"] for i in items] == sorted((i["invoice_id"] for i in items), reverse=True)
    assert [(i["customer_id"], i["open_fen"], i["days_overdue"], i["bucket"]) for i in items] == [
        (dealer.id, 5650, -25, "current"),
        (other.id, 3000, 19, "1_30"),
        (dealer.id, 11300, 19, "1_30"),
    ]
    alone = client.get(
        f"/api/receivables/aging?as_of=2026-04-20&customer_id={other.id}&detail=invoice", headers=books.staff
    ).json
    assert [c["customer_id"] for c in alone["customers"]] == [other.id]
    assert alone["total_open_fen"] == 3000 and len(alone["invoices"]["items"]) == 1
    pdf = client.get(
        f"/api/receivables/aging.pdf?as_of=2026-04-20&customer_id={other.id}&detail=invoice",
        headers=books.staff,
    )
    assert pdf.status_code == 200 and pdf.data.startswith(b"%PDF")


def test_old_endpoints_answer_from_the_same_code(client: Any, books: Books) -> None:
    dealer, other = history(books)
    new = client.get("/api/receivables/aging?as_of=2026-04-20", headers=books.owner).json
    old = client.get("/api/reports/receivables-aging?as_of=2026-04-20", headers=books.owner).json
    assert (old["total_open_fen"], old["total_overdue_fen"]) == (
        new["total_open_fen"],
        new["total_overdue_fen"],
    )
    assert [(r["customer_id"], r["buckets"], r["oldest_due_on"]) for r in old["customers"]] == [
        (c["customer_id"], c["buckets"], c["oldest_due_on"]) for c in new["customers"]
    ]
    board = client.get("/api/dashboard/receivables?as_of=2026-04-20", headers=books.owner).json
    assert board["buckets"] == {b["key"]: b["open_fen"] for b in new["buckets"]}
    assert (board["total_open_fen"], board["open_invoices"]) == (new["total_open_fen"], 3)
    assert [(o["customer_id"], o["overdue_fen"]) for o in board["overdue"]] == [
        (dealer.id, 11300),
        (other.id, 3000),
    ]


@pytest.mark.parametrize(
    ("query", "status", "code"),
    [
        ("buckets=30,20", 422, "invalid_buckets"),
        ("buckets=0", 422, "invalid_buckets"),
        ("buckets=1,2,3,4,5,6,7,8,9", 422, "invalid_buckets"),
        ("buckets=x", 422, "invalid_buckets"),
        ("as_of=2026-02-30", 422, "validation_failed"),
        ("as_of=yesterday", 422, "validation_failed"),
        ("as_of=9999-12-31", 422, "date_out_of_range"),
        ("detail=everything", 422, "validation_failed"),
        ("customer_id=999999", 404, "unknown_customer"),
        ("customer_id=0", 422, "validation_failed"),
        ("cursor=garbage", 422, "invalid_cursor"),
    ],
)
def test_bad_input_is_refused_and_changes_nothing(
    client: Any, books: Books, unchanged: Any, query: str, status: int, code: str
) -> None:
    clock.travel_to(at(DAY))
    sales.sell_on_account(books.distributor.id, [(books.sku.id, 1)], channel="distributor")
    with unchanged():
        for path in ("aging", "aging.pdf", "aging.xlsx"):
            if path != "aging" and query.startswith("cursor"):
                continue
            answer = client.get(f"/api/receivables/{path}?{query}", headers=books.staff)
            assert (answer.status_code, answer.json["error"]["code"]) == (status, code), (path, answer.json)


def test_only_staff_and_owner(client: Any, books: Books, make_user: Any, login: Any) -> None:
    distributor = login(make_user("distributor"))
    for path in ("aging", "aging.pdf", "aging.xlsx"):
        assert client.get(f"/api/receivables/{path}").status_code == 401
        assert client.get(f"/api/receivables/{path}", headers=distributor).status_code == 403
        assert client.get(f"/api/receivables/{path}", headers=books.staff).status_code == 200
