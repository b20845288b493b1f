"""Configuration, read once from environment variables.

Every setting has a documented default that is safe for a first run on a laptop (the embedded
default: a SQLite file in the instance folder, jobs run in-process). Secrets have no production
default: `yecai demo` generates its own, and `yecai serve` refuses to start without them.
"""

from __future__ import annotations

import os
from dataclasses import dataclass, field, fields, replace
from pathlib import Path
from typing import Any

from backend import clock

LATE_PAYMENT_POLICIES = ("refund", "reserve_again")


class ConfigError(RuntimeError):
    """A setting is missing or malformed."""


def _instance_dir() -> Path:
    return Path(os.environ.get("YECAI_INSTANCE_DIR", Path.cwd() / "instance"))


@dataclass(frozen=True)
class Settings:
    # name -> (environment variable, description) is documented in README.md's configuration table.
    database_url: str = ""
    redis_url: str = ""
    secret_key: str = ""
    instance_dir: str = ""
    max_request_bytes: int = 1024 * 1024
    token_ttl_seconds: int = 7 * 24 * 3600
    # Password guessing: this many wrong passwords for one account within the window lock it for
    # the lockout (even to the right password); this many from one address, across accounts,
    # refuse that address's password logins until the window ends.
    login_max_failures: int = 5
    login_failure_window_seconds: int = 15 * 60
    login_lockout_seconds: int = 15 * 60
    login_max_failures_per_address: int = 20
    # Costly endpoints (WeChat login, checkout, payment starts): requests per caller (the user, or
    # the address before login) per minute, each endpoint counted on its own.
    costly_requests_per_minute: int = 30
    # How many proxies (nginx) stand in front: the client address is taken from X-Forwarded-For
    # only that many hops deep; 0 trusts no header and uses the socket's address.
    trusted_proxies: int = 0
    db_pool_size: int = 20
    rq_queue: str = "yecai"
    # An outbox row handed to rq and still not done after this long is handed over again (its job
    # was lost: Redis restarted empty, or the worker running it was killed).
    outbox_redeliver_seconds: int = 300
    # WeChat mini-program and WeChat Pay (API v3, public-key mode).
    wechat_appid: str = ""
    wechat_secret: str = ""
    wechat_api_base: str = "https://api.weixin.qq.com"
    wechatpay_mchid: str = ""
    wechatpay_private_key: str = ""
    wechatpay_cert_serial: str = ""
    wechatpay_apiv3_key: str = ""
    wechatpay_public_key: str = ""
    wechatpay_public_key_id: str = ""
    wechatpay_base: str = "https://api.mch.weixin.qq.com"
    public_base_url: str = "http://127.0.0.1:8000"
    # Shop policies.
    order_auto_cancel_seconds: int = 30 * 60  # unpaid mini-program orders are cancelled after this
    # Other channels' unpaid orders, "channel=seconds,..." (e.g. "distributor=86400,counter=3600");
    # a channel not named uses order_auto_cancel_seconds. See pending_expiry().
    pending_order_expiry: str = ""
    order_auto_receive_days: int = 7  # shipped orders count as received after this
    # A WeChat payment that arrives for an order already cancelled: "refund" it, or "reserve_again"
    # (reopen the order if the stock is still there, else refund).
    late_payment_policy: str = "refund"
    # The merchant's time zone: business dates (a day's sales, invoice dates, aging) are its days.
    timezone: str = "Asia/Shanghai"
    # Receipts: the shop's name at their head, and the counter's thermal printer (raw TCP
    # "tcp://host:9100", or a cloud printer's "https://..." that takes ESC/POS bytes); 58 or 80 mm.
    shop_name: str = "业财小店"
    printer_url: str = ""
    printer_width_mm: int = 58
    # Period statements (对账单): an unconfirmed statement is reminded every this many days (at most 3
    # times); a statement's signed link for the phone works this many days.
    statement_remind_days: int = 7
    statement_link_days: int = 60
    # Mount the local WeChat simulator at /sandbox (demo and tests only).
    mount_sandbox: bool = False
    testing: bool = False
    extra: dict[str, Any] = field(default_factory=dict)

    @property
    def uses_redis(self) -> bool:
        return bool(self.redis_url)

    @property
    def is_postgres(self) -> bool:
        return self.database_url.startswith(("postgres://", "postgresql://"))

    def pending_expiry(self) -> dict[str, int]:
        """Seconds an unpaid order of each channel waits before the periodic job cancels it."""
        return parse_pending_expiry(self.pending_order_expiry, self.order_auto_cancel_seconds)

    def with_overrides(self, **overrides: Any) -> Settings:
        return replace(self, **overrides)


