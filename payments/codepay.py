"""Staff scans the customer's payment code (付款码, CODEPAY).

WeChat may answer USERPAYING (the payer must type a password). Per WeChat's guidance we poll the
query every few seconds for up to about 30 s; a success settles the payment, a failure or a
timeout reverses the charge (WeChat gives back anything already taken). The staff member is
waiting, so these calls are synchronous; the record is written first, so a crash in between is
still settled by the periodic query job.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass

from wechatpayv3 import WeChatPayType

from backend.db import transaction
from backend.faults import crash_point
from backend.kernel.models import Order
from payments import wechat
from payments.errors import PaymentCodeFailed, PaymentGatewayError
from payments.models import PaymentRecord
from payments.services import _call, _record_for_order, _touch, apply_success, description, mark_ended
from store.errors import OrderNotFound


@dataclass
class PollPolicy:
    interval_seconds: float = 5.0
    attempts: int = 6  # 30 s in all


POLICY = PollPolicy()
# How to wait between polls; tests swap in one that moves the sandbox clock instead of sleeping.
sleep: Callable[[float], object] = time.sleep


def collect_with_payment_code(order_id: int, auth_code: str, *, staff_id: int | None = None) -> PaymentRecord:
    order = Order.get_or_none(Order.id == order_id)
    if order is None:
        raise OrderNotFound(details={"order_id": order_id})
    record = _record_for_order(order.id, "wechat_codepay", None, staff_id)
    crash_point("codepay.recorded")  # the payment record is committed, WeChat not asked yet
    status, body = _call(
        record,
        wechat.client().pay,
        description=description(order),
        out_trade_no=record.out_trade_no,
        amount={"total": record.amount_fen, "currency": "CNY"},
        payer={"auth_code": auth_code},
        scene_info={"store_info": {"out_id": str(order.warehouse_id)}},
        pay_type=WeChatPayType.CODEPAY,
    )
    with transaction():
        _touch(record.id, status="pending")
    crash_point("codepay.answered")  # WeChat may have taken the money; nothing is booked yet
    if status != 200 and body.get("code") == "ORDERPAID":
        # This out_trade_no was charged by an earlier attempt whose answer was lost (the process
        # died, the connection dropped) and the staff member pressed again: WeChat's own record of
        # the transaction says what happened, not this refusal of a second charge.
        status, body = wechat.answer(wechat.client().query(out_trade_no=record.out_trade_no))
    if status == 200 and body.get("trade_state") == "SUCCESS":
        with transaction():
            apply_success(body)
        crash_point("codepay.booked")
        return _finish(record.id)
    if status != 200 and body.get("code") != "USERPAYING":
        # A definite refusal (NOTENOUGH, bad code...): nothing was charged.
        mark_ended(record.id, "failed", f"{body.get('code', '')} {body.get('message', '')}")
        return _finish(record.id)
    for _ in range(POLICY.attempts):
        sleep(POLICY.interval_seconds)
        status, body = wechat.answer(wechat.client().query(out_trade_no=record.out_trade_no))
        trade_state = body.get("trade_state") if status == 200 else None
        if trade_state == "SUCCESS":  # only SUCCESS pays (apply_success refuses any other state)
            with transaction():
                apply_success(body)
            return _finish(record.id)
        if trade_state not in ("USERPAYING", "NOTPAY", None):
            break  # PAYERROR and the like: the payer did not pay; reverse to be sure
    return _reverse(record)


def _reverse(record: PaymentRecord) -> PaymentRecord:
    status, body = wechat.answer(wechat.client().codepay_reverse(out_trade_no=record.out_trade_no))
    if status != 200:
        raise PaymentGatewayError(
            details={"out_trade_no": record.out_trade_no, "wechat_code": body.get("code")}
        )
    mark_ended(record.id, "reversed", "payment code not confirmed in time")
    return _finish(record.id)


def _finish(record_id: int) -> PaymentRecord:
    record = PaymentRecord.get_by_id(record_id)
    if record.status != "succeeded":
        raise PaymentCodeFailed(
            details={"payment_id": record.id, "status": record.status, "reason": record.last_error}
        )
    return record
