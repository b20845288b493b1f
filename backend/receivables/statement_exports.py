"""A period statement as a PDF (Chinese text) and as an Excel workbook, through backend.exports.

Both carry the same figures, from the statement's stored snapshot: the header (customer, period,
version, status, and the content hash once confirmed), the opening balance, one row per line with its
running balance, the totals (本期增加 added, 本期减少 taken off) and the closing balance, and the aging
at the period end when the statement has one. Money is fen, shown as yuan to the fen.
"""

from __future__ import annotations

import datetime as dt
import json
from typing import Any

from backend import runtime
from backend.exports.pdf import PdfDocument
from backend.exports.xlsx import XlsxWorkbook
from backend.receivables import statements
from backend.receivables.statement_models import Statement

STATUS_LABELS = {
    "draft": "草稿 Draft",
    "sent": "待确认 Awaiting confirmation",
    "confirmed": "已确认 Confirmed",
    "disputed": "有异议 Disputed",
    "superseded": "已被新版本取代 Superseded",
}
HEADER = ["序号 No.", "日期 Date", "摘要 Description", "发票 Invoice", "金额 Amount", "余额 Balance"]
MONEY = {4, 5}


def _date(value: Any) -> dt.date:
    return dt.date.fromisoformat(value[:10]) if isinstance(value, str) else value


def _shop_name() -> str:
    try:
        return runtime.settings().shop_name
    except RuntimeError:
        return "业财小店"


def filename(statement: Statement, ext: str) -> str:
    start = _date(statement.period_start).isoformat()
    end = _date(statement.period_end).isoformat()
    return f"statement-{statement.id}-{start}-{end}-v{statement.version}.{ext}"


def _heading(statement: Statement) -> list[str]:
    start = _date(statement.period_start).isoformat()
    end = _date(statement.period_end).isoformat()
    lines = [
        f"{_shop_name()} · 客户 Customer: {statement.customer.name} (#{statement.customer_id})",
        f"期间 Period: {start} 至 {end} · 第 {statement.version} 版 Version {statement.version} · "
        f"对账单 #{statement.id}",
        f"状态 Status: {STATUS_LABELS.get(statement.status, statement.status)}",
    ]
    if statement.content_hash:
        lines.append(f"确认内容校验 SHA-256: {statement.content_hash}")
    return lines


def _summary(statement: Statement) -> list[tuple[str, int]]:
    rows = [
        ("期初余额 Opening balance", statement.opening_fen),
        ("本期增加 Added", statement.debit_fen),
        ("本期减少 Taken off", statement.credit_fen),
        ("期末余额 Closing balance", statement.closing_fen),
    ]
    if statement.advance_fen:
        rows += [
            ("预收余额 Credit paid ahead", statement.advance_fen),
            ("净欠款 Owed net of credit", statement.closing_fen - statement.advance_fen),
        ]
    return rows


def _rows(statement: Statement) -> list[list[Any]]:
    rows: list[list[Any]] = [
        ["", _date(statement.period_start), "期初余额 Opening balance", "", None, statement.opening_fen]
    ]
    for line in statements.lines_of(statement.id):
        rows.append(
            [
                line.seq,
                _date(line.on_date),
                line.description,
                line.invoice_id,
                line.amount_fen,
                line.balance_fen,
            ]
        )
    return rows


def _aging(statement: Statement) -> tuple[list[str], list[list[Any]]] | None:
    if not statement.aging:
        return None
    aging = json.loads(statement.aging)
    buckets = aging.get("buckets", [])
    header = [b["label"] for b in buckets] + ["合计 Total"]
    return header, [[b["amount_fen"] for b in buckets] + [aging.get("total_fen", 0)]]


def pdf(statement: Statement) -> bytes:
    doc = PdfDocument("对账单 Statement of account", _heading(statement))
    doc.table(["项目 Item", "金额 Amount"], _summary(statement), money_columns={1}, title="汇总 Summary")
    doc.table(
        HEADER,
        _rows(statement),
        money_columns=MONEY,
        title="明细 Lines",
        footer=[
            "",
            "",
            "期末余额 Closing balance",
            "",
            statement.debit_fen - statement.credit_fen,
            statement.closing_fen,
        ],
    )
    aging = _aging(statement)
    if aging is not None:
        header, rows = aging
        end = _date(statement.period_end).isoformat()
        doc.table(header, rows, money_columns=set(range(len(header))), title=f"账龄 Aging at {end}")
    return doc.render()


def xlsx(statement: Statement) -> bytes:
    book = XlsxWorkbook()
    book.sheet(
        "对账单 Statement",
        HEADER,
        [
            *_rows(statement),
            [
                "",
                None,
                "期末余额 Closing balance",
                "",
                statement.debit_fen - statement.credit_fen,
                statement.closing_fen,
            ],
        ],
        money_columns=MONEY,
        lines=_heading(statement),
        widths=[8, 12, 36, 12, 14, 14],
    )
    book.sheet(
        "汇总 Summary", ["项目 Item", "金额 Amount"], _summary(statement), money_columns={1}, widths=[28, 16]
    )
    aging = _aging(statement)
    if aging is not None:
        header, rows = aging
        book.sheet("账龄 Aging", header, rows, money_columns=set(range(len(header))))
    return book.render()
