"""A local fapiao provider: issues numbers and a PDF (reportlab, the CID font STSong-Light, which
needs no font file), deduplicated by our request id in its own folder under the instance directory,
the way a tax platform keeps its own records apart from ours. Not a real fapiao: every page says so.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import io
import json
import os
import threading
from pathlib import Path

from backend import clock
from backend.money import format_yuan
from store.fapiao.provider import Buyer, Issued, Item

_lock = threading.Lock()
_FONT = "STSong-Light"


def _font() -> str:
    from reportlab.pdfbase import pdfmetrics
    from reportlab.pdfbase.cidfonts import UnicodeCIDFont

    if _FONT not in pdfmetrics.getRegisteredFontNames():
        pdfmetrics.registerFont(UnicodeCIDFont(_FONT))
    return _FONT


class SandboxProvider:
    def __init__(self, root: Path, seller: str = "业财小店") -> None:
        self.root = root
        self.seller = seller

    # ---- the provider contract

    def issue_blue(
        self, request_id: str, buyer: Buyer, items: list[Item], amount_fen: int, vat_fen: int
    ) -> Issued:
        return self._issue(request_id, "blue", buyer, items, amount_fen, vat_fen, blue_number=None)

    def issue_red(
        self, request_id: str, blue_number: str, buyer: Buyer, amount_fen: int, vat_fen: int
    ) -> Issued:
        item = Item(f"红冲 发票 {blue_number}", 1, -amount_fen, 0)
        return self._issue(request_id, "red", buyer, [item], -amount_fen, -vat_fen, blue_number=blue_number)

    # ---- what the sandbox keeps

    def issued(self) -> list[dict[str, object]]:
        """Everything issued so far (for tests and the demo), oldest first."""
        if not self.root.exists():
            return []
        records = [json.loads(p.read_text()) for p in self.root.glob("*.json")]
        return sorted(records, key=lambda r: (str(r["issued_at"]), str(r["request_id"])))

    def _paths(self, request_id: str) -> tuple[Path, Path]:
        safe = hashlib.sha256(request_id.encode()).hexdigest()[:32]
        return self.root / f"{safe}.json", self.root / f"{safe}.pdf"

    def _issue(
        self,
        request_id: str,
        kind: str,
        buyer: Buyer,
        items: list[Item],
        amount_fen: int,
        vat_fen: int,
        *,
        blue_number: str | None,
    ) -> Issued:
        record_path, pdf_path = self._paths(request_id)
        with _lock:
            if record_path.exists():  # the same request again: the same fapiao
                record = json.loads(record_path.read_text())
                return Issued(
                    str(record["number"]),
                    dt.datetime.fromisoformat(str(record["issued_at"])),
                    pdf_path.read_bytes(),
                )
            self.root.mkdir(parents=True, exist_ok=True)
            now = clock.now()
            digest = int(hashlib.sha256(request_id.encode()).hexdigest(), 16) % 10**13
            number = f"{now:%y}3100{'1' if kind == 'red' else '0'}{digest:013d}"
            content = self._pdf(kind, number, now, buyer, items, amount_fen, vat_fen, blue_number)
            pdf_path.write_bytes(content)
            record = {
                "request_id": request_id,
                "kind": kind,
                "number": number,
                "issued_at": now.isoformat(),
                "buyer": buyer.title,
                "tax_number": buyer.tax_number,
                "amount_fen": amount_fen,
                "vat_fen": vat_fen,
                "blue_number": blue_number,
            }
            tmp = record_path.with_suffix(".tmp")
            tmp.write_text(json.dumps(record, ensure_ascii=False))
            os.replace(tmp, record_path)  # the record appears whole, after its file
            return Issued(number, now, content)

    def _pdf(
        self,
        kind: str,
        number: str,
        when: dt.datetime,
        buyer: Buyer,
        items: list[Item],
        amount_fen: int,
        vat_fen: int,
        blue_number: str | None,
    ) -> bytes:
        from reportlab.lib.pagesizes import A5, landscape
        from reportlab.pdfgen import canvas

        font = _font()
        buffer = io.BytesIO()
        width, height = landscape(A5)
        pdf = canvas.Canvas(buffer, pagesize=(width, height), invariant=1)
        pdf.setTitle(f"fapiao {number}")
        title = "电子发票（红字）" if kind == "red" else "电子发票（普通发票）"
        pdf.setFont(font, 16)
        if kind == "red":
            pdf.setFillColorRGB(0.75, 0.1, 0.1)
        pdf.drawCentredString(width / 2, height - 40, title)
        pdf.setFillColorRGB(0, 0, 0)
        pdf.setFont(font, 9)
        pdf.drawString(30, height - 62, f"发票号码 No. {number}")
        pdf.drawString(30, height - 76, f"开票日期 Date {when:%Y-%m-%d}")
        if blue_number:
            pdf.drawString(30, height - 90, f"被红冲蓝字发票号码 Reverses {blue_number}")
        pdf.drawString(30, height - 110, f"购买方 Buyer: {buyer.title}")
        if buyer.tax_number:
            pdf.drawString(30, height - 124, f"统一社会信用代码/纳税人识别号: {buyer.tax_number}")
        extra = " ".join(x for x in (buyer.company_address, buyer.telephone) if x)
        if extra:
            pdf.drawString(30, height - 138, f"地址电话: {extra}")
        bank = " ".join(x for x in (buyer.bank_name, buyer.bank_account) if x)
        if bank:
            pdf.drawString(30, height - 152, f"开户行及账号: {bank}")
        pdf.drawString(width / 2 + 20, height - 110, f"销售方 Seller: {self.seller}")
        y = height - 180
        pdf.drawString(30, y, "项目名称 Item")
        pdf.drawString(300, y, "数量 Qty")
        pdf.drawString(360, y, "税率 Rate")
        pdf.drawString(440, y, "金额(含税) Amount")
        for item in items[:12]:
            y -= 14
            pdf.drawString(30, y, item.name[:40])
            pdf.drawString(300, y, str(item.quantity))
            pdf.drawString(360, y, f"{item.vat_rate_bp / 100:g}%")
            pdf.drawString(440, y, format_yuan(item.amount_fen))
        y -= 24
        pdf.drawString(30, y, f"税额 VAT ¥{format_yuan(vat_fen)}")
        pdf.drawString(200, y, f"价税合计 Total ¥{format_yuan(amount_fen)}")
        pdf.setFont(font, 8)
        pdf.drawString(30, 20, "沙箱开具 SANDBOX — 非真实发票 not a real fapiao")
        pdf.showPage()
        pdf.save()
        return buffer.getvalue()
