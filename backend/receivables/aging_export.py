"""Aging as documents to download: the same figures as `aging.aging` / `aging.invoice_rows`,
laid out by the generic exports (PDF, Excel). Money is fen in, yuan to the fen out."""

from __future__ import annotations

import datetime as dt
from typing import Any

from backend import clock
from backend.exports.pdf import PdfDocument
from backend.exports.xlsx import XlsxWorkbook
from backend.receivables.aging import AgingReport, InvoiceAging, aging, invoice_rows


def _lines(report: AgingReport, customer_id: int | None) -> list[str]:
    lines = [
        f"截至 As of {report.as_of.isoformat()} (营业日 business day, {clock.zone()})",
        f"分段 Buckets: {', '.join(b.key for b in report.buckets)}",
        f"金额单位 Amounts in yuan (元) · 生成 Made {clock.rfc3339(clock.now())}",
    ]
    if customer_id is not None:
        name = report.customers[0].name if report.customers else ""
        lines.append(f"客户 Customer {customer_id} {name}")
    return lines


def _customer_table(report: AgingReport) -> tuple[list[str], list[list[Any]], set[int], list[Any]]:
    keys = [b.key for b in report.buckets]
    header = [
        "客户ID",
        "客户 Customer",
        "张数 Invoices",
        "最早到期 Oldest due",
        "未结 Open",
        *keys,
        "逾期 Overdue",
    ]
    rows: list[list[Any]] = [
        [
            c.customer_id,
            c.name,
            c.invoices,
            c.oldest_due_on,
            c.open_fen,
            *(c.buckets[k] for k in keys),
            c.overdue_fen,
        ]
        for c in report.customers
    ]
    money = set(range(4, 4 + len(keys) + 2))
    footer = ["Total", "合计", report.invoices, "", report.open_fen, *(report.totals[k] for k in keys)]
    footer.append(report.overdue_fen)
    return header, rows, money, footer


_INVOICE_HEADER = [
    "发票ID Invoice",
    "客户 Customer",
    "订单 Order",
    "开票 Issued",
    "到期 Due",
    "金额 Amount",
    "未结 Open",
    "逾期天数 Days late",
    "分段 Bucket",
]


def _invoice_row(i: InvoiceAging) -> list[Any]:
    return [
        i.invoice_id,
        i.customer_name,
        i.order_id,
        i.issued_on,
        i.due_on,
        i.amount_fen,
        i.open_fen,
        max(i.days_overdue, 0),
        i.bucket,
    ]


def _all_invoices(as_of: dt.date, customer_id: int | None, boundaries: tuple[int, ...]) -> list[InvoiceAging]:
    """Every invoice open as of the day, from one query (paging would sum the entries once a page)."""
    return invoice_rows(as_of, customer_id=customer_id, boundaries=boundaries)


def aging_pdf(as_of: dt.date, *, customer_id: int | None, boundaries: tuple[int, ...], detail: bool) -> bytes:
    report = aging(as_of, customer_id=customer_id, boundaries=boundaries)
    doc = PdfDocument("应收账龄表 Receivables aging", _lines(report, customer_id), wide=True)
    header, rows, money, footer = _customer_table(report)
    doc.table(header, rows, money_columns=money, footer=footer, title="按客户 By customer")
    if detail:
        doc.table(
            _INVOICE_HEADER,
            (_invoice_row(i) for i in _all_invoices(report.as_of, customer_id, boundaries)),
            money_columns={5, 6},
            title="按发票 By invoice",
        )
    return doc.render()


def aging_xlsx(
    as_of: dt.date, *, customer_id: int | None, boundaries: tuple[int, ...], detail: bool
) -> bytes:
    report = aging(as_of, customer_id=customer_id, boundaries=boundaries)
    book = XlsxWorkbook()
    header, rows, money, footer = _customer_table(report)
    book.sheet(
        "账龄 Aging",
        header,
        [*rows, footer],
        money_columns=money,
        lines=["应收账龄表 Receivables aging", *_lines(report, customer_id)],
        widths=[10, 24, 10, 14, *[14] * (len(header) - 4)],
    )
    if detail:
        book.sheet(
            "发票 Invoices",
            _INVOICE_HEADER,
            (_invoice_row(i) for i in _all_invoices(report.as_of, customer_id, boundaries)),
            money_columns={5, 6},
            widths=[12, 24, 10, 12, 12, 14, 14, 12, 10],
        )
    return book.render()
