"""The sandbox's state on disk, so a restarted demo still talks to the same WeChat.

Real WeChat remembers every transaction; a sandbox that forgot them on restart would make every
earlier payment look "missing at WeChat" in reconciliation, and queries for earlier orders would
find nothing. ``SandboxStore`` keeps one JSON file (mode 0600) holding the merchant's credentials
and the whole state: users, codes, tokens, orders, refunds, payment codes, messages, notifications
and their delivery log, faults, and how far the clock was advanced.

Writes are atomic (a temporary file renamed over the old one) and happen after every request to
the sandbox and every delivery round that sent something, so what a client was told is on disk
before it reads the answer. A write is skipped when nothing changed. Downloaded bill files are
not kept: WeChat's download links are short-lived and the bill itself is rebuilt from the kept
transactions and refunds.
"""

from __future__ import annotations

import base64
import json
import os
import tempfile
import threading
from collections import Counter
from dataclasses import asdict
from pathlib import Path
from typing import Any

from .credentials import SandboxCredentials, generate_credentials
from .printer import Printed
from .state import (
    DeliveryAttempt,
    Fault,
    LoginCode,
    Notification,
    Order,
    PaymentCode,
    PhoneCode,
    Refund,
    SandboxState,
    SentMessage,
    User,
)

FORMAT = "yecai-wechat-sandbox/1"


class SandboxStoreError(Exception):
    """The state file cannot be used (unreadable, another format, another merchant's)."""


class SandboxStore:
    """One sandbox's credentials and state in ``path``; share one store per sandbox app."""

    def __init__(self, path: str | Path) -> None:
        self.path = Path(path)
        self._lock = threading.Lock()
        self._written: str | None = None

    def credentials(self) -> SandboxCredentials:
        """The saved merchant's credentials, or new ones saved at once (so a restart keeps them)."""
        document = self._read()
        if document is None:
            credentials = generate_credentials()
            self._write(json.dumps({"format": FORMAT, "credentials": asdict(credentials), "state": None}))
            return credentials
        try:
            return SandboxCredentials(**document["credentials"])
        except (KeyError, TypeError) as exc:
            raise SandboxStoreError(f"{self.path}: no usable credentials ({exc})") from exc

    def restore(self, state: SandboxState) -> bool:
        """Load the saved state into a fresh ``state``; False when nothing was saved yet."""
        document = self._read()
        if document is None or document.get("state") is None:
            return False
        if document.get("credentials") != asdict(state.credentials):
            raise SandboxStoreError(
                f"{self.path} belongs to another merchant (other credentials); "
                "start with the credentials from SandboxStore.credentials() or move the file away"
            )
        try:
            _load(state, document["state"])
        except (KeyError, TypeError, ValueError) as exc:
            raise SandboxStoreError(f"{self.path}: the saved state is damaged ({exc!r})") from exc
        return True

    def save(self, state: SandboxState) -> bool:
        """Write the state if it changed since the last write; True when it wrote."""
        with self._lock:
            with state.lock:
                snapshot = _dump(state)
            document = {"format": FORMAT, "credentials": asdict(state.credentials), "state": snapshot}
            text = json.dumps(document, ensure_ascii=False, sort_keys=True)
            if text == self._written:
                return False
            self._write(text)
            self._written = text
            return True

    def _read(self) -> dict[str, Any] | None:
        try:
            text = self.path.read_text(encoding="utf-8")
        except FileNotFoundError:
            return None
        try:
            document = json.loads(text)
        except ValueError as exc:
            raise SandboxStoreError(f"{self.path} is not a sandbox state file: {exc}") from exc
        if not isinstance(document, dict) or document.get("format") != FORMAT:
            raise SandboxStoreError(f"{self.path} is not a {FORMAT} file; move it away to start afresh")
        return document

    def _write(self, text: str) -> None:
        self.path.parent.mkdir(parents=True, exist_ok=True)
        fd, tmp = tempfile.mkstemp(prefix=f".{self.path.name}.", dir=self.path.parent)
        try:
            os.fchmod(fd, 0o600)  # the merchant's private keys are in here
            with os.fdopen(fd, "w", encoding="utf-8") as out:
                out.write(text)
                out.flush()
                os.fsync(out.fileno())
            os.replace(tmp, self.path)
        except BaseException:
            Path(tmp).unlink(missing_ok=True)
            raise


# --- the state as JSON ---------------------------------------------------------------------


def _dump(state: SandboxState) -> dict[str, Any]:
    return {
        "clock": state.clock.reading(),
        "counter": state._counter,
        "users": [asdict(u) for u in state.users.values()],
        "tokens": dict(state.tokens),
        "login_codes": [asdict(c) for c in state.login_codes.values()],
        "phone_codes": [asdict(c) for c in state.phone_codes.values()],
        "subscriptions": [[openid, template, n] for (openid, template), n in state.subscriptions.items()],
        "sent_messages": [asdict(m) for m in state.sent_messages],
        "subscribe_daily_quota": state.subscribe_daily_quota,
        "subscribe_calls": dict(state.subscribe_calls),
        "orders": [asdict(o) for o in state.orders.values()],
        "payment_codes": [asdict(p) for p in state.payment_codes.values()],
        "refunds": [asdict(r) for r in state.refunds.values()],
        "notifications": [asdict(n) for n in state.notifications],
        "delivery_log": [asdict(a) for a in state.delivery_log],
        "faults": [asdict(f) for f in state.faults],
        "printed": [
            {
                "printer": p.printer,
                "via": p.via,
                "job": p.job,
                "data": base64.b64encode(p.data).decode("ascii"),
            }
            for p in state.printed
        ],
    }


def _records(cls: Any, rows: list[dict[str, Any]]) -> list[Any]:
    return [cls(**row) for row in rows]


def _load(state: SandboxState, data: dict[str, Any]) -> None:
    with state.lock:
        state.clock.resume(data["clock"])
        state._counter = int(data["counter"])
        state.users = {u.openid: u for u in _records(User, data["users"])}
        state.tokens = {str(k): float(v) for k, v in data["tokens"].items()}
        state.login_codes = {c.code: c for c in _records(LoginCode, data["login_codes"])}
        state.phone_codes = {c.code: c for c in _records(PhoneCode, data["phone_codes"])}
        state.subscriptions = Counter({(o, t): int(n) for o, t, n in data["subscriptions"]})
        state.sent_messages = _records(SentMessage, data["sent_messages"])
        state.subscribe_daily_quota = data.get(
            "subscribe_daily_quota"
        )  # files saved before the cap have none
        state.subscribe_calls = Counter({str(k): int(v) for k, v in data.get("subscribe_calls", {}).items()})
        state.orders = {o.out_trade_no: o for o in _records(Order, data["orders"])}
        state.payment_codes = {p.auth_code: p for p in _records(PaymentCode, data["payment_codes"])}
        state.refunds = {r.out_refund_no: r for r in _records(Refund, data["refunds"])}
        state.notifications = _records(Notification, data["notifications"])
        for n in state.notifications:
            if n.status == "in_flight":  # the process stopped mid-delivery: WeChat would send it again
                n.status = "pending"
        state.delivery_log = _records(DeliveryAttempt, data["delivery_log"])
        state.faults = _records(Fault, data["faults"])
        # In place: the printer's log holds this list. Files saved before printing was kept have none.
        state.printed[:] = [
            Printed(p["printer"], p["via"], base64.b64decode(p["data"]), p.get("job", ""))
            for p in data.get("printed", [])
        ]
