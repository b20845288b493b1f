"""Receipts and delivery notes as lines of text for a thermal printer's width, in columns.

A 58 mm printer prints 32 columns of the ASCII font, an 80 mm one 48; every other character (Chinese,
and also ×, ￥, ·) comes from the printer's GB font, two columns wide.
A document is a list of (style, text) lines: styles are `title` (double size, centred), `center`,
`bold` and `normal`. The same document is the printer's (escpos.py) and the screen's preview.
"""

from __future__ import annotations

from dataclasses import dataclass

COLUMNS = {58: 32, 80: 48}
STYLES = ("title", "center", "bold", "normal")

Document = list[tuple[str, str]]


def width(text: str) -> int:
    return sum(1 if ord(ch) < 0x80 else 2 for ch in text)


def money(fen: int) -> str:
    """Fen as ￥ with two decimals; the full-width sign is in GB2312, so every Chinese printer has it."""
    sign = "-" if fen < 0 else ""
    return f"{sign}￥{abs(fen) // 100:,}.{abs(fen) % 100:02d}"


def both_ends(left: str, right: str, columns: int) -> str:
    """`left` and `right` on one line, the right one flush right (it wraps if both do not fit)."""
    gap = columns - width(left) - width(right)
    return (
        f"{left}{' ' * gap}{right}" if gap >= 1 else f"{left}\n{' ' * max(columns - width(right), 0)}{right}"
    )


def rule(columns: int) -> str:
    return "-" * columns


@dataclass(frozen=True)
class Line:
    name: str
    quantity: int
    unit: str
    unit_price_fen: int
    total_fen: int


@dataclass(frozen=True)
class Sale:
    """What a receipt or a delivery note shows of one order."""

    shop_name: str
    order_id: int
    when: str  # the merchant's wall clock, "2026-12-01 09:30"
    staff: str
    customer: str
    lines: list[Line]
    total_fen: int
    vat_fen: int
    paid: list[tuple[str, int]]  # (how, fen): "现金 Cash", ...
    on_account_due: str | None  # a sale on account: its invoice's due date
    ship_to: str | None  # a delivery address, when the order has one


def receipt(sale: Sale, width_mm: int) -> Document:
    cols = COLUMNS[width_mm]
    doc: Document = [
        ("title", sale.shop_name),
        ("center", "销售小票 Receipt"),
        ("normal", f"单号 No.  {sale.order_id:06d}"),
        ("normal", f"时间 Time {sale.when}"),
        ("normal", f"收银 Staff {sale.staff}"),
        ("normal", f"客户 Customer {sale.customer}"),
        ("normal", rule(cols)),
    ]
    for line in sale.lines:
        doc.append(("normal", line.name))
        doc.append(
            (
                "normal",
                both_ends(
                    f"  {line.quantity}{line.unit} × {money(line.unit_price_fen)}",
                    money(line.total_fen),
                    cols,
                ),
            )
        )
    doc.append(("normal", rule(cols)))
    doc.append(("bold", both_ends("合计 Total", money(sale.total_fen), cols)))
    doc.append(("normal", both_ends("其中税额 VAT", money(sale.vat_fen), cols)))
    for how, fen in sale.paid:
        doc.append(("normal", both_ends(how, money(fen), cols)))
    if sale.on_account_due:
        doc.append(
            ("bold", both_ends("挂账 On account", money(sale.total_fen - sum(f for _, f in sale.paid)), cols))
        )
        doc.append(("normal", f"到期 Due {sale.on_account_due}"))
    doc.append(("normal", rule(cols)))
    doc.append(("center", "谢谢惠顾 Thank you"))
    return doc


def delivery_note(sale: Sale, width_mm: int) -> Document:
    cols = COLUMNS[width_mm]
    doc: Document = [
        ("title", sale.shop_name),
        ("center", "送货单 Delivery note"),
        ("normal", f"单号 No.  {sale.order_id:06d}"),
        ("normal", f"时间 Time {sale.when}"),
        ("normal", f"客户 Customer {sale.customer}"),
    ]
    if sale.ship_to:
        doc.append(("normal", f"送至 To {sale.ship_to}"))
    doc.append(("normal", rule(cols)))
    for line in sale.lines:
        doc.append(("normal", both_ends(line.name, f"{line.quantity}{line.unit}", cols)))
    doc.append(("normal", rule(cols)))
    doc.append(("normal", both_ends("件数 Items", str(sum(line.quantity for line in sale.lines)), cols)))
    doc.append(("normal", ""))
    doc.append(("normal", "收货人签字 Received by:"))
    doc.append(("normal", ""))
    doc.append(("normal", rule(cols)))
    return doc


def as_text(doc: Document) -> str:
    return "\n".join(text for _, text in doc)
