"""Control endpoints, under ``/control``: the payer's phone, fault injection and the clock.

Plain JSON in and out. Errors are ``{"code", "message"}`` with a 4xx status. These exist
for the demo (buttons that "pay" on the customer's behalf) and for tests in other
processes; in-process tests can call the same Python functions directly.
"""

from __future__ import annotations

from typing import Any

from flask import Blueprint, Response, current_app, jsonify, request

from .clock import rfc3339
from .miniprogram import (
    add_subscription,
    expire_tokens,
    mint_login_code,
    mint_phone_code,
    set_subscribe_quota,
)
from .notify import deliver_due
from .state import DEFAULT_USERPAYING_SECONDS, SandboxState
from .transitions import (
    FaultSpec,
    SandboxError,
    approve_prepay,
    complete_refund,
    decline_prepay,
    inject_fault,
    notify_trade_state,
    pay_code_url,
    refund_json,
    register_payment_code,
    settle_due,
    slow_down,
    transaction_json,
)

bp = Blueprint("control", __name__, url_prefix="/control")


def _state() -> SandboxState:
    state: SandboxState = current_app.extensions["wechat_sandbox"]
    return state


def _body() -> dict[str, Any]:
    data = request.get_json(force=True, silent=True)
    return data if isinstance(data, dict) else {}


def _required(body: dict[str, Any], name: str) -> str:
    value = body.get(name)
    if not isinstance(value, str) or not value:
        raise SandboxError(400, "PARAM_ERROR", f"{name} is required")
    return value


@bp.errorhandler(SandboxError)
def _error(exc: SandboxError) -> tuple[Response, int]:
    return jsonify({"code": exc.code, "message": exc.message}), exc.status


# --- mini-program side ---------------------------------------------------------------------------


@bp.post("/login-code")
def login_code() -> Response:
    login = mint_login_code(_state(), _body().get("openid"))
    return jsonify({"code": login.code, "openid": login.openid, "unionid": login.unionid})


@bp.post("/subscribe")
def subscribe() -> Response:
    body = _body()
    openid, template_id = _required(body, "openid"), _required(body, "template_id")
    count = body.get("count", 1)
    if type(count) is not int or count < 1:
        raise SandboxError(400, "PARAM_ERROR", "count must be a positive integer")
    remaining = add_subscription(_state(), openid, template_id, count)
    return jsonify({"openid": openid, "template_id": template_id, "remaining": remaining})


@bp.post("/subscribe-quota")
def subscribe_quota() -> Response:
    """Cap the app's subscribe-message calls per day: {"daily": N}, or {"daily": null} to lift it."""
    daily = _body().get("daily")
    if daily is not None and (type(daily) is not int or daily < 0):
        raise SandboxError(400, "PARAM_ERROR", "daily must be a whole number of calls, or null")
    set_subscribe_quota(_state(), daily)
    return jsonify({"daily": daily})


@bp.post("/phone-code")
def phone_code() -> Response:
    body = _body()
    pc = mint_phone_code(
        _state(), _required(body, "openid"), _required(body, "phone"), str(body.get("country_code") or "86")
    )
    return jsonify({"code": pc.code, "openid": pc.openid, "phone": pc.phone})


@bp.post("/tokens/expire")
def tokens_expire() -> Response:
    return jsonify({"expired": expire_tokens(_state())})


# --- the payer -----------------------------------------------------------------------------------


@bp.post("/prepay/<prepay_id>/approve")
def prepay_approve(prepay_id: str) -> Response:
    order = approve_prepay(_state(), prepay_id, _required(_body(), "openid"))
    return jsonify(transaction_json(order))


@bp.post("/prepay/<prepay_id>/decline")
def prepay_decline(prepay_id: str) -> Response:
    order = decline_prepay(_state(), prepay_id)
    return jsonify(transaction_json(order))


@bp.post("/native/pay")
def native_pay() -> Response:
    body = _body()
    order = pay_code_url(_state(), _required(body, "code_url"), _required(body, "openid"))
    return jsonify(transaction_json(order))


@bp.post("/payment-code")
def payment_code() -> Response:
    body = _body()
    state = _state()
    openid = body.get("openid") or mint_login_code(state).openid
    seconds = body.get("userpaying_seconds", DEFAULT_USERPAYING_SECONDS)
    if not isinstance(seconds, int | float) or seconds < 0:
        raise SandboxError(400, "PARAM_ERROR", "userpaying_seconds must be a non-negative number")
    pc = register_payment_code(state, str(openid), str(body.get("behaviour") or "success"), float(seconds))
    return jsonify({"auth_code": pc.auth_code, "openid": pc.openid, "behaviour": pc.behaviour})


