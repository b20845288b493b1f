"""Stored-value top-ups through WeChat Pay (JSAPI).

The top-up record is committed first, WeChat is then asked for a prepay_id with no transaction
open, and the customer pays with wx.requestPayment. WeChat's TRANSACTION.SUCCESS notification (routed here by its `TU` out_trade_no)
is checked like any payment (merchant, app, amount) and applied exactly once under the record's row
lock: the balance is credited (`store.members`, reference = transaction id) and the money booked as
a prepayment, Dr 1012 WeChat clearing / Cr 2203 预收账款.
"""

from __future__ import annotations

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
from payments.services import jsapi_params, merchant_problem, not_success
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