_ENV = {
    "database_url": "YECAI_DATABASE_URL",
    "redis_url": "YECAI_REDIS_URL",
    "secret_key": "YECAI_SECRET_KEY",
    "instance_dir": "YECAI_INSTANCE_DIR",
    "max_request_bytes": "YECAI_MAX_REQUEST_BYTES",
    "token_ttl_seconds": "YECAI_TOKEN_TTL_SECONDS",
    "login_max_failures": "YECAI_LOGIN_MAX_FAILURES",
    "login_failure_window_seconds": "YECAI_LOGIN_FAILURE_WINDOW_SECONDS",
    "login_lockout_seconds": "YECAI_LOGIN_LOCKOUT_SECONDS",
    "login_max_failures_per_address": "YECAI_LOGIN_MAX_FAILURES_PER_ADDRESS",
    "costly_requests_per_minute": "YECAI_COSTLY_REQUESTS_PER_MINUTE",
    "trusted_proxies": "YECAI_TRUSTED_PROXIES",
    "db_pool_size": "YECAI_DB_POOL_SIZE",
    "rq_queue": "YECAI_RQ_QUEUE",
    "outbox_redeliver_seconds": "YECAI_OUTBOX_REDELIVER_SECONDS",
    "wechat_appid": "YECAI_WECHAT_APPID",
    "wechat_secret": "YECAI_WECHAT_SECRET",
    "wechat_api_base": "YECAI_WECHAT_API_BASE",
    "wechatpay_mchid": "YECAI_WECHATPAY_MCHID",
    "wechatpay_private_key": "YECAI_WECHATPAY_PRIVATE_KEY",
    "wechatpay_cert_serial": "YECAI_WECHATPAY_CERT_SERIAL",
    "wechatpay_apiv3_key": "YECAI_WECHATPAY_APIV3_KEY",
    "wechatpay_public_key": "YECAI_WECHATPAY_PUBLIC_KEY",
    "wechatpay_public_key_id": "YECAI_WECHATPAY_PUBLIC_KEY_ID",
    "wechatpay_base": "YECAI_WECHATPAY_BASE",
    "public_base_url": "YECAI_PUBLIC_BASE_URL",
    "order_auto_cancel_seconds": "YECAI_ORDER_AUTO_CANCEL_SECONDS",
    "pending_order_expiry": "YECAI_PENDING_ORDER_EXPIRY",
    "order_auto_receive_days": "YECAI_ORDER_AUTO_RECEIVE_DAYS",
    "late_payment_policy": "YECAI_LATE_PAYMENT_POLICY",
    "timezone": "YECAI_TIMEZONE",
    "mount_sandbox": "YECAI_MOUNT_SANDBOX",
    "shop_name": "YECAI_SHOP_NAME",
    "printer_url": "YECAI_PRINTER_URL",
    "printer_width_mm": "YECAI_PRINTER_WIDTH_MM",
    "statement_remind_days": "YECAI_STATEMENT_REMIND_DAYS",
    "statement_link_days": "YECAI_STATEMENT_LINK_DAYS",
}