@bp.post("/refunds/<out_refund_no>/complete")
def refund_complete(out_refund_no: str) -> Response:
    refund = complete_refund(_state(), out_refund_no, str(_body().get("status") or "SUCCESS"))
    return jsonify(refund_json(refund))


# --- time, delivery, faults ----------------------------------------------------------------------


@bp.get("/clock")
def clock_now() -> Response:
    state = _state()
    now = state.now()
    return jsonify({"now": now, "time": rfc3339(now), "frozen": state.clock.is_frozen})


@bp.post("/clock/advance")
def clock_advance() -> Response:
    seconds = _body().get("seconds")
    if not isinstance(seconds, int | float) or isinstance(seconds, bool) or seconds < 0:
        raise SandboxError(400, "PARAM_ERROR", "seconds must be a non-negative number")
    state = _state()
    now = state.clock.advance(float(seconds))
    settle_due(state)
    return jsonify({"now": now, "time": rfc3339(now)})


@bp.post("/notifications/deliver")
def notifications_deliver() -> Response:
    attempts = deliver_due(_state())
    return jsonify({"attempts": [a.to_json() for a in attempts]})


@bp.post("/notifications/trade-state")
def notifications_trade_state() -> Response:
    """Send the merchant a genuine transaction notification that reports any trade_state."""
    body = _body()
    n = notify_trade_state(
        _state(),
        _required(body, "out_trade_no"),
        _required(body, "trade_state"),
        str(body.get("event_type") or "TRANSACTION.SUCCESS"),
    )
    return jsonify({"id": n.id, "event_type": n.event_type, "resource": n.resource})


@bp.get("/notifications")
def notifications() -> Response:
    state = _state()
    with state.lock:
        items = [
            {
                "id": n.id,
                "event_type": n.event_type,
                "notify_url": n.notify_url,
                "out_trade_no": n.out_trade_no,
                "out_refund_no": n.out_refund_no,
                "status": n.status,
                "rounds": n.rounds,
                "due_at": n.due_at,
                "resource": n.resource,
            }
            for n in state.notifications
        ]
        log = [a.to_json() for a in state.delivery_log]
    return jsonify({"notifications": items, "deliveries": log})


@bp.post("/faults")
def faults() -> Response:
    body = _body()
    total = body.get("total")
    if total is not None and type(total) is not int:
        raise SandboxError(400, "PARAM_ERROR", "total must be an integer number of fen")
    try:
        spec = FaultSpec(
            kind=_required(body, "kind"),
            out_trade_no=_required(body, "out_trade_no"),
            event_type=str(body.get("event_type") or "TRANSACTION.SUCCESS"),
            copies=int(body.get("copies", 2)),
            concurrent=bool(body.get("concurrent", False)),
            until=float(body["until"]) if body.get("until") is not None else None,
            delay_seconds=float(body["delay_seconds"]) if body.get("delay_seconds") is not None else None,
            total=total,
        )
    except (TypeError, ValueError):
        raise SandboxError(400, "PARAM_ERROR", "copies, until and delay_seconds must be numbers") from None
    return jsonify(inject_fault(_state(), spec).to_json())


@bp.post("/slow")
def slow() -> Response:
    """Make the next request to one API (jsapi, native, codepay, refund) answer `seconds` late."""
    body = _body()
    seconds = body.get("seconds")
    if not isinstance(seconds, (int, float)) or isinstance(seconds, bool):
        raise SandboxError(400, "PARAM_ERROR", "seconds must be a number")
    return jsonify(slow_down(_state(), _required(body, "api"), float(seconds)).to_json())


@bp.get("/state")
def summary() -> Response:
    state = _state()
    with state.lock:
        return jsonify(
            {
                "orders": [transaction_json(o) for o in state.orders.values()],
                "refunds": [refund_json(r) for r in state.refunds.values()],
                "sent_messages": [
                    {
                        "msgid": m.msgid,
                        "touser": m.touser,
                        "template_id": m.template_id,
                        "data": m.data,
                        "page": m.page,
                    }
                    for m in state.sent_messages
                ],
                "faults": [f.to_json() for f in state.faults],
            }
        )
