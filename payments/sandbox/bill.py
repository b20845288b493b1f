"""WeChat Pay trade bills (交易账单) in WeChat's CSV layout.

Layout (bill_type=ALL): a header row; one row per payment and per refund of the day,
each field prefixed with a backquote (so spreadsheets keep long ids as text); then the
summary header and the summary row. Amounts are yuan with two decimals, formatted from
integer fen; fees have five decimals, at a 0.60% rate rounded half-up to the fen.
"""

from __future__ import annotations

import csv
import gzip
import io
from collections.abc import Iterable
from datetime import datetime

from .clock import CHINA_TZ, china_date
from .state import Order, Refund, SandboxState

HEADER = [
    "交易时间",
    "公众账号ID",
    "商户号",
    "特约商户号",
    "设备号",
    "微信订单号",
    "商户订单号",
    "用户标识",
    "交易类型",
    "交易状态",
    "付款银行",
    "货币种类",
    "应结订单金额",
    "代金券金额",
    "微信退款单号",
    "商户退款单号",
    "退款金额",
    "充值券退款金额",
    "退款类型",
    "退款状态",
    "商品名称",
    "商户数据包",
    "手续费",
    "费率",
    "订单金额",
    "申请退款金额",
    "费率备注",
]
SUMMARY_HEADER = [
    "总交易单数",
    "应结订单总金额",
    "退款总金额",
    "充值券退款总金额",
    "手续费总金额",
    "订单总金额",
    "申请退款总金额",
]
FEE_RATE_PER_MILLE = 6  # 0.60%
FEE_RATE_TEXT = "0.60%"


def yuan(fen: int) -> str:
    sign = "-" if fen < 0 else ""
    fen = abs(fen)
    return f"{sign}{fen // 100}.{fen % 100:02d}"


def fee_text(fee_fen: int) -> str:
    return yuan(fee_fen) + "000"


def fee_fen(amount_fen: int) -> int:
    """WeChat's fee on an amount, rounded half-up to the fen (integer arithmetic only)."""
    return (amount_fen * FEE_RATE_PER_MILLE + 500) // 1000


def _time_text(ts: float) -> str:
    return datetime.fromtimestamp(int(ts), tz=CHINA_TZ).strftime("%Y-%m-%d %H:%M:%S")


def _row(fields: Iterable[str]) -> list[str]:
    return ["`" + f for f in fields]


def build_trade_bill(state: SandboxState, bill_date: str, bill_type: str = "ALL") -> list[list[str]] | None:
    """Rows of the bill for ``bill_date`` (China time), or None if nothing happened that day."""
    with state.lock:
        payments: list[Order] = [
            o
            for o in state.orders.values()
            if o.success_time is not None and china_date(o.success_time) == bill_date
        ]
        refunds: list[Refund] = [
            r
            for r in state.refunds.values()
            if r.status == "SUCCESS"
            and r.success_time is not None
            and china_date(r.success_time) == bill_date
        ]
        orders = dict(state.orders)
    if bill_type == "SUCCESS":
        refunds = []
    elif bill_type == "REFUND":
        payments = []
    if not payments and not refunds:
        return None

    rows: list[tuple[float, list[str]]] = []
    settled_total = refund_total = fee_total = order_total = requested_refund_total = 0
    for o in payments:
        assert o.success_time is not None and o.transaction_id is not None
        status = "REVOKED" if o.revoked else "SUCCESS"
        fee = fee_fen(o.total)
        settled_total += o.total
        order_total += o.total
        fee_total += fee
        fields = [
            _time_text(o.success_time),
            o.appid,
            o.mchid,
            "0",
            "",
            o.transaction_id,
            o.out_trade_no,
            o.payer_openid or "",
            o.trade_type,
            status,
            "OTHERS",
            o.currency,
            yuan(o.total),
            "0.00",
            "0",
            "0",
            "0.00",
            "0.00",
            "",
            "",
            o.description,
            o.attach or "",
            fee_text(fee),
            FEE_RATE_TEXT,
            yuan(o.total),
            "0.00",
            "",
        ]
        rows.append((o.success_time, _row(fields)))
    for r in refunds:
        assert r.success_time is not None
        o = orders[r.out_trade_no]
        fee = -fee_fen(r.refund)  # WeChat returns the fee share of refunded money
        refund_total += r.refund
        requested_refund_total += r.refund
        fee_total += fee
        fields = [
            _time_text(r.success_time),
            o.appid,
            o.mchid,
            "0",
            "",
            r.transaction_id,
            r.out_trade_no,
            o.payer_openid or "",
            o.trade_type,
            "REFUND",
            "OTHERS",
            r.currency,
            "0.00",
            "0.00",
            r.refund_id,
            r.out_refund_no,
            yuan(r.refund),
            "0.00",
            "ORIGINAL",
            "SUCCESS",
            o.description,
            o.attach or "",
            fee_text(fee),
            FEE_RATE_TEXT,
            "0.00",
            yuan(r.refund),
            "",
        ]
        rows.append((r.success_time, _row(fields)))
    rows.sort(key=lambda pair: pair[0])
    summary = _row(
        [
            str(len(rows)),
            yuan(settled_total),
            yuan(refund_total),
            "0.00",
            fee_text(fee_total),
            yuan(order_total),
            yuan(requested_refund_total),
        ]
    )
    return [HEADER, *[r for _, r in rows], SUMMARY_HEADER, summary]


def render(rows: list[list[str]], gzipped: bool) -> bytes:
    out = io.StringIO()
    csv.writer(out, lineterminator="\r\n").writerows(rows)
    data = out.getvalue().encode("utf-8")
    # mtime=0 keeps the bytes (and so the announced hash) stable for the same bill.
    return gzip.compress(data, mtime=0) if gzipped else data
