"""A titled PDF with header lines and tables, Chinese included, from plain rows.

Chinese is set in reportlab's built-in CID font STSong-Light (the Adobe-GB1 font every PDF reader
carries), so no font file ships or is read: `UnicodeCIDFont` only names it in the PDF. Runs of
plain ASCII (figures, dates, codes) are set in Helvetica, so the figures can be copied or extracted
as text even by a reader without the Adobe-GB1 language pack. Money columns take integer fen and
print yuan with two decimals, exact (no floats).

    doc = PdfDocument("应收账龄 Receivables aging", ["截至 2026-03-31"])
    doc.table(["客户", "未结"], [["城东批发部", 226000]], money_columns={1})
    data = doc.render()
"""

from __future__ import annotations

import io
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from typing import Any

from reportlab.lib import colors
from reportlab.lib.pagesizes import A4, landscape
from reportlab.lib.styles import ParagraphStyle
from reportlab.lib.units import mm
from reportlab.pdfbase import pdfmetrics
from reportlab.pdfbase.cidfonts import UnicodeCIDFont
from reportlab.platypus import LongTable, Paragraph, SimpleDocTemplate, Spacer, TableStyle

FONT = "STSong-Light"
LATIN = "Helvetica"
pdfmetrics.registerFont(UnicodeCIDFont(FONT))


def yuan(fen: int) -> str:
    """12345 -> '123.45', -5 -> '-0.05': integer arithmetic, to the fen."""
    sign = "-" if fen < 0 else ""
    whole, cents = divmod(abs(int(fen)), 100)
    return f"{sign}{whole:,}.{cents:02d}"


def _escape(text: str) -> str:
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


def _markup(text: str) -> str:
    """Paragraph markup: ASCII runs in Helvetica, the rest in the paragraph's CID font."""
    out, run, ascii_run = [], "", None
    for ch in text + "\0":
        is_ascii = ch.isascii()
        if ch == "\0" or (ascii_run is not None and is_ascii != ascii_run):
            if run:
                out.append(f'<font face="{LATIN}">{_escape(run)}</font>' if ascii_run else _escape(run))
            run = ""
        run += ch
        ascii_run = is_ascii
    return "".join(out)


@dataclass
class _Table:
    title: str | None
    header: list[str]
    rows: list[list[Any]]
    money_columns: set[int]
    footer: list[Any] | None


@dataclass
class PdfDocument:
    title: str
    lines: list[str] = field(default_factory=list)  # header lines under the title
    wide: bool = False  # landscape A4 for many columns
    tables: list[_Table] = field(default_factory=list)

    def table(
        self,
        header: Sequence[str],
        rows: Iterable[Sequence[Any]],
        *,
        money_columns: Iterable[int] = (),
        title: str | None = None,
        footer: Sequence[Any] | None = None,
    ) -> None:
        """A table: `header`, then `rows`; cells in `money_columns` are fen shown as yuan. `footer`
        is a totals row set in bold-ish grey."""
        self.tables.append(
            _Table(
                title,
                list(header),
                [list(r) for r in rows],
                set(money_columns),
                list(footer) if footer else None,
            )
        )

    def _cell(self, value: Any, column: int, money: set[int]) -> str:
        if value is None:
            return ""
        if column in money and isinstance(value, int):
            return yuan(value)
        return str(value)

    def render(self) -> bytes:
        out = io.BytesIO()
        size = landscape(A4) if self.wide else A4
        doc = SimpleDocTemplate(
            out,
            pagesize=size,
            leftMargin=12 * mm,
            rightMargin=12 * mm,
            topMargin=12 * mm,
            bottomMargin=12 * mm,
            title=self.title,
            creator="yecai",
        )
        heading = ParagraphStyle("heading", fontName=FONT, fontSize=15, leading=20, spaceAfter=4)
        subheading = ParagraphStyle("subheading", fontName=FONT, fontSize=11, leading=15, spaceBefore=6)
        line = ParagraphStyle("line", fontName=FONT, fontSize=9, leading=13)
        story: list[Any] = [Paragraph(_markup(self.title), heading)]
        story += [Paragraph(_markup(text), line) for text in self.lines]
        for table in self.tables:
            story.append(Spacer(1, 4 * mm))
            if table.title:
                story.append(Paragraph(_markup(table.title), subheading))
            body = [table.header] + [
                [self._cell(v, i, table.money_columns) for i, v in enumerate(row)] for row in table.rows
            ]
            if table.footer:
                body.append([self._cell(v, i, table.money_columns) for i, v in enumerate(table.footer)])
            grid = LongTable(body, repeatRows=1, hAlign="LEFT")
            style = [
                ("FONTNAME", (0, 0), (-1, -1), FONT),
                ("FONTSIZE", (0, 0), (-1, -1), 8),
                ("BACKGROUND", (0, 0), (-1, 0), colors.HexColor("#eeeeee")),
                ("GRID", (0, 0), (-1, -1), 0.25, colors.grey),
                ("VALIGN", (0, 0), (-1, -1), "MIDDLE"),
            ]
            style += [("ALIGN", (c, 1), (c, -1), "RIGHT") for c in sorted(table.money_columns)]
            if table.footer:
                style.append(("BACKGROUND", (0, -1), (-1, -1), colors.HexColor("#f5f5f5")))
            style += [
                ("FONTNAME", (c, r), (c, r), LATIN)
                for r, cells in enumerate(body)
                for c, text in enumerate(cells)
                if isinstance(text, str) and text.isascii()
            ]
            grid.setStyle(TableStyle(style))
            story.append(grid)
        doc.build(story)
        return out.getvalue()
