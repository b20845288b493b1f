"""In-memory state of one sandbox instance.

One re-entrant lock guards everything: the sandbox handles a handful of requests a second,
and a single lock makes every transition trivially atomic. Nothing slow (HTTP to the
merchant) ever runs while holding it.
"""

from __future__ import annotations

import secrets
import string
import threading
from collections import Counter
from dataclasses import dataclass, field
from typing import Any

from cryptography.hazmat.primitives.asymmetric import rsa
from cryptography.hazmat.primitives.serialization import load_pem_private_key, load_pem_public_key

from .clock import SandboxClock, rfc3339
from .credentials import SandboxCredentials, new_rsa_key

# Time a payer needs to type the password after a USERPAYING answer (sandbox seconds).
DEFAULT_USERPAYING_SECONDS = 10.0
# Time WeChat takes to move a refund from PROCESSING to SUCCESS (sandbox seconds).
DEFAULT_REFUND_SECONDS = 5.0
TOKEN_LIFETIME = 7200
LOGIN_CODE_LIFETIME = 300


@dataclass
class User:
    openid: str
    unionid: str


@dataclass
class LoginCode:
    code: str
    openid: str
    unionid: str
    expires_at: float
    used: bool = False
    # What code2session answered for this code: tests look for it where it must never be.
    session_key: str | None = None


@dataclass
class PhoneCode:
    code: str
    openid: str
    phone: str
    country_code: str
    expires_at: float
    used: bool = False


@dataclass
class SentMessage:
    msgid: int
    touser: str
    template_id: str
    data: dict[str, Any]
    page: str | None
    miniprogram_state: str | None
    lang: str | None
    sent_at: float


@dataclass
class PaymentCode:
    """A payer's 18-digit payment code and how the "phone" will behave when charged."""

    auth_code: str
    openid: str
    behaviour: str  # one of PAYMENT_CODE_BEHAVIOURS
    userpaying_seconds: float
    used: bool = False


PAYMENT_CODE_BEHAVIOURS = (
    "success",
    "userpaying_then_success",
    "userpaying_then_fail",
    "insufficient_funds",
)


@dataclass
class Order:
    appid: str
    mchid: str
    out_trade_no: str
    trade_type: str  # JSAPI | NATIVE | MICROPAY (what v3 reports for CODEPAY)
    description: str
    total: int  # fen
    currency: str
    notify_url: str | None
    attach: str | None
    created_at: float
    time_expire: float | None = None
    payer_openid: str | None = None
    trade_state: str = "NOTPAY"
    trade_state_desc: str = "订单未支付"
    transaction_id: str | None = None
    prepay_id: str | None = None
    code_url: str | None = None
    auth_code: str | None = None
    success_time: float | None = None
    # USERPAYING codepay orders settle at this sandbox time, to SUCCESS or PAYERROR.
    settle_at: float | None = None
    settle_to: str | None = None
    declined: int = 0
    revoked: bool = False


@dataclass
class Refund:
    refund_id: str
    out_refund_no: str
    out_trade_no: str
    transaction_id: str
    refund: int  # fen
    total: int  # fen
    currency: str
    reason: str | None
    notify_url: str | None
    created_at: float
    complete_at: float
    status: str = "PROCESSING"  # PROCESSING | SUCCESS | ABNORMAL | CLOSED
    success_time: float | None = None


@dataclass
class Notification:
    """One notification WeChat owes the merchant, retried until a 200/204."""

    id: str
    event_type: str  # TRANSACTION.SUCCESS | REFUND.SUCCESS | REFUND.ABNORMAL
    notify_url: str
    out_trade_no: str
    out_refund_no: str | None
    resource: dict[str, Any]  # decrypted payload, for inspection
    body: str  # the exact JSON sent every time (encrypted once, like WeChat)
    created_at: float
    due_at: float
    rounds: int = 0  # delivery rounds of the genuine notification so far
    status: str = "pending"  # pending | in_flight | delivered | lost | failed


@dataclass
class DeliveryAttempt:
    notification_id: str
    event_type: str
    out_trade_no: str
    out_refund_no: str | None
    kind: str  # genuine | duplicate | forged | wrong_amount | lost
    round: int  # 1 = first delivery, 2 = first retry, ...
    at: float  # sandbox time
    status_code: int | None
    error: str | None

    @property
    def ok(self) -> bool:
        return self.status_code in (200, 204)

    def to_json(self) -> dict[str, Any]:
        return {
            "notification_id": self.notification_id,
            "event_type": self.event_type,
            "out_trade_no": self.out_trade_no,
            "out_refund_no": self.out_refund_no,
            "kind": self.kind,
            "round": self.round,
            "at": rfc3339(self.at),
            "at_ts": self.at,
            "status_code": self.status_code,
            "error": self.error,
            "ok": self.ok,
        }


@dataclass
class Fault:
    """A misbehaviour applied to the notifications of one order.

    kinds: duplicate (``copies`` sends of the first delivery, optionally from concurrent
    threads), late (held until sandbox time ``until``), out_of_order (payment notification
    held until a refund notification of the same order went out), lose (never delivered),
    forged (an extra copy signed with a wrong key), wrong_amount (an extra, correctly signed
    and encrypted copy whose amount.total is ``total``).
    """

    kind: str
    out_trade_no: str
    event_type: str = "TRANSACTION.SUCCESS"
    copies: int = 2
    concurrent: bool = False
    until: float | None = None
    total: int | None = None
    consumed: bool = False

    def to_json(self) -> dict[str, Any]:
        return {
            "kind": self.kind,
            "out_trade_no": self.out_trade_no,
            "event_type": self.event_type,
            "copies": self.copies,
            "concurrent": self.concurrent,
            "until": self.until,
            "total": self.total,
            "consumed": self.consumed,
        }


