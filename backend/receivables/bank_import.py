"""银行流水导入 Bank statement CSV import: each credit line matched to a customer and recorded as a
collection, or left in a queue for staff, who assign it to a customer (a collection, the rest kept as
credit) or dismiss it.

The layout (a header row, then one row per transaction; the header names are matched in Chinese or
English, extra columns are ignored; UTF-8, with or without BOM, or GBK/GB18030 as Chinese banks
export):

    date       交易日期 / 日期 / 记账日期        2026-12-01, 2026/12/01 or 20261201
    amount     金额 / 贷方金额 / 收入金额         yuan, up to 2 decimals ("1,234.50"); money in > 0
    payer      付款人 / 对方户名 / 对方账户名称    the payer's name
    memo       摘要 / 附言 / 用途 / 备注           free text; an invoice number in it ("INV12", "账单12")
    reference  流水号 / 交易流水号 / 银行流水号    optional: the bank's own id of the transaction

A row whose amount is zero or negative (money out) is counted and skipped. Any broken row (a bad
date, an amount that is not yuan, a missing column) fails the whole file with every broken row
named, and nothing is written. Each credit line is kept once, by the bank's reference or else by its
content and its place among identical lines, so the same file (or overlapping statements) imported
again collects nothing twice.

Matching, in order: invoice numbers in the memo that are one customer's invoices (the money goes to
those, oldest due first; the rest is kept as the customer's credit); else a payer name that is exactly one customer's
name. Anything else waits for staff.
"""

from __future__ import annotations

import csv
import datetime as dt
import hashlib
import io
import re
from collections.abc import Sequence
from dataclasses import dataclass, field
from decimal import Decimal, DecimalException, InvalidOperation
from typing import Any

from backend import audit, clock
from backend.db import locked, transaction
from backend.errors import DomainError
from backend.kernel.models import Customer
from backend.receivables import services
from backend.receivables.errors import UnknownCustomer
from backend.receivables.models import BankImport, BankLine, Invoice

MAX_BYTES = 2_000_000
FIRST_YEAR, LAST_YEAR = 2000, 2100  # the business range every date the API takes is held to
MAX_ROWS = 5_000
COLUMNS = {
    "date": ("date", "交易日期", "日期", "记账日期", "交易时间"),
    "amount": ("amount", "金额", "贷方金额", "收入金额", "交易金额"),
    "payer": ("payer", "payer name", "付款人", "对方户名", "对方账户名称", "付款人名称"),
    "memo": ("memo", "摘要", "附言", "用途", "备注"),
    "reference": ("reference", "流水号", "交易流水号", "银行流水号"),
}
REQUIRED = ("date", "amount", "payer")
INVOICE_NUMBER = re.compile(r"(?:INV|账单|发票|单号)\s*[#:：号]?\s*(\d{1,12})", re.IGNORECASE)


class InvalidBankStatement(DomainError):
    code = "invalid_bank_statement"
    status = 422
    message_zh = "银行流水文件有错误行，未导入任何内容"
    message_en = "The bank statement has broken rows; nothing was imported"


class BankLineNotFound(DomainError):
    code = "bank_line_not_found"
    status = 404
    message_zh = "银行流水行不存在"
    message_en = "No such bank statement line"


class BankLineDecided(DomainError):
    code = "bank_line_decided"
    status = 409
    message_zh = "该流水行已处理"
    message_en = "This bank statement line was already dealt with"


@dataclass(frozen=True)
class StatementRow:
    row_no: int
    booked_on: dt.date
    amount_fen: int
    payer_name: str
    memo: str
    reference: str


@dataclass(frozen=True)
class ImportResult:
    bank_import: BankImport
    allocated_to_orders: dict[int, int] = field(default_factory=dict)