# Limits where 0 would divide by zero or lock everyone out.
_POSITIVE = (
    "login_max_failures",
    "login_failure_window_seconds",
    "login_lockout_seconds",
    "login_max_failures_per_address",
    "costly_requests_per_minute",
    "outbox_redeliver_seconds",
    "statement_remind_days",
    "statement_link_days",
)


def _coerce(name: str, raw: str) -> Any:
    kind = {f.name: f.type for f in fields(Settings)}[name]
    if kind == "int":
        try:
            return int(raw)
        except ValueError:
            raise ConfigError(f"{_ENV[name]} must be an integer, got {raw!r}")
    if kind == "bool":
        return raw.strip().lower() in {"1", "true", "yes", "on"}
    return raw


def parse_pending_expiry(raw: str, default_seconds: int) -> dict[str, int]:
    """ "distributor=86400,counter=3600" -> {"distributor": 86400, "counter": 3600, "*": default}.
    Channel names are checked against the channels by the job that reads them."""
    expiry = {"*": default_seconds}
    for part in filter(None, (p.strip() for p in raw.split(","))):
        channel, _, seconds = (x.strip() for x in part.partition("="))
        if not channel.isidentifier() or not seconds.isdigit() or int(seconds) < 60:
            raise ConfigError(
                f"YECAI_PENDING_ORDER_EXPIRY: {part!r} must be channel=seconds, at least 60 seconds"
            )
        expiry[channel] = int(seconds)
    return expiry


def _read_pem(value: str) -> str:
    # Keys may be given inline (PEM text) or as a path to a PEM file.
    if value and not value.lstrip().startswith("-----") and Path(value).is_file():
        return Path(value).read_text()
    # dotenv files carry PEMs on one line with literal "\n" escapes.
    return value.replace("\\n", "\n")


def load_settings(environ: dict[str, str] | None = None, **overrides: Any) -> Settings:
    env = os.environ if environ is None else environ
    values: dict[str, Any] = {}
    for name, var in _ENV.items():
        if var in env and env[var] != "":
            values[name] = _coerce(name, env[var])
    values.update(overrides)
    instance = Path(values.get("instance_dir") or _instance_dir())
    values["instance_dir"] = str(instance)
    if not values.get("database_url"):
        values["database_url"] = f"sqlite:///{instance / 'yecai.sqlite3'}"
    if values.get("late_payment_policy", "refund") not in LATE_PAYMENT_POLICIES:
        raise ConfigError(f"YECAI_LATE_PAYMENT_POLICY must be one of {', '.join(LATE_PAYMENT_POLICIES)}")
    for name in _POSITIVE:
        if name in values and values[name] < 1:
            raise ConfigError(f"{_ENV[name]} must be at least 1")
    if values.get("printer_width_mm", 58) not in (58, 80):
        raise ConfigError("YECAI_PRINTER_WIDTH_MM must be 58 or 80")
    if values.get("printer_url") and not values["printer_url"].startswith(("tcp://", "http://", "https://")):
        raise ConfigError("YECAI_PRINTER_URL must start with tcp://, http:// or https://")
    if values.get("trusted_proxies", 0) < 0:
        raise ConfigError("YECAI_TRUSTED_PROXIES must be 0 or more")
    if "timezone" in values:
        try:
            clock.zone_named(values["timezone"])
        except ValueError as exc:
            raise ConfigError(f"YECAI_TIMEZONE: {exc}") from None
    parse_pending_expiry(values.get("pending_order_expiry", ""), 1)  # refuse a bad value at start
    for key in ("wechatpay_private_key", "wechatpay_public_key"):
        if key in values:
            values[key] = _read_pem(values[key])
    return Settings(**values)


def require_secrets(settings: Settings) -> None:
    """Production start refuses to run on missing secrets instead of inventing them."""
    if not settings.secret_key or len(settings.secret_key) < 16:
        raise ConfigError("YECAI_SECRET_KEY must be set (at least 16 characters)")
