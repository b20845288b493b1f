"""State changes of orders and refunds, and what the payer's phone does.

Every function takes the state lock, so a transition and the notification it owes are
recorded together. Errors are ``SandboxError`` with WeChat's code; the HTTP layers map
them to their own shapes.
"""

from __future__ import annotations

import secrets
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from .clock import rfc3339
from .notify import queue_notification
from .state import (
    DEFAULT_USERPAYING_SECONDS,
    FAULT_KINDS,
    PAYMENT_CODE_BEHAVIOURS,
    SLOW_APIS,
    Fault,
    Notification,
    Order,
    PaymentCode,
    Refund,
    SandboxState,
    SlowAnswer,
    random_digits,
)

# Long enough for a demo of a slow WeChat, short enough that a forgotten one cannot hang a worker.
MAX_SLOW_SECONDS = 60.0


class SandboxError(Exception):
    def __init__(self, status: int, code: str, message: str) -> None:
        super().__init__(f"{code}: {message}")
        self.status = status
        self.code = code
        self.message = message


TRADE_STATE_DESC = {
    "SUCCESS": "支付成功",
    "NOTPAY": "订单未支付",
    "CLOSED": "订单已关闭",
    "REFUND": "转入退款",
    "USERPAYING": "需要用户输入支付密码",
    "PAYERROR": "支付失败，请重新下单支付",
    "REVOKED": "订单已撤销",
}


def _set_state(order: Order, trade_state: str, desc: str | None = None) -> None:
    order.trade_state = trade_state
    order.trade_state_desc = desc or TRADE_STATE_DESC[trade_state]


def new_transaction_id(state: SandboxState) -> str:
    # 28 digits like 4200001234202405011234567890: channel prefix, date, sequence.
    day = state.clock.datetime().strftime("%Y%m%d")
    return f"420000{random_digits(4)}{day}{random_digits(10)}"


# --- JSON shapes ---------------------------------------------------------------------------


def transaction_json(order: Order) -> dict[str, Any]:
    """The transaction object of queries, codepay answers and TRANSACTION notifications."""
    data: dict[str, Any] = {
        "appid": order.appid,
        "mchid": order.mchid,
        "out_trade_no": order.out_trade_no,
        "trade_type": order.trade_type,
        "trade_state": order.trade_state,
        "trade_state_desc": order.trade_state_desc,
        "attach": order.attach or "",
        "amount": {"total": order.total, "currency": order.currency, "payer_currency": order.currency},
    }
    if order.transaction_id:
        data["transaction_id"] = order.transaction_id
    if order.payer_openid:
        data["payer"] = {"openid": order.payer_openid}
    if order.success_time is not None:
        data["bank_type"] = "OTHERS"
        data["success_time"] = rfc3339(order.success_time)
        # No coupons in the sandbox: the payer pays the whole amount.
        data["amount"]["payer_total"] = order.total
    return data


def refund_json(refund: Refund) -> dict[str, Any]:
    data: dict[str, Any] = {
        "refund_id": refund.refund_id,
        "out_refund_no": refund.out_refund_no,
        "transaction_id": refund.transaction_id,
        "out_trade_no": refund.out_trade_no,
        "channel": "ORIGINAL",
        "user_received_account": "支付用户零钱",
        "create_time": rfc3339(refund.created_at),
        "status": refund.status,
        "funds_account": "AVAILABLE",
        "amount": {
            "total": refund.total,
            "refund": refund.refund,
            "payer_total": refund.total,
            "payer_refund": refund.refund,
            "settlement_total": refund.total,
            "settlement_refund": refund.refund,
            "discount_refund": 0,
            "currency": refund.currency,
            "refund_fee": 0,
            "from": [],
        },
        "promotion_detail": [],
    }
    if refund.success_time is not None:
        data["success_time"] = rfc3339(refund.success_time)
    return data


def refund_notification_resource(state: SandboxState, refund: Refund) -> dict[str, Any]:
    data: dict[str, Any] = {
        "mchid": state.credentials.mchid,
        "out_trade_no": refund.out_trade_no,
        "transaction_id": refund.transaction_id,
        "out_refund_no": refund.out_refund_no,
        "refund_id": refund.refund_id,
        "refund_status": refund.status,
        "user_received_account": "支付用户零钱",
        "amount": {
            "total": refund.total,
            "refund": refund.refund,
            "payer_total": refund.total,
            "payer_refund": refund.refund,
        },
    }
    if refund.success_time is not None:
        data["success_time"] = rfc3339(refund.success_time)
    return data


# --- payments ------------------------------------------------------------------------------