def decode(data: bytes) -> tuple[str, str]:
    """The text of the file and the encoding it was in: UTF-8 (with or without BOM), else GB18030
    (a superset of GBK and GB2312)."""
    try:
        return data.decode("utf-8-sig"), "utf-8"
    except UnicodeDecodeError:
        pass
    try:
        return data.decode("gb18030"), "gbk"
    except UnicodeDecodeError as exc:
        raise InvalidBankStatement(
            "The file is neither UTF-8 nor GBK", "文件既不是 UTF-8 也不是 GBK 编码", details={"rows": []}
        ) from exc


def _yuan_to_fen(text: str) -> int:
    cleaned = text.replace(",", "").replace("，", "").replace("¥", "").replace("￥", "").strip()
    value = Decimal(cleaned)  # InvalidOperation for anything that is not a number
    if not value.is_finite() or value.adjusted() > 15:  # NaN, infinity, or beyond any payment
        raise InvalidOperation
    fen = value * 100
    if fen != fen.to_integral_value():  # more than two decimals: not an amount a bank books
        raise InvalidOperation
    return int(fen)


def _date(text: str) -> dt.date:
    cleaned = text.strip()[:10].replace("/", "-").replace(".", "-")
    if re.fullmatch(r"\d{8}", text.strip()[:8]) and "-" not in cleaned:
        cleaned = f"{cleaned[:4]}-{cleaned[4:6]}-{cleaned[6:8]}"
    return dt.date.fromisoformat(cleaned)


def parse(text: str) -> tuple[list[StatementRow], int]:
    """Every data row checked before anything is written: (credit rows, data rows). Broken rows are
    all reported at once (row number as a spreadsheet shows it: the header is row 1)."""
    if "\x00" in text:  # no database text holds NUL: a binary file, not a statement
        raise InvalidBankStatement(details={"rows": [{"row": 1, "problem": "the file holds NUL characters"}]})
    reader = csv.reader(io.StringIO(text))
    try:
        header = next(reader)
    except StopIteration:
        raise InvalidBankStatement(
            details={"rows": [{"row": 1, "problem": "empty file: no header row"}]}
        ) from None
    except csv.Error as exc:
        raise InvalidBankStatement(details={"rows": [{"row": 1, "problem": f"not CSV: {exc}"}]}) from None
    names = [h.strip().lower() for h in header]
    where: dict[str, int] = {}
    for column, aliases in COLUMNS.items():
        for n, name in enumerate(names):
            if name in aliases:
                where[column] = n
                break
    missing = [c for c in REQUIRED if c not in where]
    if missing:
        raise InvalidBankStatement(
            details={"rows": [{"row": 1, "problem": f"header lacks column(s): {', '.join(missing)}"}]}
        )
    rows: list[StatementRow] = []
    problems: list[dict[str, Any]] = []
    data_rows = 0
    while True:
        try:
            cells = next(reader)
        except StopIteration:
            break
        except csv.Error as exc:
            problems.append({"row": reader.line_num, "problem": f"not CSV: {exc}"})
            break
        row_no = reader.line_num  # the line it ends on, as an editor numbers them (the header is 1)
        if not any(c.strip() for c in cells):
            continue
        data_rows += 1
        if data_rows > MAX_ROWS:
            problems.append({"row": row_no, "problem": f"more than {MAX_ROWS} rows"})
            break

        def cell(column: str, cells: list[str] = cells) -> str:
            n = where.get(column)
            return cells[n].strip() if n is not None and n < len(cells) else ""

        wrong = []
        try:
            booked_on = _date(cell("date"))
            if not FIRST_YEAR <= booked_on.year <= LAST_YEAR:
                raise ValueError
        except ValueError:
            wrong.append(f"date {cell('date')!r} is not a date (YYYY-MM-DD)")
        try:
            amount = _yuan_to_fen(cell("amount"))
            if abs(amount) > services.MAX_AMOUNT_FEN:
                wrong.append(f"amount {cell('amount')!r} is too large")
        except (DecimalException, ValueError):
            wrong.append(f"amount {cell('amount')!r} is not an amount in yuan (up to 2 decimals)")
        if len(cells) < len(header) and where["payer"] >= len(cells):
            wrong.append(f"only {len(cells)} columns, the header has {len(header)}")
        if len(cell("payer")) > 128 or len(cell("memo")) > 255 or len(cell("reference")) > 64:
            wrong.append("a payer, memo or reference too long")
        if wrong:
            problems.append({"row": row_no, "problem": "; ".join(wrong)})
            continue
        if amount <= 0:
            continue  # money out, or nothing: not a collection
        rows.append(StatementRow(row_no, booked_on, amount, cell("payer"), cell("memo"), cell("reference")))
    if problems:
        raise InvalidBankStatement(details={"rows": problems})
    return rows, data_rows


