"""An Excel workbook of sheets of rows, written in openpyxl's write-only (streaming) mode, so a
sheet of a million rows is written row by row without holding cells in memory.

Money columns take integer fen and are written as yuan numbers with the format `#,##0.00`:
the value is `Decimal(fen) / 100`, exact to the fen (no float arithmetic on money here; Excel
itself stores numbers as doubles, and any fen amount below 2^53 fen reads back exactly rounded to
two decimals).

    book = XlsxWorkbook()
    book.sheet("账龄", ["客户", "未结(元)"], rows, money_columns={1})
    data = book.render()
"""

from __future__ import annotations

import datetime as dt
import io
from collections.abc import Iterable, Sequence
from decimal import Decimal
from typing import Any

from openpyxl import Workbook
from openpyxl.cell import WriteOnlyCell
from openpyxl.styles import Font, PatternFill
from openpyxl.utils import get_column_letter

MONEY_FORMAT = "#,##0.00"
DATE_FORMAT = "yyyy-mm-dd"


def fen_to_yuan(fen: int) -> Decimal:
    """12345 -> Decimal('123.45'), exact."""
    return Decimal(int(fen)).scaleb(-2)


class XlsxWorkbook:
    def __init__(self) -> None:
        self._book = Workbook(write_only=True)
        self._bold = Font(bold=True)
        self._fill = PatternFill("solid", fgColor="EEEEEE")

    def sheet(
        self,
        title: str,
        header: Sequence[str],
        rows: Iterable[Sequence[Any]],
        *,
        money_columns: Iterable[int] = (),
        lines: Sequence[str] = (),
        widths: Sequence[int] | None = None,
    ) -> None:
        """A sheet named `title` (at most 31 characters, as Excel allows): optional `lines` of text
        on top, then `header` in bold, then `rows`, streamed. Cells in `money_columns` are fen."""
        sheet = self._book.create_sheet(title=title[:31])
        money = set(money_columns)
        for i, width in enumerate(widths or [14] * len(header)):
            sheet.column_dimensions[get_column_letter(i + 1)].width = width
        for text in lines:
            sheet.append([text])
        head = []
        for name in header:
            cell = WriteOnlyCell(sheet, value=name)
            cell.font, cell.fill = self._bold, self._fill
            head.append(cell)
        sheet.append(head)
        for row in rows:
            out: list[Any] = []
            for i, value in enumerate(row):
                if i in money and isinstance(value, int) and not isinstance(value, bool):
                    cell = WriteOnlyCell(sheet, value=fen_to_yuan(value))
                    cell.number_format = MONEY_FORMAT
                    out.append(cell)
                elif isinstance(value, dt.date):
                    cell = WriteOnlyCell(sheet, value=value)
                    cell.number_format = DATE_FORMAT
                    out.append(cell)
                else:
                    out.append(value)
            sheet.append(out)

    def render(self) -> bytes:
        out = io.BytesIO()
        self._book.save(out)
        return out.getvalue()
