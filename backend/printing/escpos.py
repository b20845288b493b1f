"""A laid-out document as the bytes an ESC/POS thermal printer takes.

python-escpos writes the commands (initialise, alignment, emphasis, character size, feed and cut);
the text itself goes out as GB18030, after FS & (Chinese character mode), which is what the Chinese
printers sold for shop counters expect; python-escpos's own text encoder only knows code pages.
"""

from __future__ import annotations

from escpos.printer import Dummy

from backend.printing.layout import Document

ENCODING = "gb18030"
CHINESE_MODE = b"\x1c\x26"  # FS &


def encode(doc: Document) -> bytes:
    printer = Dummy()
    printer.hw("INIT")
    printer._raw(CHINESE_MODE)
    for style, text in doc:
        printer.set(
            align="center" if style in ("title", "center") else "left",
            bold=style in ("title", "bold"),
            double_height=style == "title",
            double_width=style == "title",
            normal_textsize=style != "title",
        )
        printer._raw(text.encode(ENCODING, errors="replace") + b"\n")
    printer.set(normal_textsize=True, align="left", bold=False)
    printer.cut(feed=True)
    return bytes(printer.output)