def _check_payable(state: SandboxState, order: Order) -> None:
    if order.trade_state == "CLOSED":
        raise SandboxError(400, "ORDER_CLOSED", "订单已关闭")
    if order.trade_state == "REVOKED":
        raise SandboxError(400, "ORDER_REVERSED", "订单已撤销")
    if order.trade_state in ("SUCCESS", "REFUND"):
        raise SandboxError(400, "ORDERPAID", "该订单已支付")
    if order.time_expire is not None and state.now() >= order.time_expire:
        raise SandboxError(400, "ORDER_EXPIRED", "订单已过期")


def mark_paid(state: SandboxState, order: Order, openid: str) -> None:
    """Money moved: the order is SUCCESS and the merchant is owed a notification."""
    with state.lock:
        order.payer_openid = openid
        order.transaction_id = order.transaction_id or new_transaction_id(state)
        order.success_time = state.now()
        order.settle_at = order.settle_to = None
        _set_state(order, "SUCCESS")
        queue_notification(
            state, "TRANSACTION.SUCCESS", order.notify_url, transaction_json(order), order.out_trade_no
        )


def approve_prepay(state: SandboxState, prepay_id: str, openid: str) -> Order:
    """The payer confirms wx.requestPayment for this prepay_id."""
    with state.lock:
        order = state.order_by_prepay_id(prepay_id)
        if order is None:
            raise SandboxError(404, "PREPAY_NOT_FOUND", "prepay_id 不存在")
        if order.payer_openid != openid:
            raise SandboxError(403, "OPENID_MISMATCH", "支付用户与下单用户不一致")
        _check_payable(state, order)
        mark_paid(state, order, openid)
        return order


def decline_prepay(state: SandboxState, prepay_id: str) -> Order:
    """The payer closes the payment sheet: WeChat leaves the order NOTPAY."""
    with state.lock:
        order = state.order_by_prepay_id(prepay_id)
        if order is None:
            raise SandboxError(404, "PREPAY_NOT_FOUND", "prepay_id 不存在")
        order.declined += 1
        return order


def pay_code_url(state: SandboxState, code_url: str, openid: str) -> Order:
    """The payer scans a NATIVE code_url and pays."""
    with state.lock:
        order = state.order_by_code_url(code_url)
        if order is None:
            raise SandboxError(404, "CODE_URL_NOT_FOUND", "二维码不存在")
        _check_payable(state, order)
        mark_paid(state, order, openid)
        return order


def register_payment_code(
    state: SandboxState,
    openid: str,
    behaviour: str = "success",
    userpaying_seconds: float = DEFAULT_USERPAYING_SECONDS,
) -> PaymentCode:
    """A payment code shown on the payer's phone, and how charging it will go."""
    if behaviour not in PAYMENT_CODE_BEHAVIOURS:
        raise SandboxError(
            400, "PARAM_ERROR", f"behaviour must be one of {', '.join(PAYMENT_CODE_BEHAVIOURS)}"
        )
    with state.lock:
        while True:
            auth_code = "13" + random_digits(16)
            if auth_code not in state.payment_codes:
                break
        pc = PaymentCode(auth_code, openid, behaviour, userpaying_seconds)
        state.payment_codes[auth_code] = pc
        return pc


def charge_payment_code(state: SandboxState, order: Order, auth_code: str) -> None:
    """Run a CODEPAY charge; the order is already recorded under the lock."""
    with state.lock:
        pc = state.payment_codes.get(auth_code)
        if pc is None or pc.used:
            raise SandboxError(400, "INVALID_REQUEST", "101 每个二维码仅限使用一次，请刷新再试")
        pc.used = True
        order.auth_code = auth_code
        order.payer_openid = pc.openid
        if pc.behaviour == "success":
            mark_paid(state, order, pc.openid)
        elif pc.behaviour == "insufficient_funds":
            _set_state(order, "PAYERROR", "支付失败，用户余额不足")
            raise SandboxError(403, "NOTENOUGH", "用户余额不足，请用户换卡支付")
        else:
            order.transaction_id = new_transaction_id(state)
            order.settle_at = state.now() + pc.userpaying_seconds
            order.settle_to = "SUCCESS" if pc.behaviour == "userpaying_then_success" else "PAYERROR"
            _set_state(order, "USERPAYING")


def settle_due(state: SandboxState) -> None:
    """Apply everything that "happens later" and whose time has come on the sandbox clock."""
    with state.lock:
        now = state.now()
        for order in state.orders.values():
            if order.trade_state == "USERPAYING" and order.settle_at is not None and order.settle_at <= now:
                if order.settle_to == "SUCCESS":
                    mark_paid(state, order, order.payer_openid or "")
                else:
                    order.settle_at = order.settle_to = None
                    _set_state(order, "PAYERROR", "支付失败，用户取消支付")
        for refund in state.refunds.values():
            if refund.status == "PROCESSING" and refund.complete_at <= now:
                complete_refund(state, refund.out_refund_no)