FAULT_KINDS = ("duplicate", "late", "out_of_order", "lose", "forged", "wrong_amount")


@dataclass
class SlowAnswer:
    """WeChat being slow: the next request to one API (``jsapi``, ``native``, ``codepay``,
    ``refund``) is received, then its answer waits ``seconds`` of real time or until ``release()``.

    ``arrived`` is set when the request has come in, so a test can act while the merchant's
    server is waiting (and prove it holds no lock meanwhile). One request each.
    """

    api: str
    seconds: float
    arrived: threading.Event = field(default_factory=threading.Event)
    released: threading.Event = field(default_factory=threading.Event)
    consumed: bool = False

    def release(self) -> None:
        self.released.set()

    def to_json(self) -> dict[str, Any]:
        return {"api": self.api, "seconds": self.seconds, "consumed": self.consumed}


SLOW_APIS = ("jsapi", "native", "codepay", "refund")


@dataclass
class Bill:
    token: str
    content: bytes
    gzipped: bool


@dataclass
class SandboxState:
    credentials: SandboxCredentials
    clock: SandboxClock
    lock: threading.RLock = field(default_factory=threading.RLock)
    refund_seconds: float = DEFAULT_REFUND_SECONDS
    # wechatpayv3 sends no notify_url with CODEPAY (WeChat's payment-code API has none);
    # set this to have the sandbox notify the merchant of payment-code charges anyway.
    codepay_notify_url: str | None = None

    users: dict[str, User] = field(default_factory=dict)
    tokens: dict[str, float] = field(default_factory=dict)  # token -> expires_at
    login_codes: dict[str, LoginCode] = field(default_factory=dict)
    phone_codes: dict[str, PhoneCode] = field(default_factory=dict)
    subscriptions: Counter[tuple[str, str]] = field(default_factory=Counter)
    sent_messages: list[SentMessage] = field(default_factory=list)
    # WeChat caps how many subscribe-message calls an app makes per day (Beijing time); past the
    # cap every call answers 45009 until midnight. None: no cap (WeChat's real one is far above
    # anything a test sends). Calls are counted per China date.
    subscribe_daily_quota: int | None = None
    subscribe_calls: Counter[str] = field(default_factory=Counter)

    orders: dict[str, Order] = field(default_factory=dict)  # by out_trade_no
    payment_codes: dict[str, PaymentCode] = field(default_factory=dict)
    refunds: dict[str, Refund] = field(default_factory=dict)  # by out_refund_no
    bills: dict[str, Bill] = field(default_factory=dict)

    notifications: list[Notification] = field(default_factory=list)
    delivery_log: list[DeliveryAttempt] = field(default_factory=list)
    faults: list[Fault] = field(default_factory=list)
    slow_answers: list[SlowAnswer] = field(default_factory=list)
    # What the sandbox's printers received (printer.Printed), kept here so the demo's saved state
    # keeps the receipts printed before a restart.
    printed: list[Any] = field(default_factory=list)

    _counter: int = 0

    def __post_init__(self) -> None:
        creds = self.credentials
        self.merchant_public_key = load_pem_public_key(creds.merchant_public_key_pem.encode())
        wechatpay_key = load_pem_private_key(creds.wechatpay_private_key_pem.encode(), password=None)
        assert isinstance(wechatpay_key, rsa.RSAPrivateKey)
        self.wechatpay_private_key: rsa.RSAPrivateKey = wechatpay_key
        self._forger_key: rsa.RSAPrivateKey | None = None

    @property
    def forger_key(self) -> rsa.RSAPrivateKey:
        """A key WeChat never used: what a forger would sign with."""
        if self._forger_key is None:
            self._forger_key = new_rsa_key()
        return self._forger_key

    def now(self) -> float:
        return self.clock.now()

    def next_seq(self) -> int:
        with self.lock:
            self._counter += 1
            return self._counter

    # Lookups tests like to use.
    def order_by_transaction_id(self, transaction_id: str) -> Order | None:
        with self.lock:
            for order in self.orders.values():
                if order.transaction_id == transaction_id:
                    return order
            return None

    def order_by_prepay_id(self, prepay_id: str) -> Order | None:
        with self.lock:
            for order in self.orders.values():
                if order.prepay_id == prepay_id:
                    return order
            return None

    def order_by_code_url(self, code_url: str) -> Order | None:
        with self.lock:
            for order in self.orders.values():
                if order.code_url == code_url:
                    return order
            return None

    def notifications_for(self, out_trade_no: str, event_type: str | None = None) -> list[Notification]:
        with self.lock:
            return [
                n
                for n in self.notifications
                if n.out_trade_no == out_trade_no and (event_type is None or n.event_type == event_type)
            ]

    def deliveries_for(self, out_trade_no: str) -> list[DeliveryAttempt]:
        with self.lock:
            return [a for a in self.delivery_log if a.out_trade_no == out_trade_no]


def random_digits(n: int) -> str:
    return "".join(secrets.choice(string.digits) for _ in range(n))


def random_token(n: int) -> str:
    alphabet = string.ascii_letters + string.digits
    return "".join(secrets.choice(alphabet) for _ in range(n))
