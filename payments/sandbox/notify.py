"""Notification delivery: signed, encrypted callbacks to the merchant's notify_url.

A notification is due at creation. Anything but a 200/204 (an error status, a refused
connection, no answer within 5 s) schedules the next round on WeChat's schedule,
counted from the previous *scheduled* time so tests see exact offsets. ``deliver_due``
sends whatever is due on the sandbox clock and returns what happened; the demo runs it
from a background thread, tests call it directly.
"""

from __future__ import annotations

import copy
import json
import logging
import threading
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import requests
from cryptography.hazmat.primitives.asymmetric import rsa

from .clock import rfc3339
from .signing import encrypt_resource, signature_headers
from .state import DeliveryAttempt, Fault, Notification, SandboxState

log = logging.getLogger(__name__)

# Seconds between rounds after a failed delivery: 15s,15s,30s,3m,10m,20m,30m,30m,30m,60m,3h,3h,3h,6h,6h.
RETRY_SCHEDULE: tuple[int, ...] = (
    15,
    15,
    30,
    180,
    600,
    1200,
    1800,
    1800,
    1800,
    3600,
    10800,
    10800,
    10800,
    21600,
    21600,
)
DELIVERY_TIMEOUT_SECONDS = 5.0

SUMMARIES = {
    "TRANSACTION.SUCCESS": "支付成功",
    "REFUND.SUCCESS": "退款成功",
    "REFUND.ABNORMAL": "退款异常",
    "REFUND.CLOSED": "退款关闭",
}


def _build_body(state: SandboxState, event_type: str, resource: dict[str, Any], notification_id: str) -> str:
    original_type = "transaction" if event_type.startswith("TRANSACTION") else "refund"
    body = {
        "id": notification_id,
        "create_time": rfc3339(state.now()),
        "resource_type": "encrypt-resource",
        "event_type": event_type,
        "summary": SUMMARIES.get(event_type, event_type),
        "resource": encrypt_resource(state.credentials.apiv3_key, resource, original_type),
    }
    return json.dumps(body, ensure_ascii=False, separators=(",", ":"))


def queue_notification(
    state: SandboxState,
    event_type: str,
    notify_url: str | None,
    resource: dict[str, Any],
    out_trade_no: str,
    out_refund_no: str | None = None,
) -> Notification | None:
    """Owe the merchant a notification (none if the merchant gave no notify_url)."""
    if not notify_url:
        return None
    with state.lock:
        notification_id = str(uuid.uuid4())
        now = state.now()
        notification = Notification(
            id=notification_id,
            event_type=event_type,
            notify_url=notify_url,
            out_trade_no=out_trade_no,
            out_refund_no=out_refund_no,
            resource=copy.deepcopy(resource),
            body=_build_body(state, event_type, resource, notification_id),
            created_at=now,
            due_at=now,
        )
        state.notifications.append(notification)
        return notification


# --- claiming what is due ----------------------------------------------------------------


@dataclass
class _Send:
    notification: Notification
    kind: str  # genuine | duplicate | forged | wrong_amount
    body: str
    key: rsa.RSAPrivateKey


@dataclass
class _Batch:
    notification: Notification
    sends: list[_Send]
    concurrent: bool


def _faults_for(state: SandboxState, n: Notification) -> list[Fault]:
    return [f for f in state.faults if f.out_trade_no == n.out_trade_no and f.event_type == n.event_type]


def _refund_notice_went_out(state: SandboxState, out_trade_no: str) -> bool:
    return any(
        a.out_trade_no == out_trade_no and a.event_type.startswith("REFUND") and a.kind != "lost"
        for a in state.delivery_log
    )


def _claim(state: SandboxState, n: Notification, now: float, lost: list[DeliveryAttempt]) -> _Batch | None:
    """Decide what to send for one due notification, applying injected faults."""
    genuine = _Send(n, "genuine", n.body, state.wechatpay_private_key)
    sends = [genuine]
    concurrent = False
    for fault in _faults_for(state, n):
        if fault.kind == "lose":
            n.status = "lost"
            lost.append(
                DeliveryAttempt(
                    n.id,
                    n.event_type,
                    n.out_trade_no,
                    n.out_refund_no,
                    "lost",
                    n.rounds + 1,
                    now,
                    None,
                    "lost by fault injection",
                )
            )
            return None
        if fault.kind == "late" and fault.until is not None and now < fault.until:
            return None
        if fault.kind == "out_of_order" and not _refund_notice_went_out(state, n.out_trade_no):
            return None
    for fault in _faults_for(state, n):
        if fault.consumed:
            continue
        if fault.kind == "duplicate":
            sends += [
                _Send(n, "duplicate", n.body, state.wechatpay_private_key) for _ in range(fault.copies - 1)
            ]
            concurrent = concurrent or fault.concurrent
            fault.consumed = True
        elif fault.kind == "forged":
            sends.insert(0, _Send(n, "forged", n.body, state.forger_key))
            fault.consumed = True
        elif fault.kind == "wrong_amount":
            sends.insert(
                0, _Send(n, "wrong_amount", _wrong_amount_body(state, n, fault), state.wechatpay_private_key)
            )
            fault.consumed = True
    n.status = "in_flight"
    return _Batch(n, sends, concurrent)


