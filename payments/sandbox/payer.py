"""The payer's phone as a web page, under ``/payer``: what a person does in the demo instead of a
real WeChat app.

Plain server-rendered HTML in Chinese with English, sized for a phone, no scripts. Every button
posts a form that calls the same transition a control endpoint or a test would call, so the
merchant hears about it exactly as from WeChat: a signed, encrypted notification to its
notify_url. After a change the page redirects (303) back to itself, so reloading never pays twice.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from flask import Blueprint, current_app, redirect, render_template, request, url_for
from werkzeug.wrappers import Response

from .bill import yuan
from .clock import CHINA_TZ
from .miniprogram import ensure_user
from .state import PAYMENT_CODE_BEHAVIOURS, Order, Refund, SandboxState
from .transitions import (
    SandboxError,
    approve_prepay,
    complete_refund,
    decline_prepay,
    pay_code_url,
    register_payment_code,
)

bp = Blueprint("payer", __name__, url_prefix="/payer", template_folder="templates")

BEHAVIOUR_LABELS = {
    "success": "直接付款成功 Pays at once",
    "userpaying_then_success": "输入密码后成功 Asks for the password, then pays",
    "userpaying_then_fail": "输入密码后失败 Asks for the password, then fails",
    "insufficient_funds": "余额不足 Not enough money",
}
assert set(BEHAVIOUR_LABELS) == set(PAYMENT_CODE_BEHAVIOURS)

# What the page says after a button worked: done=<key>, ref=<the order or refund>.
DONE_MESSAGES = {
    "paid": "已支付 Paid",
    "declined": "已取消支付（订单仍待支付） Declined: the order is still unpaid",
    "refunded": "退款已完成 Refund finished",
}
RECENT_ORDERS = 10


def _state() -> SandboxState:
    state: SandboxState = current_app.extensions["wechat_sandbox"]
    return state


def _time(ts: float) -> str:
    return datetime.fromtimestamp(ts, tz=CHINA_TZ).strftime("%m-%d %H:%M:%S")


def _order_view(order: Order) -> dict[str, Any]:
    return {
        "out_trade_no": order.out_trade_no,
        "description": order.description,
        "amount": yuan(order.total),
        "trade_type": order.trade_type,
        "trade_state": order.trade_state,
        "trade_state_desc": order.trade_state_desc,
        "prepay_id": order.prepay_id,
        "code_url": order.code_url,
        "created": _time(order.created_at),
    }


def _refund_view(refund: Refund) -> dict[str, Any]:
    return {
        "out_refund_no": refund.out_refund_no,
        "out_trade_no": refund.out_trade_no,
        "amount": yuan(refund.refund),
        "created": _time(refund.created_at),
        "due": _time(refund.complete_at),
    }


def _open(state: SandboxState, order: Order, trade_type: str) -> bool:
    return (
        order.trade_type == trade_type
        and order.trade_state == "NOTPAY"
        and (order.time_expire is None or order.time_expire > state.now())
    )


def _page(error: SandboxError | None = None) -> tuple[str, int]:
    state = _state()
    with state.lock:
        newest_first = sorted(state.orders.values(), key=lambda o: o.created_at, reverse=True)
        context = {
            "jsapi": [_order_view(o) for o in newest_first if _open(state, o, "JSAPI")],
            "native": [_order_view(o) for o in newest_first if _open(state, o, "NATIVE")],
            "refunds": [_refund_view(r) for r in state.refunds.values() if r.status == "PROCESSING"],
            "recent": [_order_view(o) for o in newest_first[:RECENT_ORDERS]],
        }
        shown_code = state.payment_codes.get(request.args.get("code", ""))
    return render_template(
        "sandbox_payer.html",
        **context,
        behaviours=BEHAVIOUR_LABELS,
        done=DONE_MESSAGES.get(request.args.get("done", "")),
        ref=request.args.get("ref", ""),
        code=shown_code,
        code_label=BEHAVIOUR_LABELS[shown_code.behaviour] if shown_code else "",
        error=error,
    ), (error.status if error else 200)


def _back(**args: Any) -> Response:
    return redirect(url_for("payer.page", **args), code=303)


def _payer_openid() -> str:
    """The openid typed in, or a new WeChat user: anyone can scan a QR or show a payment code."""
    typed = request.form.get("openid", "").strip()
    return ensure_user(_state(), typed or None).openid


@bp.errorhandler(SandboxError)
def _refused(exc: SandboxError) -> tuple[str, int]:
    return _page(exc)


@bp.get("")
def page() -> tuple[str, int]:
    return _page()


@bp.post("/jsapi/<prepay_id>/pay")
def pay_jsapi(prepay_id: str) -> Response:
    """The customer confirms wx.requestPayment: pays as the openid the order was placed for."""
    state = _state()
    order = state.order_by_prepay_id(prepay_id)
    if order is None:
        raise SandboxError(404, "PREPAY_NOT_FOUND", "prepay_id 不存在 / no such prepay_id")
    approve_prepay(state, prepay_id, order.payer_openid or "")
    return _back(done="paid", ref=order.out_trade_no)


@bp.post("/jsapi/<prepay_id>/decline")
def decline_jsapi(prepay_id: str) -> Response:
    order = decline_prepay(_state(), prepay_id)
    return _back(done="declined", ref=order.out_trade_no)


@bp.post("/native/pay")
def pay_native() -> Response:
    code_url = request.form.get("code_url", "").strip()
    if not code_url:
        raise SandboxError(400, "PARAM_ERROR", "请粘贴或选择二维码链接 / paste or pick a code_url")
    order = pay_code_url(_state(), code_url, _payer_openid())
    return _back(done="paid", ref=order.out_trade_no)


@bp.post("/payment-code")
def show_payment_code() -> Response:
    behaviour = request.form.get("behaviour", "success")
    code = register_payment_code(_state(), _payer_openid(), behaviour)
    return _back(code=code.auth_code)


@bp.post("/refunds/<out_refund_no>/finish")
def finish_refund(out_refund_no: str) -> Response:
    refund = complete_refund(_state(), out_refund_no)
    return _back(done="refunded", ref=refund.out_refund_no)