def _hashes(account: str, rows: Sequence[StatementRow]) -> list[str]:
    seen: dict[str, int] = {}
    hashes = []
    for row in rows:
        if row.reference:
            key = f"ref|{account}|{row.reference}"
        else:
            content = f"{account}|{row.booked_on}|{row.amount_fen}|{row.payer_name}|{row.memo}"
            seen[content] = seen.get(content, 0) + 1
            key = f"row|{content}|{seen[content]}"  # the 2nd identical line in a file is another payment
        hashes.append(hashlib.sha256(key.encode()).hexdigest())
    return hashes


def match(row: StatementRow) -> tuple[int, list[int], str] | None:
    """(customer id, invoice ids named in the memo, how) or None: staff will decide."""
    numbers = sorted({int(n) for n in INVOICE_NUMBER.findall(row.memo)})
    if numbers:
        invoices = list(Invoice.select().where(Invoice.id.in_(numbers)))
        owners = {inv.customer_id for inv in invoices}
        if len(owners) == 1:
            return owners.pop(), [inv.id for inv in invoices], "invoice_number"
    if row.payer_name:
        named = list(Customer.select(Customer.id).where(Customer.name == row.payer_name).limit(2))
        if len(named) == 1:
            return named[0].id, [], "payer_name"
    return None


def import_statement(
    data: bytes, *, filename: str = "", account: str = "", actor_id: int | None = None
) -> ImportResult:
    if len(data) > MAX_BYTES:
        raise InvalidBankStatement(details={"rows": [], "bytes": len(data), "max_bytes": MAX_BYTES})
    text, encoding = decode(data)
    rows, data_rows = parse(text)
    hashes = _hashes(account, rows)
    allocated: dict[int, int] = {}
    with transaction():
        import_id = BankImport.insert(
            filename=filename[:128],
            file_hash=hashlib.sha256(data).hexdigest(),
            account=account[:32],
            encoding=encoding,
            rows=data_rows,
            credits=len(rows),
            created_by=actor_id,
        ).execute()
        duplicates = 0
        for row, line_hash in zip(rows, hashes, strict=True):
            inserted = list(
                BankLine.insert(
                    bank_import=import_id,
                    row_no=row.row_no,
                    line_hash=line_hash,
                    booked_on=row.booked_on,
                    amount_fen=row.amount_fen,
                    payer_name=row.payer_name,
                    memo=row.memo[:255],
                    bank_reference=row.reference,
                    status="queued",
                )
                .on_conflict_ignore()
                .returning(BankLine.id)
                .tuples()
            )
            if not inserted:
                duplicates += 1
                continue
            line_id = int(inserted[0][0])
            found = match(row)
            if found is None:
                continue
            customer_id, invoice_ids, how = found
            collection = services.collect(
                customer_id,
                row.amount_fen,
                "bank_transfer",
                f"bank:{line_hash[:48]}",
                invoice_ids=invoice_ids or None,
                actor_id=actor_id,
            )
            BankLine.update(
                status="collected", matched_by=how, customer=customer_id, payment=collection.payment.id
            ).where(BankLine.id == line_id).execute()
            for order_id, part in collection.allocated_to_orders.items():
                allocated[order_id] = allocated.get(order_id, 0) + part
        BankImport.update(duplicates=duplicates).where(BankImport.id == import_id).execute()
        audit.record(actor_id, "bank.import", "bank_import", import_id, rows=data_rows, credits=len(rows))
        return ImportResult(BankImport.get_by_id(import_id), allocated)