def _wrong_amount_body(state: SandboxState, n: Notification, fault: Fault) -> str:
    resource = copy.deepcopy(n.resource)
    amount = resource.setdefault("amount", {})
    original = int(amount.get("total", 0))
    total = fault.total if fault.total is not None else max(1, original // 100)
    amount["total"] = total
    if "payer_total" in amount:
        amount["payer_total"] = total
    # A fresh id: a fake notification is a different message, correctly signed and sealed.
    return _build_body(state, n.event_type, resource, str(uuid.uuid4()))


def _claim_due(state: SandboxState) -> tuple[list[_Batch], list[DeliveryAttempt]]:
    """Mark due notifications in flight; also report the ones a fault swallowed."""
    with state.lock:
        now = state.now()
        batches: list[_Batch] = []
        lost: list[DeliveryAttempt] = []
        for n in state.notifications:
            if n.status == "pending" and n.due_at <= now:
                batch = _claim(state, n, now, lost)
                if batch is not None:
                    batches.append(batch)
        state.delivery_log.extend(lost)
        return batches, lost


# --- sending -----------------------------------------------------------------------------


def _post(state: SandboxState, send: _Send, round_no: int) -> DeliveryAttempt:
    n = send.notification
    headers = signature_headers(send.key, state.credentials.wechatpay_public_key_id, send.body)
    headers["Content-Type"] = "application/json"
    status: int | None = None
    error: str | None = None
    try:
        response = requests.post(
            n.notify_url, data=send.body.encode("utf-8"), headers=headers, timeout=DELIVERY_TIMEOUT_SECONDS
        )
        status = response.status_code
    except requests.RequestException as exc:
        error = f"{type(exc).__name__}: {exc}"
    return DeliveryAttempt(
        n.id, n.event_type, n.out_trade_no, n.out_refund_no, send.kind, round_no, state.now(), status, error
    )


def _send_batch(state: SandboxState, batch: _Batch) -> list[DeliveryAttempt]:
    round_no = batch.notification.rounds + 1
    if not batch.concurrent:
        return [_post(state, send, round_no) for send in batch.sends]
    # Concurrent duplicates: all threads wait at a barrier, then post at once, to
    # exercise the merchant's row lock / dedup under a real race.
    results: list[DeliveryAttempt | None] = [None] * len(batch.sends)
    barrier = threading.Barrier(len(batch.sends))

    def run(i: int, send: _Send) -> None:
        barrier.wait()
        results[i] = _post(state, send, round_no)

    threads = [threading.Thread(target=run, args=(i, s)) for i, s in enumerate(batch.sends)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    return [r for r in results if r is not None]


def _record(state: SandboxState, batch: _Batch, attempts: list[DeliveryAttempt]) -> None:
    n = batch.notification
    with state.lock:
        state.delivery_log.extend(attempts)
        n.rounds += 1
        if any(a.ok for a in attempts if a.kind in ("genuine", "duplicate")):
            n.status = "delivered"
        elif n.rounds > len(RETRY_SCHEDULE):
            n.status = "failed"  # WeChat gives up after 24h4m
        else:
            n.status = "pending"
            n.due_at += RETRY_SCHEDULE[n.rounds - 1]


def deliver_due(state: SandboxState) -> list[DeliveryAttempt]:
    """Send every notification due on the sandbox clock now, synchronously.

    Loops until nothing is due, so after a large ``clock.advance`` every overdue round
    (and a held payment notification released by a refund one) goes out in one call.
    """
    from .transitions import settle_due  # late import: transitions queues notifications

    attempts: list[DeliveryAttempt] = []
    for _ in range(4 * (len(RETRY_SCHEDULE) + 1)):
        settle_due(state)
        batches, lost = _claim_due(state)
        attempts.extend(lost)
        if not batches:
            break
        for batch in batches:
            result = _send_batch(state, batch)
            _record(state, batch, result)
            attempts.extend(result)
    return attempts


class DeliveryThread(threading.Thread):
    """Background delivery for the demo: polls ``deliver_due`` every ``interval`` seconds."""

    def __init__(
        self, state: SandboxState, interval: float = 0.5, on_sent: Callable[[], None] | None = None
    ) -> None:
        """``on_sent`` runs after every round that sent something (the demo saves the state then)."""
        super().__init__(name="wechat-sandbox-notify", daemon=True)
        self.state = state
        self.interval = interval
        self.on_sent = on_sent
        self._stop_event = threading.Event()

    def run(self) -> None:
        while not self._stop_event.wait(self.interval):
            try:
                if deliver_due(self.state) and self.on_sent is not None:
                    self.on_sent()
            except Exception:  # keep delivering whatever one bad round did
                log.exception("sandbox notification delivery failed")

    def stop(self) -> None:
        self._stop_event.set()
