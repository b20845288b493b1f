"""The provider that issues fapiao: in production a tax platform's service (or a service provider's
API in front of 全国统一电子发票服务平台); here, and in the demo and tests, the local sandbox.

The contract every provider meets: `request_id` is ours and the provider deduplicates by it, so
asking twice with the same id answers the same fapiao (the outbox job is retried freely:
REMOTE_DEDUPES). A refusal for good raises `FapiaoRefused`; anything else is retried.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from pathlib import Path
from typing import Protocol

from backend import runtime


@dataclass(frozen=True)
class Buyer:
    buyer_type: int  # 0 company, 1 person
    title: str
    tax_number: str = ""
    company_address: str = ""
    telephone: str = ""
    bank_name: str = ""
    bank_account: str = ""


@dataclass(frozen=True)
class Item:
    name: str
    quantity: int
    amount_fen: int  # VAT included
    vat_rate_bp: int


@dataclass(frozen=True)
class Issued:
    number: str  # 发票号码 (20 digits for 数电票)
    issued_at: dt.datetime
    content: bytes  # the file (PDF)
    content_type: str = "application/pdf"


class Provider(Protocol):
    def issue_blue(
        self, request_id: str, buyer: Buyer, items: list[Item], amount_fen: int, vat_fen: int
    ) -> Issued: ...

    def issue_red(
        self, request_id: str, blue_number: str, buyer: Buyer, amount_fen: int, vat_fen: int
    ) -> Issued: ...


_chosen: dict[str, Provider] = {}


def use(provider: Provider | None) -> None:
    """Put a provider in place (tests, or a deployment's own); None: back to the sandbox."""
    _chosen.clear()
    if provider is not None:
        _chosen["provider"] = provider


def current() -> Provider:
    chosen = _chosen.get("provider")
    if chosen is not None:
        return chosen
    from store.fapiao.sandbox import SandboxProvider

    return SandboxProvider(
        Path(runtime.settings().instance_dir) / "fapiao-sandbox", runtime.settings().shop_name
    )
