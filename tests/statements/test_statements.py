"""Period statements over HTTP: a month of a distributor's trading, the monthly statement, a disputed
line settled by an adjustment, the new version confirmed and frozen; the next month carries the
settlement in its opening; bad input (someone else's statement, twice, a tampered or expired link, a
frozen period) is a clear error that changes nothing."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest

from backend import clock
from tests.statements.conftest import Shop, noon, post


def buy(client: Any, shop: Shop, quantity: int) -> int:
    answer = post(
        client,
        "/api/orders",
        shop.dist.headers,
        {"items": [{"sku_id": shop.sku.id, "quantity": quantity}], "on_account": True},
    )
    assert answer.status_code == 201, answer.json
    return answer.json["id"]


def trade_november(client: Any, shop: Shop) -> dict[str, int]:
    """Oct 28: 2 bottles (2,260 fen). November: 10 (11,300), 5 (5,650), 8,000 collected in cash
    (oldest due first: Oct's 2,260 then 5,740 of the Nov 3 invoice), 3 (3,390)."""
    orders = {}
    for day, quantity in ((dt.date(2026, 10, 28), 2), (dt.date(2026, 11, 3), 10), (dt.date(2026, 11, 10), 5)):
        clock.travel_to(noon(day))
        shop.relogin()
        orders[day.isoformat()] = buy(client, shop, quantity)
    clock.travel_to(noon(dt.date(2026, 11, 15)))
    shop.relogin()
    paid = post(
        client,
        "/api/collections",
        shop.staff,
        {"customer_id": shop.dist.customer.id, "amount_fen": 8000, "method": "cash"},
    )
    assert paid.status_code == 201, paid.json
    clock.travel_to(noon(dt.date(2026, 11, 20)))
    shop.relogin()
    orders["2026-11-20"] = buy(client, shop, 3)
    return orders


def november_statement(client: Any, shop: Shop) -> dict[str, Any]:
    """Staff make the distributor's November statement on 2 December (a draft, not yet sent)."""
    clock.travel_to(noon(dt.date(2026, 12, 2)))
    shop.relogin()
    made = post(
        client,
        f"/api/customers/{shop.dist.customer.id}/statements",
        shop.staff,
        {"period_start": "2026-11-01", "period_end": "2026-11-30"},
    )
    assert made.status_code == 201, made.json
    return made.json


def shape(statement: dict[str, Any]) -> list[tuple[Any, ...]]:
    return [
        (line["on_date"], line["kind"], line["amount_fen"], line["balance_fen"])
        for line in statement["lines"]
    ]


def test_a_month_disputed_adjusted_and_confirmed(
    client: Any, shop: Shop, unchanged: Any, drain_jobs: Any
) -> None:
    from backend import wiring
    from backend.receivables import statements
    from backend.receivables.statement_models import Statement, StatementNotice

    pytest.importorskip("backend.receivables.adjustments")
    trade_november(client, shop)
    # The 1st of December, 02:30 in Beijing: the monthly job makes and sends last month's statements.
    clock.travel_to(dt.datetime(2026, 11, 30, 18, 30))
    wiring.run_periodic("statements.monthly")
    wiring.run_periodic("statements.monthly")  # a second run makes nothing more
    drain_jobs()
    shop.relogin()
    mine = client.get("/api/my/statements", headers=shop.dist.headers).json["items"]
    assert [(s["period_start"], s["period_end"], s["status"], s["version"]) for s in mine] == [
        ("2026-11-01", "2026-11-30", "sent", 1)
    ]
    first = client.get(f"/api/my/statements/{mine[0]['id']}", headers=shop.dist.headers).json
    assert (first["opening_fen"], first["debit_fen"], first["credit_fen"], first["closing_fen"]) == (
        2260,
        20340,
        8000,
        14600,
    )
    assert shape(first) == [
        ("2026-11-03", "invoice", 11300, 13560),
        ("2026-11-10", "invoice", 5650, 19210),
        ("2026-11-15", "payment", -2260, 16950),
        ("2026-11-15", "payment", -5740, 11210),
        ("2026-11-20", "invoice", 3390, 14600),
    ]
    assert first["lines"][0]["description"].startswith("销售 发票#")
    # What was open on 30 November, by age: the three November invoices, none due yet.
    assert first["aging"]["as_of"] == "2026-11-30"
    assert (first["aging"]["total_fen"], first["aging"]["overdue_fen"]) == (14600, 0)
    assert [(b["key"], b["amount_fen"]) for b in first["aging"]["buckets"]] == [
        ("current", 14600),
        ("1_30", 0),
        ("31_60", 0),
        ("61_90", 0),
        ("over_90", 0),
    ]
    # The other distributor (no activity, nothing open in November) gets none; one message was queued.
    assert client.get("/api/my/statements", headers=shop.other.headers).json["items"] == []
    assert [n.purpose for n in StatementNotice.select()] == ["send"]

    # Not theirs: the other distributor can neither read, confirm nor dispute it.
    line_10th = first["lines"][1]["id"]
    with unchanged():
        for answer in (
            client.get(f"/api/my/statements/{first['id']}", headers=shop.other.headers),
            post(client, f"/api/my/statements/{first['id']}/confirm", shop.other.headers),
            post(
                client,
                f"/api/my/statements/{first['id']}/disputes",
                shop.other.headers,
                {"line_ids": [line_10th], "note": "不是我的"},
            ),
        ):
            assert (answer.status_code, answer.json["error"]["code"]) == (404, "statement_not_found")

    # The distributor disputes the 10 November invoice: one bottle short.
    disputed = post(
        client,
        f"/api/my/statements/{first['id']}/disputes",
        shop.dist.headers,
        {"line_ids": [line_10th], "note": "少收到1瓶"},
    )
    assert disputed.status_code == 201, disputed.json
    assert disputed.json["status"] == "disputed"
    (dispute,) = disputed.json["disputes"]
    assert (dispute["line_id"], dispute["note"], dispute["status"]) == (line_10th, "少收到1瓶", "open")
    with unchanged():
        refused = post(client, f"/api/my/statements/{first['id']}/confirm", shop.dist.headers)
        assert (refused.status_code, refused.json["error"]["code"]) == (409, "statement_not_open")
        again = post(
            client,
            f"/api/my/statements/{first['id']}/disputes",
            shop.dist.headers,
            {"line_ids": [line_10th], "note": "再说一次"},
        )
        assert (again.status_code, again.json["error"]["code"]) == (422, "invalid_statement_dispute")

    # Staff see it among the disputed and settle it with an adjustment of one bottle.
    listed = client.get("/api/statements", headers=shop.staff, query_string={"status": "disputed"}).json
    assert [s["id"] for s in listed["items"]] == [first["id"]]
    resolved = post(
        client,
        f"/api/statement-disputes/{dispute['id']}/resolve",
        shop.staff,
        {"action": "adjust", "amount_fen": 1130, "note": "少发1瓶，调减"},
    )
    assert resolved.status_code == 200, resolved.json
    assert resolved.json["dispute"]["status"] == "resolved"
    assert resolved.json["dispute"]["adjustment_id"] is not None
    second_id = resolved.json["new_statement_id"]
    old = client.get(f"/api/statements/{first['id']}", headers=shop.staff).json
    assert (old["status"], old["newer_statement_id"]) == ("superseded", second_id)

    second = client.get(f"/api/my/statements/{second_id}", headers=shop.dist.headers).json
    assert (second["version"], second["status"], second["supersedes_id"]) == (2, "sent", first["id"])
    assert (second["opening_fen"], second["debit_fen"], second["credit_fen"], second["closing_fen"]) == (
        2260,
        20340,
        9130,
        13470,
    )
    assert shape(second) == [*shape(first), ("2026-12-01", "adjustment", -1130, 13470)]

    # The distributor confirms the new version: frozen with the hash of what they saw.
    confirmed = post(client, f"/api/my/statements/{second_id}/confirm", shop.dist.headers)
    assert confirmed.status_code == 200, confirmed.json
    assert confirmed.json["status"] == "confirmed"
    row = Statement.get_by_id(second_id)
    assert row.content_hash == statements.content_hash(row) and len(row.content_hash) == 64
    with unchanged():
        twice = post(client, f"/api/my/statements/{second_id}/confirm", shop.dist.headers)
        assert (twice.status_code, twice.json["error"]["code"]) == (409, "statement_already_confirmed")
        superseded = post(client, f"/api/my/statements/{first['id']}/confirm", shop.dist.headers)
        assert (superseded.status_code, superseded.json["error"]["code"]) == (409, "statement_superseded")
        frozen = post(
            client,
            f"/api/customers/{shop.dist.customer.id}/statements",
            shop.staff,
            {"period_start": "2026-11-01", "period_end": "2026-11-30"},
        )
        assert (frozen.status_code, frozen.json["error"]["code"]) == (409, "statement_frozen")
        overlapping = post(
            client,
            f"/api/customers/{shop.dist.customer.id}/statements",
            shop.staff,
            {"period_start": "2026-11-20", "period_end": "2026-11-30"},
        )
        assert (overlapping.status_code, overlapping.json["error"]["code"]) == (409, "statement_frozen")

    # December: the settlement, already shown on November's confirmed statement, is in the opening.
    clock.travel_to(noon(dt.date(2026, 12, 5)))
    paid = post(
        client,
        "/api/collections",
        shop.staff,
        {"customer_id": shop.dist.customer.id, "amount_fen": 5560, "method": "bank_transfer"},
    )
    assert paid.status_code == 201, paid.json
    clock.travel_to(noon(dt.date(2027, 1, 2)))
    december = post(
        client,
        f"/api/customers/{shop.dist.customer.id}/statements",
        shop.staff,
        {"period_start": "2026-12-01", "period_end": "2026-12-31"},
    )
    assert december.status_code == 201, december.json
    assert (december.json["status"], december.json["opening_fen"], december.json["closing_fen"]) == (
        "draft",
        13470,
        7910,
    )
    assert shape(december.json) == [("2026-12-05", "payment", -5560, 7910)]
    from backend.checks import run_all

    assert [p for r in run_all() for p in r.problems] == []


def test_signed_link_confirms_and_refuses_tampering(client: Any, shop: Shop, unchanged: Any) -> None:
    from backend.receivables import statements

    trade_november(client, shop)
    clock.travel_to(noon(dt.date(2026, 12, 2)))
    made = post(
        client,
        f"/api/customers/{shop.dist.customer.id}/statements",
        shop.staff,
        {"period_start": "2026-11-01", "period_end": "2026-11-30"},
    ).json
    token = made["link_url"].rsplit("/", 1)[1]
    # A draft is not the customer's to see yet, by link or in the mini-program.
    with unchanged():
        assert client.get(f"/api/statement-links/{token}").status_code == 404
    sent = post(client, f"/api/statements/{made['id']}/send", shop.staff)
    assert sent.status_code == 200, sent.json
    seen = client.get(f"/api/statement-links/{token}")
    assert seen.status_code == 200 and seen.json["closing_fen"] == 14600

    sid, expires, signature = token.split(".")
    other = statements.generate(shop.other.customer.id, dt.date(2026, 11, 1), dt.date(2026, 11, 30))
    statements.send(other.id)
    forged = [
        f"{sid}.{expires}.{signature[:-1]}{'A' if signature[-1] != 'A' else 'B'}",  # signature changed
        f"{sid}.{int(expires) + 86400}.{signature}",  # expiry pushed out
        f"{other.id}.{expires}.{signature}",  # another statement
        "garbage",
        f"{sid}..{signature}",
    ]
    with unchanged():
        for bad in forged:
            for answer in (
                client.get(f"/api/statement-links/{bad}"),
                client.post(f"/api/statement-links/{bad}/confirm"),
                client.post(f"/api/statement-links/{bad}/disputes", json={"line_ids": [1], "note": "x"}),
            ):
                assert (answer.status_code, answer.json["error"]["code"]) == (
                    404,
                    "statement_link_invalid",
                ), bad

    confirmed = client.post(f"/api/statement-links/{token}/confirm")
    assert confirmed.status_code == 200, confirmed.json
    assert (confirmed.json["status"], confirmed.json["confirmed_via"]) == ("confirmed", "link")
    with unchanged():
        twice = client.post(f"/api/statement-links/{token}/confirm")
        assert (twice.status_code, twice.json["error"]["code"]) == (409, "statement_already_confirmed")
        late = client.post(
            f"/api/statement-links/{token}/disputes",
            json={"line_ids": [made["lines"][0]["id"]], "note": "晚了"},
        )
        assert (late.status_code, late.json["error"]["code"]) == (409, "statement_already_confirmed")

    # Sixty days on, the link has expired: a 403, nothing changes.
    other_token = statements.link_token(other.id)
    clock.travel_to(noon(dt.date(2027, 2, 1)))
    with unchanged():
        expired = client.post(f"/api/statement-links/{other_token}/confirm")
        assert (expired.status_code, expired.json["error"]["code"]) == (403, "statement_link_expired")


def test_reminders_until_confirmed(client: Any, shop: Shop, wechat_sandbox: Any, drain_jobs: Any) -> None:
    from backend.auth.models import WechatIdentity
    from backend.receivables import statements
    from backend.receivables.statement_models import StatementNotice

    WechatIdentity.create(openid="o-statement-1", user=shop.dist.user.id)
    wechat_sandbox.subscribe("o-statement-1", "TPL_STATEMENT", count=2)
    trade_november(client, shop)
    clock.travel_to(noon(dt.date(2026, 12, 1)))
    made = statements.monthly()
    assert len(made) == 1
    drain_jobs()
    assert statements.remind() == 0  # not yet due
    clock.travel_to(noon(dt.date(2026, 12, 8)))
    assert statements.remind() == 1
    assert statements.remind() == 0  # once per period of days
    drain_jobs()
    notices = [(n.purpose, n.number, n.status) for n in StatementNotice.select().order_by(StatementNotice.id)]
    assert notices == [("send", 1, "sent"), ("remind", 1, "sent")]
    # Confirmed: no more reminders.
    statements.confirm(made[0], shop.dist.customer.id, user_id=shop.dist.user.id, via="api")
    clock.travel_to(noon(dt.date(2026, 12, 20)))
    assert statements.remind() == 0


def test_a_spent_quota_is_recorded_and_the_reminder_still_goes(
    client: Any, shop: Shop, wechat_sandbox: Any, drain_jobs: Any
) -> None:
    from backend.auth.models import WechatIdentity
    from backend.receivables import statements
    from backend.receivables.statement_models import StatementNotice

    WechatIdentity.create(openid="o-statement-2", user=shop.dist.user.id)
    wechat_sandbox.subscribe("o-statement-2", "TPL_STATEMENT", count=1)
    trade_november(client, shop)
    clock.travel_to(noon(dt.date(2026, 12, 1)))
    wechat_sandbox.set_subscribe_quota(0)  # WeChat's daily cap already spent: 45009
    try:
        assert len(statements.monthly()) == 1
        drain_jobs()
    finally:
        wechat_sandbox.set_subscribe_quota(None)
    assert [(n.purpose, n.status, n.errcode) for n in StatementNotice.select()] == [("send", "quota", 45009)]
    assert wechat_sandbox.state.subscriptions[("o-statement-2", "TPL_STATEMENT")] == 1
    clock.travel_to(noon(dt.date(2026, 12, 8)))
    assert statements.remind() == 1
    drain_jobs()
    notices = [(n.purpose, n.status) for n in StatementNotice.select().order_by(StatementNotice.id)]
    assert notices == [("send", "quota"), ("remind", "sent")]
    assert wechat_sandbox.state.subscriptions[("o-statement-2", "TPL_STATEMENT")] == 0


def test_bad_periods_and_unknown_objects(client: Any, shop: Shop, unchanged: Any) -> None:
    clock.travel_to(noon(dt.date(2026, 12, 2)))
    url = f"/api/customers/{shop.dist.customer.id}/statements"
    with unchanged():
        for body, status, code in (
            ({"period_start": "2026-11-30", "period_end": "2026-11-01"}, 422, "invalid_statement_period"),
            ({"period_start": "2026-12-01", "period_end": "2026-12-02"}, 422, "invalid_statement_period"),
            ({"period_start": "2025-01-01", "period_end": "2026-11-30"}, 422, "invalid_statement_period"),
        ):
            answer = post(client, url, shop.staff, body)
            assert (answer.status_code, answer.json["error"]["code"]) == (status, code), body
        missing = post(
            client,
            "/api/customers/999999/statements",
            shop.staff,
            {"period_start": "2026-11-01", "period_end": "2026-11-30"},
        )
        assert missing.status_code == 404
        assert client.get("/api/statements/999999", headers=shop.staff).status_code == 404
        gone = post(
            client, "/api/statement-disputes/999999/resolve", shop.staff, {"action": "reject", "note": "x"}
        )
        assert (gone.status_code, gone.json["error"]["code"]) == (404, "statement_dispute_not_found")


def test_a_rejected_dispute_gives_the_same_figures_again(client: Any, shop: Shop, unchanged: Any) -> None:
    trade_november(client, shop)
    made = november_statement(client, shop)
    assert post(client, f"/api/statements/{made['id']}/send", shop.staff).status_code == 200
    with unchanged():
        twice = post(client, f"/api/statements/{made['id']}/send", shop.staff)
        assert (twice.status_code, twice.json["error"]["code"]) == (409, "statement_not_open")
        for body in (
            {"line_ids": [made["lines"][0]["id"]], "note": " "},
            {"line_ids": [999999], "note": "x"},
        ):
            bad = post(client, f"/api/my/statements/{made['id']}/disputes", shop.dist.headers, body)
            assert bad.status_code == 422, bad.json
    disputed = post(
        client,
        f"/api/my/statements/{made['id']}/disputes",
        shop.dist.headers,
        {"line_ids": [made["lines"][2]["id"], made["lines"][3]["id"]], "note": "收款日期不对"},
    ).json
    first, second = disputed["disputes"]
    with unchanged():
        no_note = post(
            client, f"/api/statement-disputes/{first['id']}/resolve", shop.staff, {"action": "reject"}
        )
        assert (no_note.status_code, no_note.json["error"]["code"]) == (422, "invalid_statement_dispute")
        as_dist = post(
            client,
            f"/api/statement-disputes/{first['id']}/resolve",
            shop.dist.headers,
            {"action": "reject", "note": "x"},
        )
        assert as_dist.status_code == 403
    one = post(
        client,
        f"/api/statement-disputes/{first['id']}/resolve",
        shop.staff,
        {"action": "reject", "note": "15日现金收款无误"},
    ).json
    assert (one["dispute"]["status"], one["new_statement_id"]) == ("rejected", None)  # one still open
    with unchanged():
        again = post(
            client,
            f"/api/statement-disputes/{first['id']}/resolve",
            shop.staff,
            {"action": "reject", "note": "x"},
        )
        assert (again.status_code, again.json["error"]["code"]) == (409, "statement_dispute_decided")
    two = post(
        client,
        f"/api/statement-disputes/{second['id']}/resolve",
        shop.staff,
        {"action": "reject", "note": "同上"},
    ).json
    newer = client.get(f"/api/my/statements/{two['new_statement_id']}", headers=shop.dist.headers).json
    assert (newer["version"], newer["status"], newer["closing_fen"]) == (2, "sent", 14600)
    assert [(x["kind"], x["amount_fen"]) for x in newer["lines"]] == [
        (x["kind"], x["amount_fen"]) for x in made["lines"]
    ]
    listed = client.get("/api/my/statements", headers=shop.dist.headers).json["items"]
    assert [(s["version"], s["status"]) for s in listed] == [(2, "sent"), (1, "superseded")]
    assert (
        post(client, f"/api/my/statements/{newer['id']}/confirm", shop.dist.headers).json["status"]
        == "confirmed"
    )


def test_an_adjustment_above_the_threshold_waits_for_the_owner(
    client: Any, shop: Shop, unchanged: Any
) -> None:
    from backend.receivables.statement_models import Statement

    trade_november(client, shop)
    made = november_statement(client, shop)
    post(client, f"/api/statements/{made['id']}/send", shop.staff)
    (dispute,) = post(
        client,
        f"/api/my/statements/{made['id']}/disputes",
        shop.dist.headers,
        {"line_ids": [made["lines"][0]["id"]], "note": "这张发票应打折"},
    ).json["disputes"]
    # The owner lets staff adjust up to ¥10.00 alone; ¥30.00 waits for the owner.
    from backend.receivables import adjustments

    adjustments.set_threshold(1000, actor_id=shop.owner_user.id)
    asked = post(
        client,
        f"/api/statement-disputes/{dispute['id']}/resolve",
        shop.staff,
        {"action": "adjust", "amount_fen": 3000, "note": "折让"},
    ).json
    assert (asked["dispute"]["status"], asked["new_statement_id"]) == ("open", None)
    assert asked["approval_id"] is not None
    with unchanged():
        early = post(client, f"/api/statement-disputes/{dispute['id']}/settle-approved", shop.staff)
        assert (early.status_code, early.json["error"]["code"]) == (409, "statement_dispute_pending")
    approved = post(client, f"/api/approvals/{asked['approval_id']}/approve", shop.owner)
    assert approved.status_code == 200, approved.json
    settled = post(client, f"/api/statement-disputes/{dispute['id']}/settle-approved", shop.staff).json
    assert settled["dispute"]["status"] == "resolved"
    newer = Statement.get_by_id(settled["new_statement_id"])
    assert (newer.version, newer.status, newer.closing_fen) == (2, "sent", 11600)


def pdf_strings(data: bytes) -> str:
    """Every text string drawn in the PDF, decoded as UCS-2 (the CID font's codes): the Chinese text."""
    import base64
    import re
    import zlib

    out = []
    for stream in re.findall(rb"stream\r?\n(.*?)endstream", data, re.S):
        body = stream.strip()
        if body.endswith(b"~>"):  # reportlab: /Filter [/ASCII85Decode /FlateDecode]
            body = base64.a85decode(body if body.startswith(b"<~") else b"<~" + body, adobe=True)
        try:
            content = zlib.decompress(body)
        except zlib.error:
            content = body
        for literal in re.findall(rb"\(((?:\\.|[^\\)])*)\)\s*Tj", content, re.S):
            raw = re.sub(
                rb"\\([0-7]{1,3}|.)",
                lambda m: bytes([int(m.group(1), 8)]) if m.group(1)[:1].isdigit() else m.group(1),
                literal,
            )
            if len(raw) % 2 == 0:
                out.append(raw.decode("utf-16-be", errors="ignore"))
    return "\n".join(out)


def test_pdf_and_excel_carry_the_same_totals_to_the_fen(client: Any, shop: Shop, tmp_path: Any) -> None:
    import io
    import shutil
    import subprocess

    pytest.importorskip("backend.exports.pdf")
    from openpyxl import load_workbook

    trade_november(client, shop)
    made = november_statement(client, shop)
    post(client, f"/api/statements/{made['id']}/send", shop.staff)
    confirmed = post(client, f"/api/my/statements/{made['id']}/confirm", shop.dist.headers).json
    token = made["link_url"].rsplit("/", 1)[1]
    sources = (
        (f"/api/statements/{made['id']}", shop.staff),
        (f"/api/my/statements/{made['id']}", shop.dist.headers),
        (f"/api/statement-links/{token}", {}),
    )
    for base, headers in sources:
        pdf = client.get(base + ".pdf", headers=headers)
        assert (pdf.status_code, pdf.mimetype) == (200, "application/pdf"), base
        assert pdf.data.startswith(b"%PDF")
        path = tmp_path / "statement.pdf"
        path.write_bytes(pdf.data)
        if shutil.which("pdftotext") is None:
            pytest.skip("pdftotext (poppler-utils) is not installed")
        text = subprocess.run(
            ["pdftotext", "-layout", str(path), "-"], capture_output=True, text=True, check=True
        ).stdout
        assert confirmed["content_hash"] in text
        # Chinese is set in the CID font STSong-Light (UCS-2 codes): read from the PDF's own text, since
        # pdftotext needs a language pack for it.
        chinese = pdf_strings(pdf.data)
        for wanted in ("对账单", "城东批发部", "期初余额", "期末余额", "已确认", "销售 发票#", "收款 发票#"):
            assert wanted in chinese, (wanted, chinese)
        # Opening 22.60, each line's amount and running balance, totals 203.40 / 80.00, closing 146.00.
        for figure in (
            "22.60",
            "113.00",
            "135.60",
            "56.50",
            "192.10",
            "-22.60",
            "-57.40",
            "33.90",
            "203.40",
            "80.00",
            "146.00",
        ):
            assert figure in text, (figure, text)

        xlsx = client.get(base + ".xlsx", headers=headers)
        assert xlsx.status_code == 200, base
        sheet = load_workbook(io.BytesIO(xlsx.data)).worksheets[0]
        rows = [r for r in sheet.iter_rows(values_only=True) if r and isinstance(r[0], int)]
        fen = [round(r[4] * 100) for r in rows]
        balances = [round(r[5] * 100) for r in rows]
        assert fen == [11300, 5650, -2260, -5740, 3390]
        assert balances == [13560, 19210, 16950, 11210, 14600]
        assert 2260 + sum(fen) == confirmed["closing_fen"] == 14600
        summary = {
            r[0]: round(r[1] * 100)
            for r in load_workbook(io.BytesIO(xlsx.data)).worksheets[1].iter_rows(min_row=2, values_only=True)
        }
        assert summary == {
            "期初余额 Opening balance": 2260,
            "本期增加 Added": 20340,
            "本期减少 Taken off": 8000,
            "期末余额 Closing balance": 14600,
        }


def test_credit_paid_ahead_is_stated_beside_what_is_owed(client: Any, shop: Shop) -> None:
    import io

    from openpyxl import load_workbook

    from backend.receivables import statements
    from backend.receivables.statement_models import Statement
    from store import on_account

    trade_november(client, shop)
    clock.travel_to(noon(dt.date(2026, 11, 25)))
    on_account.collect(shop.dist.customer.id, 3000, "bank_transfer", "prepay-nov", invoice_ids=[])
    clock.travel_to(noon(dt.date(2026, 12, 2)))
    on_account.collect(shop.dist.customer.id, 500, "bank_transfer", "prepay-dec", invoice_ids=[])  # after
    shop.relogin()
    made = post(
        client,
        f"/api/customers/{shop.dist.customer.id}/statements",
        shop.staff,
        {"period_start": "2026-11-01", "period_end": "2026-11-30"},
    ).json
    # What is owed is the ledger's 146.00 as before; the 30.00 paid ahead by the month's end sits beside it.
    assert (made["closing_fen"], made["advance_fen"]) == (14600, 3000)
    summary = {
        r[0]: round(r[1] * 100)
        for r in load_workbook(
            io.BytesIO(client.get(f"/api/statements/{made['id']}.xlsx", headers=shop.staff).data)
        )
        .worksheets[1]
        .iter_rows(min_row=2, values_only=True)
    }
    assert (summary["预收余额 Credit paid ahead"], summary["净欠款 Owed net of credit"]) == (3000, 11600)
    assert "advance_fen" in statements.content(Statement.get_by_id(made["id"]))
    # A customer with nothing but credit still gets the month's statement.
    from store import catalog

    ahead = catalog.create_customer("member", "预付客户 Paid ahead")
    clock.travel_to(noon(dt.date(2026, 11, 26)))
    on_account.collect(ahead.id, 1200, "cash", "prepay-ahead", invoice_ids=[])
    clock.travel_to(noon(dt.date(2026, 12, 3)))
    statements.generate_period(dt.date(2026, 11, 1), dt.date(2026, 11, 30))
    only = Statement.get(Statement.customer == ahead.id)
    assert (only.closing_fen, only.advance_fen, only.line_count) == (0, 1200, 0)