def close_order(state: SandboxState, out_trade_no: str) -> None:
    with state.lock:
        order = state.orders.get(out_trade_no)
        if order is None:
            raise SandboxError(404, "ORDER_NOT_EXIST", "订单不存在")
        if order.trade_state in ("SUCCESS", "REFUND"):
            raise SandboxError(400, "ORDERPAID", "该订单已支付")
        if order.trade_state == "USERPAYING":
            raise SandboxError(400, "INVALID_REQUEST", "用户支付中，不能关单")
        if order.trade_state in ("NOTPAY", "PAYERROR"):
            _set_state(order, "CLOSED")


def reverse_order(state: SandboxState, out_trade_no: str) -> Order:
    """Cancel a payment-code order; if the payer was charged, the money goes back."""
    with state.lock:
        order = state.orders.get(out_trade_no)
        if order is None:
            raise SandboxError(404, "ORDER_NOT_EXIST", "订单不存在")
        if order.trade_type != "MICROPAY":
            raise SandboxError(400, "INVALID_REQUEST", "仅付款码支付订单可撤销")
        if order.trade_state == "REFUND":
            raise SandboxError(400, "INVALID_REQUEST", "订单已发生退款，不能撤销")
        order.revoked = order.trade_state == "SUCCESS" or order.revoked
        order.settle_at = order.settle_to = None
        _set_state(order, "REVOKED")
        return order


# --- refunds -------------------------------------------------------------------------------


def create_refund(state: SandboxState, body: dict[str, Any]) -> Refund:
    with state.lock:
        if body.get("transaction_id"):
            order = state.order_by_transaction_id(str(body["transaction_id"]))
        else:
            order = state.orders.get(str(body.get("out_trade_no", "")))
        if order is None:
            raise SandboxError(404, "RESOURCE_NOT_EXISTS", "订单不存在")
        amount = body.get("amount")
        out_refund_no = body.get("out_refund_no")
        if not isinstance(out_refund_no, str) or not out_refund_no or not isinstance(amount, dict):
            raise SandboxError(400, "PARAM_ERROR", "out_refund_no 和 amount 必填")
        refund_fen, total_fen = amount.get("refund"), amount.get("total")
        if type(refund_fen) is not int or type(total_fen) is not int or refund_fen <= 0:
            raise SandboxError(400, "PARAM_ERROR", "amount.refund / amount.total 必须是正整数（分）")
        existing = state.refunds.get(out_refund_no)
        if existing is not None:
            if existing.out_trade_no == order.out_trade_no and existing.refund == refund_fen:
                return existing  # the same request again: WeChat answers with the same refund
            raise SandboxError(400, "INVALID_REQUEST", "商户退款单号重复，且与原退款参数不一致")
        if order.trade_state not in ("SUCCESS", "REFUND"):
            raise SandboxError(400, "INVALID_REQUEST", "订单状态不正确，未支付订单不能退款")
        if total_fen != order.total:
            raise SandboxError(400, "PARAM_ERROR", "订单金额与原订单不一致")
        # PROCESSING refunds already hold their share of the paid amount.
        held = sum(
            r.refund
            for r in state.refunds.values()
            if r.out_trade_no == order.out_trade_no and r.status in ("PROCESSING", "SUCCESS")
        )
        if held + refund_fen > order.total:
            raise SandboxError(400, "NOT_ENOUGH", "申请退款金额超过订单可退金额")
        assert order.transaction_id is not None
        now = state.now()
        refund = Refund(
            refund_id="50" + random_digits(27),
            out_refund_no=out_refund_no,
            out_trade_no=order.out_trade_no,
            transaction_id=order.transaction_id,
            refund=refund_fen,
            total=total_fen,
            currency=str(amount.get("currency") or "CNY"),
            reason=body.get("reason"),
            notify_url=body.get("notify_url"),
            created_at=now,
            complete_at=now + state.refund_seconds,
        )
        state.refunds[out_refund_no] = refund
        return refund


def complete_refund(state: SandboxState, out_refund_no: str, status: str = "SUCCESS") -> Refund:
    """Finish a PROCESSING refund now (SUCCESS, or ABNORMAL/CLOSED to test those paths)."""
    if status not in ("SUCCESS", "ABNORMAL", "CLOSED"):
        raise SandboxError(400, "PARAM_ERROR", "status must be SUCCESS, ABNORMAL or CLOSED")
    with state.lock:
        refund = state.refunds.get(out_refund_no)
        if refund is None:
            raise SandboxError(404, "RESOURCE_NOT_EXISTS", "退款单不存在")
        if refund.status != "PROCESSING":
            return refund
        refund.status = status
        if status == "SUCCESS":
            refund.success_time = state.now()
            order = state.orders[refund.out_trade_no]
            _set_state(order, "REFUND")
        queue_notification(
            state,
            f"REFUND.{status}",
            refund.notify_url,
            refund_notification_resource(state, refund),
            refund.out_trade_no,
            refund.out_refund_no,
        )
        return refund


