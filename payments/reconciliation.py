"""Daily reconciliation against WeChat's trade bill (交易账单).

The bill is a gzip CSV: a header row, one row per payment and per refund of the day (China time),
then a summary header and row. Every field starts with a backquote; amounts are yuan strings with
two decimals, turned into integer fen by string parsing (never float). Each row is matched with our
payment and refund records of that day (by WeChat's success time) and with the receivables entry
they produced; every difference is stored in a report the owner can read.
"""

from __future__ import annotations

import csv
import datetime as dt
import gzip
import io
import re
from dataclasses import dataclass, field
from typing import Any

from backend import clock
from backend.db import transaction
from backend.receivables.models import Payment
from payments import topups, wechat
from payments.errors import BillFormatError, BillNotAvailable, PaymentGatewayError
from payments.models import (
    WECHAT_METHODS,
    PaymentRecord,
    ReconciliationDifference,
    ReconciliationReport,
    RefundRecord,
    TopUp,
)

_YUAN = re.compile(r"^(-?)(\d+)(?:\.(\d+))?$")


def yuan_to_fen(text: str) -> int:
    """'12.34' -> 1234 exactly. Extra decimals must be zeros (fees carry five: '0.07000')."""
    match = _YUAN.match(text.strip().lstrip("`"))
    if not match:
        raise BillFormatError(details={"amount": text})
    sign, whole, frac = match.groups()
    frac = frac or ""
    if len(frac) > 2 and frac[2:].strip("0"):
        raise BillFormatError("An amount has fractions of a fen", details={"amount": text})
    fen = int(whole) * 100 + int((frac[:2] + "00")[:2])
    return -fen if sign else fen


@dataclass
class BillRow:
    out_trade_no: str
    transaction_id: str
    trade_status: str  # SUCCESS | REFUND | REVOKED
    amount_fen: int  # 应结订单金额 for payments, 退款金额 for refunds
    out_refund_no: str = ""
    refund_id: str = ""


@dataclass
class Bill:
    rows: list[BillRow] = field(default_factory=list)


def parse_bill(content: bytes) -> Bill:
    if content[:2] == b"\x1f\x8b":
        content = gzip.decompress(content)
    text = content.decode("utf-8-sig")
    lines = list(csv.reader(io.StringIO(text)))
    if not lines:
        return Bill()
    header = [h.strip().lstrip("`") for h in lines[0]]
    try:
        col = {
            name: header.index(name)
            for name in (
                "微信订单号",
                "商户订单号",
                "交易状态",
                "应结订单金额",
                "微信退款单号",
                "商户退款单号",
                "退款金额",
            )
        }
    except ValueError as exc:
        raise BillFormatError(details={"header": header[:5]}) from exc
    bill = Bill()
    for raw in lines[1:]:
        cells = [c.strip().lstrip("`") for c in raw]
        if not cells or cells[0] == "总交易单数":
            break  # the summary follows
        status = cells[col["交易状态"]]
        refund = status == "REFUND"
        bill.rows.append(
            BillRow(
                out_trade_no=cells[col["商户订单号"]],
                transaction_id=cells[col["微信订单号"]],
                trade_status=status,
                amount_fen=yuan_to_fen(cells[col["退款金额"] if refund else col["应结订单金额"]]),
                out_refund_no=cells[col["商户退款单号"]] if refund else "",
                refund_id=cells[col["微信退款单号"]] if refund else "",
            )
        )
    return bill


def download(bill_date: dt.date) -> Bill:
    client = wechat.client()
    status, body = wechat.answer(client.trade_bill(bill_date=bill_date.isoformat(), tar_type="GZIP"))
    if status != 200:
        if body.get("code") == "NO_STATEMENT_EXIST":
            return Bill()  # nothing happened at WeChat that day
        if status == 400 and body.get("code") == "PARAM_ERROR":
            # WeChat refuses the request itself (a day after today by its clock): the caller's to fix,
            # not a gateway outage.
            raise BillNotAvailable(details={"bill_date": bill_date.isoformat(), "wechat_code": "PARAM_ERROR"})
        raise PaymentGatewayError(details={"wechat_status": status, "wechat_code": body.get("code", "")})
    code, content = client.download_bill(body["download_url"])
    if code != 200:
        raise PaymentGatewayError(details={"wechat_status": code})
    return parse_bill(content if isinstance(content, bytes) else str(content).encode())


