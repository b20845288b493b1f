"""Stored-value top-ups through WeChat Pay (JSAPI).

The top-up record is committed first, WeChat is then asked for a prepay_id with no transaction
open, and the customer pays with wx.requestPayment. WeChat's TRANSACTION.SUCCESS notification (routed here by its `TU` out_trade_no)
is checked like any payment (merchant, app, amount) and applied exactly once under the record's row
lock: the balance is credited (`store.members`, reference = transaction id) and the money booked as
a prepayment, Dr 1012 WeChat clearing / Cr 2203 预收账款.
"""

from __future__ import annotations

import datetime as dt
import secrets
from dataclasses import dataclass
from typing import Any

from backend import clock
from backend.auth.models import WechatIdentity
from backend.db import locked, transaction
from backend.ledger import chart
from backend.ledger.services import Cr, Dr, post_entry
from payments import wechat
from payments.errors import NoWechatIdentity, PaymentGatewayError
from payments.models import TopUp
from payments.services import PREPAY_TTL_SECONDS, jsapi_params, merchant_problem, not_success
from store import members

PREFIX = "TU"


@dataclass(frozen=True)
class StartedTopUp:
    record: TopUp
    params: dict[str, str]


def is_top_up(out_trade_no: str) -> bool:
    return out_trade_no.startswith(PREFIX)


def open_top_up(user_id: int, customer_id: int, amount_fen: int) -> TopUp:
    """Write the top-up record (in the caller's transaction); `prepay_top_up` asks WeChat after commit."""
    identity = (
        WechatIdentity.select().where(WechatIdentity.user == user_id).order_by(WechatIdentity.id).first()
    )
    if identity is None:
        raise NoWechatIdentity()
    with transaction():
        record_id = TopUp.insert(
            out_trade_no=f"{PREFIX}{customer_id}T{secrets.token_hex(8)}"[:32],
            customer=customer_id,
            amount_fen=amount_fen,
            payer_openid=identity.openid,
            created_by=user_id,
        ).execute()
    return TopUp.get_by_id(record_id)


def prepay_top_up(top_up_id: int) -> StartedTopUp:
    """The JSAPI prepay of a committed top-up, with no transaction open. Once per record: a repeat
    reuses the prepay_id, or resends the same out_trade_no, which WeChat answers alike."""
    record = TopUp.get_by_id(top_up_id)
    if record.prepay_id is None:
        status, body = wechat.answer(
            wechat.jsapi_order("业财会员储值", record.out_trade_no, record.amount_fen, record.payer_openid)
        )
        if status != 200 or not body.get("prepay_id"):
            raise PaymentGatewayError(details={"wechat_status": status, "wechat_code": body.get("code", "")})
        with transaction():
            TopUp.update(prepay_id=body["prepay_id"], status="pending").where(TopUp.id == record.id).execute()
        record = TopUp.get_by_id(record.id)
    return StartedTopUp(record, jsapi_params(str(record.prepay_id)))


def apply_success(resource: dict[str, Any]) -> str:
    """WeChat says a top-up was paid. Returns applied | duplicate | unknown | refused_* | ignored |
    not_success (any trade_state but SUCCESS)."""
    if not_success(resource):
        return "not_success"
    problem = merchant_problem(resource)
    if problem:
        return "refused_merchant"
    with transaction():
        record = locked(
            TopUp.select().where(TopUp.out_trade_no == str(resource.get("out_trade_no", "")))
        ).first()
        if record is None:
            return "unknown"
        amount = resource.get("amount")
        if not isinstance(amount, dict) or amount.get("total") != record.amount_fen:
            return "refused_amount"
        transaction_id = str(resource.get("transaction_id") or "")
        if not transaction_id:
            return "ignored"
        if record.status == "succeeded":
            return "duplicate"
        TopUp.update(status="succeeded", transaction_id=transaction_id, succeeded_at=clock.now()).where(
            TopUp.id == record.id
        ).execute()
        members.credit_stored_value(
            record.customer_id, "top_up", record.amount_fen, f"topup:{transaction_id}"
        )
        post_entry(
            "stored_value.top_up",
            [Dr(chart.WECHAT_CLEARING, record.amount_fen), Cr(chart.PREPAYMENTS, record.amount_fen)],
            memo=f"会员储值 {record.out_trade_no}",
            source_type="top_up",
            source_id=record.id,
        )
        return "applied"


def sync_top_up(top_up_id: int) -> str:
    """The periodic query for a top-up whose notification never came (lost, or WeChat gave up): a
    success is applied exactly as the notification would have been, so money WeChat took is always
    credited. A top-up never paid is closed at WeChat once its prepay has expired, and here too.
    Returns WeChat's trade_state."""
    record = TopUp.get_or_none(TopUp.id == top_up_id)
    if record is None or record.status != "pending":
        return "missing" if record is None else str(record.status)
    client = wechat.client()
    status, body = wechat.answer(client.query(out_trade_no=record.out_trade_no))
    if status == 404:
        _close(record.id)  # never reached WeChat
        return "ORDER_NOT_EXIST"
    if status != 200:
        raise RuntimeError(f"WeChat query of {record.out_trade_no} answered {status}: {body}")
    trade_state = str(body.get("trade_state") or "")
    if trade_state == "SUCCESS":
        apply_success(body)
    elif trade_state in ("CLOSED", "PAYERROR", "REVOKED"):
        _close(record.id)
    elif trade_state == "NOTPAY" and record.created_at <= clock.now() - dt.timedelta(
        seconds=PREPAY_TTL_SECONDS
    ):
        closed, answer = wechat.answer(client.close(out_trade_no=record.out_trade_no))
        if closed == 204 or answer.get("code") == "ORDER_NOT_EXIST":
            _close(record.id)
            trade_state = "CLOSED"
        elif answer.get("code") == "ORDERPAID":  # paid in this very instant: the next query applies it
            return "NOTPAY"
        else:
            raise RuntimeError(f"WeChat close of {record.out_trade_no} answered {closed}: {answer}")
    return trade_state


def _close(top_up_id: int) -> None:
    with transaction():
        TopUp.update(status="closed").where((TopUp.id == top_up_id) & (TopUp.status == "pending")).execute()
