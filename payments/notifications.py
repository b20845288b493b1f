"""WeChat Pay v3 notifications: verify, check, apply exactly once, answer fast.

WeChat delivers each notification at least once and retries on anything but 200/204 for 24h4m
(15s, 15s, 30s, 3m, ... 6h). So: the signature is verified with the WeChat Pay public key
(wechatpayv3 `callback`, None on a bad signature -> 401); the merchant id, app id and amount are
checked against our record (a mismatch is refused and logged, never applied); the effect is applied
under the payment record's row lock and deduplicated by transaction id (and each notification id is
kept, with how many times it came, for audit).
"""

from __future__ import annotations

import logging
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from backend import clock
from backend.db import transaction
from backend.faults import crash_point
from payments import topups, wechat
from payments.models import WechatNotification
from payments.refunds import apply_refund_result
from payments.services import apply_success, merchant_problem

log = logging.getLogger(__name__)

# Answered 204: done with, nothing for WeChat to resend. A transaction notification whose
# trade_state is not SUCCESS (not_success) is acknowledged and changes nothing: resending it
# would not make it a payment.
ACCEPTED = ("applied", "duplicate", "unknown", "ignored", "failed", "conflict", "not_success")


@dataclass(frozen=True)
class Reply:
    status: int  # 204 stops WeChat's retries; 4xx/5xx asks for another delivery
    body: dict[str, str] | None = None

    @classmethod
    def fail(cls, status: int, message: str) -> Reply:
        return cls(status, {"code": "FAIL", "message": message})


def verify(headers: Mapping[str, str], body: bytes | str) -> dict[str, Any] | None:
    """The notification with `resource` decrypted, or None if the signature does not verify."""
    try:
        result = wechat.client().callback(dict(headers), body)
    except Exception as exc:  # missing headers, unknown algorithm, broken JSON: not from WeChat
        log.warning("WeChat notification refused before verification: %s", exc)
        return None
    return result if isinstance(result, dict) and isinstance(result.get("resource"), dict) else None


def _note(data: dict[str, Any], resource: dict[str, Any], outcome: str, detail: str = "") -> None:
    """Keep one row per notification id; a redelivery only counts up."""
    amount = resource.get("amount") if isinstance(resource.get("amount"), dict) else {}
    value = amount.get("total", amount.get("refund")) if amount else None
    if type(value) is int and not -(2**63) <= value < 2**63:
        value = None  # kept as its outcome and detail only: the column is a 64-bit integer
    now = clock.now()
    WechatNotification.insert(
        notification_id=str(data.get("id") or "")[:64],
        event_type=str(data.get("event_type") or "")[:32],
        out_trade_no=str(resource.get("out_trade_no") or "")[:32],
        out_refund_no=str(resource.get("out_refund_no") or "")[:64],
        transaction_id=str(resource.get("transaction_id") or "")[:32],
        amount_fen=value if type(value) is int else None,
        outcome=outcome,
        detail=detail[:255],
        received_at=now,
        last_received_at=now,
    ).on_conflict(
        conflict_target=[WechatNotification.notification_id],
        update={
            WechatNotification.deliveries: WechatNotification.deliveries + 1,
            WechatNotification.last_received_at: now,
        },
    ).execute()


def _unstorable(value: Any) -> bool:
    """Text no database column can hold (a NUL, a lone surrogate): WeChat never sends it, and a
    notification carrying it is refused whole rather than half-recorded."""
    if isinstance(value, dict):
        return any(_unstorable(k) or _unstorable(v) for k, v in value.items())
    if isinstance(value, list):
        return any(_unstorable(v) for v in value)
    if isinstance(value, str):
        if "\x00" in value:
            return True
        try:
            value.encode("utf-8")
        except UnicodeEncodeError:
            return True
    return False


def handle(headers: Mapping[str, str], body: bytes | str) -> Reply:
    data = verify(headers, body)
    if data is None:
        return Reply.fail(401, "签名验证失败 signature verification failed")
    if _unstorable(data):
        log.warning("WeChat notification %r refused: text no column can hold", str(data.get("id"))[:64])
        return Reply.fail(400, "通知内容无效 refused: malformed content")
    event_type = str(data.get("event_type") or "")
    resource: dict[str, Any] = data["resource"]
    crash_point("notify.verified")
    try:
        with transaction():
            if event_type == "TRANSACTION.SUCCESS" and topups.is_top_up(
                str(resource.get("out_trade_no") or "")
            ):
                outcome = topups.apply_success(resource)  # a stored-value top-up, not an order
            elif event_type == "TRANSACTION.SUCCESS":
                outcome, _ = apply_success(resource)
            elif event_type.startswith("REFUND."):
                problem = merchant_problem({"mchid": resource.get("mchid")})
                outcome = "refused_merchant" if problem else apply_refund_result(resource)
            else:
                outcome = "ignored"
            _note(data, resource, outcome)
    except Exception:
        log.exception("WeChat notification %s could not be applied", data.get("id"))
        return Reply.fail(500, "处理失败，请重试 could not apply, retry later")
    crash_point("notify.applied")  # booked; WeChat has no answer yet and will send it again
    if outcome in ACCEPTED:
        return Reply(204)
    log.warning("WeChat notification %s refused: %s", data.get("id"), outcome)
    return Reply.fail(400, f"通知内容与商户记录不符 refused: {outcome}")