def compare(bill_date: dt.date, bill: Bill) -> tuple[list[dict[str, Any]], int]:
    """The differences between WeChat's bill and our records of that day, and our row count."""
    start, end = clock.day_bounds(bill_date, wechat.CHINA)  # WeChat's bill days are China days
    ours = {
        p.out_trade_no: p
        for p in PaymentRecord.select().where(
            (PaymentRecord.method.in_(WECHAT_METHODS))
            & (PaymentRecord.wechat_success_time >= start)
            & (PaymentRecord.wechat_success_time < end)
        )
    }
    our_refunds = {
        r.out_refund_no: r
        for r in RefundRecord.select().where(
            (RefundRecord.status == "succeeded")
            & (RefundRecord.wechat_success_time >= start)
            & (RefundRecord.wechat_success_time < end)
        )
    }
    diffs: list[dict[str, Any]] = []

    def diff(kind: str, **fields: Any) -> None:
        diffs.append({"kind": kind, **fields})

    seen_payments: set[str] = set()
    seen_refunds: set[str] = set()
    for row in bill.rows:
        if row.trade_status == "REFUND":
            seen_refunds.add(row.out_refund_no)
            refund = our_refunds.get(row.out_refund_no) or RefundRecord.get_or_none(
                RefundRecord.out_refund_no == row.out_refund_no
            )
            if refund is None:
                diff(
                    "missing_ours",
                    out_trade_no=row.out_trade_no,
                    out_refund_no=row.out_refund_no,
                    wechat_amount_fen=row.amount_fen,
                    wechat_status="REFUND",
                )
            elif refund.amount_fen != row.amount_fen:
                diff(
                    "amount_mismatch",
                    out_trade_no=row.out_trade_no,
                    out_refund_no=row.out_refund_no,
                    wechat_amount_fen=row.amount_fen,
                    our_amount_fen=refund.amount_fen,
                )
            elif refund.status != "succeeded":
                diff(
                    "status_mismatch",
                    out_trade_no=row.out_trade_no,
                    out_refund_no=row.out_refund_no,
                    wechat_status="REFUND",
                    our_status=refund.status,
                )
            continue
        seen_payments.add(row.out_trade_no)
        if topups.is_top_up(row.out_trade_no):  # a stored-value top-up: its own record
            top_up = TopUp.get_or_none(TopUp.out_trade_no == row.out_trade_no)
            if top_up is None or top_up.amount_fen != row.amount_fen or top_up.status != "succeeded":
                diff(
                    "missing_ours" if top_up is None else "amount_mismatch",
                    out_trade_no=row.out_trade_no,
                    wechat_amount_fen=row.amount_fen,
                    our_amount_fen=None if top_up is None else top_up.amount_fen,
                    wechat_status=row.trade_status,
                    our_status="" if top_up is None else top_up.status,
                    detail=f"stored-value top-up, transaction {row.transaction_id}",
                )
            continue
        payment = ours.get(row.out_trade_no) or PaymentRecord.get_or_none(
            PaymentRecord.out_trade_no == row.out_trade_no
        )
        if payment is None:
            diff(
                "missing_ours",
                out_trade_no=row.out_trade_no,
                wechat_amount_fen=row.amount_fen,
                wechat_status=row.trade_status,
                detail=f"transaction {row.transaction_id}",
            )
            continue
        if payment.amount_fen != row.amount_fen:
            diff(
                "amount_mismatch",
                out_trade_no=row.out_trade_no,
                wechat_amount_fen=row.amount_fen,
                our_amount_fen=payment.amount_fen,
                our_status=payment.status,
            )
            continue
        expected = "reversed" if row.trade_status == "REVOKED" else "succeeded"
        if payment.status != expected:
            diff(
                "status_mismatch",
                out_trade_no=row.out_trade_no,
                wechat_amount_fen=row.amount_fen,
                our_amount_fen=payment.amount_fen,
                wechat_status=row.trade_status,
                our_status=payment.status,
            )
            continue
        if payment.outcome == "captured":
            booked = Payment.get_or_none(Payment.reference == payment.transaction_id)
            if booked is None or booked.amount_fen != row.amount_fen or booked.direction != "in":
                diff(
                    "ledger_mismatch",
                    out_trade_no=row.out_trade_no,
                    wechat_amount_fen=row.amount_fen,
                    our_amount_fen=booked.amount_fen if booked else None,
                    detail="receivables payment missing or different",
                )
    for out_trade_no, payment in ours.items():
        if out_trade_no not in seen_payments and payment.status in ("succeeded", "reversed"):
            diff(
                "missing_wechat",
                out_trade_no=out_trade_no,
                our_amount_fen=payment.amount_fen,
                our_status=payment.status,
            )
    for out_refund_no, refund in our_refunds.items():
        if out_refund_no not in seen_refunds:
            payment = PaymentRecord.get_by_id(refund.payment_id)
            diff(
                "missing_wechat",
                out_trade_no=payment.out_trade_no,
                out_refund_no=out_refund_no,
                our_amount_fen=refund.amount_fen,
                our_status=refund.status,
            )
    return diffs, len(ours) + len(our_refunds)


def reconcile(bill_date: dt.date) -> ReconciliationReport:
    """Download, compare and store the report of one day; running it again replaces the report."""
    bill = download(bill_date)
    diffs, our_rows = compare(bill_date, bill)
    with transaction():
        ReconciliationReport.delete().where(ReconciliationReport.bill_date == bill_date).execute()
        report_id = ReconciliationReport.insert(
            bill_date=bill_date,
            wechat_rows=len(bill.rows),
            our_rows=our_rows,
            wechat_paid_fen=sum(r.amount_fen for r in bill.rows if r.trade_status != "REFUND"),
            wechat_refunded_fen=sum(r.amount_fen for r in bill.rows if r.trade_status == "REFUND"),
            difference_count=len(diffs),
            ran_at=clock.now(),
        ).execute()
        if diffs:
            ReconciliationDifference.insert_many([{"report": report_id, **d} for d in diffs]).execute()
        return ReconciliationReport.get_by_id(report_id)


def reconcile_yesterday() -> int:
    """Periodic: reconcile yesterday (China time) once its bill exists (WeChat publishes it after 10:00)."""
    now_china = clock.now().replace(tzinfo=dt.UTC).astimezone(wechat.CHINA)
    if now_china.hour < 10:
        return 0
    yesterday = now_china.date() - dt.timedelta(days=1)
    if ReconciliationReport.select().where(ReconciliationReport.bill_date == yesterday).exists():
        return 0
    return reconcile(yesterday).difference_count