def _open_line(line_id: int) -> BankLine:
    line = locked(BankLine.select().where(BankLine.id == line_id)).first()
    if line is None:
        raise BankLineNotFound(details={"bank_line_id": line_id})
    if line.status != "queued":
        raise BankLineDecided(details={"bank_line_id": line_id, "status": line.status})
    return line


def assign(
    line_id: int,
    customer_id: int,
    *,
    allocations: Sequence[tuple[int, int]] | None = None,
    actor_id: int | None = None,
) -> services.Collection:
    """Staff name the customer who paid a queued line: a collection (to the invoices and amounts
    chosen, or oldest due first), the rest kept as the customer's credit."""
    with transaction():
        line = _open_line(line_id)
        if not Customer.select().where(Customer.id == customer_id).exists():
            raise UnknownCustomer(details={"customer_id": customer_id})
        collection = services.collect(
            customer_id,
            line.amount_fen,
            "bank_transfer",
            f"bank:{line.line_hash[:48]}",
            allocations=allocations,
            actor_id=actor_id,
        )
        BankLine.update(
            status="assigned",
            matched_by="staff",
            customer=customer_id,
            payment=collection.payment.id,
            decided_by=actor_id,
            decided_at=clock.now(),
        ).where(BankLine.id == line.id).execute()
        return collection


def dismiss(line_id: int, *, note: str = "", actor_id: int | None = None) -> BankLine:
    """Not a customer's payment (bank interest, a supplier's refund...): out of the queue, nothing booked."""
    with transaction():
        line = _open_line(line_id)
        BankLine.update(
            status="dismissed", note=note[:255], decided_by=actor_id, decided_at=clock.now()
        ).where(BankLine.id == line.id).execute()
        audit.record(
            actor_id, "bank.dismiss_line", "bank_line", line.id, amount_fen=line.amount_fen, note=note
        )
        return BankLine.get_by_id(line.id)


def suggestion(line: BankLine) -> int | None:
    """For a queued line: the one customer with an invoice open for exactly this amount, if only one."""
    owners = {
        inv.customer_id
        for inv in Invoice.select(Invoice.customer)
        .where((Invoice.open_fen == line.amount_fen) & (Invoice.open_fen > 0))
        .limit(2)
    }
    return owners.pop() if len(owners) == 1 else None


def line_view(line: BankLine) -> dict[str, Any]:
    return {
        "id": line.id,
        "bank_import_id": line.bank_import_id,
        "row_no": line.row_no,
        "booked_on": line.booked_on,
        "amount_fen": line.amount_fen,
        "payer_name": line.payer_name,
        "memo": line.memo,
        "bank_reference": line.bank_reference,
        "status": line.status,
        "matched_by": line.matched_by,
        "customer_id": line.customer_id,
        "payment_id": line.payment_id,
        "note": line.note,
        "suggested_customer_id": suggestion(line) if line.status == "queued" else None,
    }


def import_view(bank_import: BankImport) -> dict[str, Any]:
    lines = list(BankLine.select().where(BankLine.bank_import == bank_import.id).order_by(BankLine.row_no))
    return {
        "id": bank_import.id,
        "filename": bank_import.filename,
        "account": bank_import.account,
        "encoding": bank_import.encoding,
        "rows": bank_import.rows,
        "credits": bank_import.credits,
        "duplicates": bank_import.duplicates,
        "collected": sum(1 for ln in lines if ln.status == "collected"),
        "queued": sum(1 for ln in lines if ln.status == "queued"),
        "created_at": bank_import.created_at,
        "lines": [line_view(ln) for ln in lines],
    }


def queue() -> list[BankLine]:
    return list(
        BankLine.select()
        .where(BankLine.status == "queued")
        .order_by(BankLine.booked_on, BankLine.id)
        .limit(500)
    )