# --- fault injection -----------------------------------------------------------------------


def notify_trade_state(
    state: SandboxState, out_trade_no: str, trade_state: str, event_type: str = "TRANSACTION.SUCCESS"
) -> Notification:
    """Owe the merchant a genuine (signed, encrypted) transaction notification that reports
    ``trade_state`` whatever the order's real state is, with a transaction id: what a merchant
    must read before paying anything. The order itself does not change."""
    if trade_state not in TRADE_STATE_DESC:
        raise SandboxError(400, "PARAM_ERROR", f"trade_state must be one of {', '.join(TRADE_STATE_DESC)}")
    with state.lock:
        order = state.orders.get(out_trade_no)
        if order is None:
            raise SandboxError(404, "ORDER_NOT_EXIST", "订单不存在 / no such out_trade_no")
        resource = transaction_json(order)
        resource.update(trade_state=trade_state, trade_state_desc=TRADE_STATE_DESC[trade_state])
        resource.setdefault("transaction_id", new_transaction_id(state))
        notification = queue_notification(state, event_type, order.notify_url, resource, out_trade_no)
        if notification is None:
            raise SandboxError(400, "PARAM_ERROR", "the order has no notify_url")
        return notification


@dataclass
class FaultSpec:
    kind: str
    out_trade_no: str
    event_type: str = "TRANSACTION.SUCCESS"
    copies: int = 2
    concurrent: bool = False
    until: float | None = None
    delay_seconds: float | None = None
    total: int | None = None


def inject_fault(state: SandboxState, spec: FaultSpec) -> Fault:
    """Make the notifications of one order misbehave; works before or after the payment."""
    if spec.kind not in FAULT_KINDS:
        raise SandboxError(400, "PARAM_ERROR", f"kind must be one of {', '.join(FAULT_KINDS)}")
    if spec.kind == "duplicate" and spec.copies < 2:
        raise SandboxError(400, "PARAM_ERROR", "copies must be at least 2")
    if spec.kind == "wrong_amount" and spec.total is not None and type(spec.total) is not int:
        raise SandboxError(400, "PARAM_ERROR", "total must be an integer (fen)")
    with state.lock:
        until = spec.until
        if spec.kind == "late":
            if until is None and spec.delay_seconds is None:
                raise SandboxError(400, "PARAM_ERROR", "late needs until or delay_seconds")
            if until is None:
                until = state.now() + float(spec.delay_seconds or 0)
        fault = Fault(
            kind=spec.kind,
            out_trade_no=spec.out_trade_no,
            event_type=spec.event_type,
            copies=spec.copies,
            concurrent=spec.concurrent,
            until=until,
            total=spec.total,
        )
        state.faults.append(fault)
        return fault


def slow_down(state: SandboxState, api: str, seconds: float) -> SlowAnswer:
    """Make the next request to `api` wait `seconds` (real time) before it is answered."""
    if api not in SLOW_APIS:
        raise SandboxError(400, "PARAM_ERROR", f"api must be one of {', '.join(SLOW_APIS)}")
    if not 0 < seconds <= MAX_SLOW_SECONDS:
        raise SandboxError(400, "PARAM_ERROR", f"seconds must be in (0, {MAX_SLOW_SECONDS:g}]")
    slow = SlowAnswer(api, seconds)
    with state.lock:
        state.slow_answers.append(slow)
    return slow


def wait_if_slowed(state: SandboxState, api: str) -> None:
    """Called by an API's handler before it takes the state lock: waits if `slow_down` asked."""
    with state.lock:
        slow = next((s for s in state.slow_answers if s.api == api and not s.consumed), None)
        if slow is None:
            return
        slow.consumed = True
    slow.arrived.set()
    slow.released.wait(slow.seconds)


def parse_time_expire(value: Any) -> float | None:
    if not value:
        return None
    try:
        return datetime.fromisoformat(str(value)).timestamp()
    except ValueError:
        raise SandboxError(400, "PARAM_ERROR", "time_expire 格式错误，应为 RFC3339") from None


def new_prepay_id(state: SandboxState) -> str:
    stamp = state.clock.datetime().strftime("%Y%m%d%H%M%S")
    return f"wx{stamp}{secrets.token_hex(9)}"
