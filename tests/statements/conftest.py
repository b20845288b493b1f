"""Fixtures for period statements: a distributor trading on account over HTTP from a small stock,
another distributor, staff and the owner logged in, and a snapshot of everything a refused request
must leave as it was."""

from __future__ import annotations

import datetime as dt
import itertools
from dataclasses import dataclass
from typing import Any

import pytest

from tests.helpers import unchanged_by

_keys = itertools.count(1)


def noon(day: dt.date) -> dt.datetime:
    """Noon in Beijing on `day`, as stored (naive UTC)."""
    return dt.datetime.combine(day, dt.time(4, 0))


def post(client: Any, url: str, headers: dict[str, str], body: Any = None, key: str | None = None) -> Any:
    return client.post(
        url, json=body or {}, headers={**headers, "Idempotency-Key": key or f"st-{next(_keys)}"}
    )


@dataclass
class Party:
    user: Any
    customer: Any
    headers: dict[str, str]


@dataclass
class Shop:
    sku: Any  # 1130 fen incl. VAT, 200 on hand
    dist: Party  # 城东批发部, limit 1,000,000 fen, 30 days
    other: Party  # 城西批发部
    owner_user: Any
    staff_user: Any
    login: Any

    @property
    def owner(self) -> dict[str, str]:
        return self.login(self.owner_user)

    @property
    def staff(self) -> dict[str, str]:
        return self.login(self.staff_user)

    def relogin(self) -> None:
        """Fresh sessions after the clock moved (sessions expire after a week)."""
        self.dist.headers = self.login(self.dist.user)
        self.other.headers = self.login(self.other.user)


@pytest.fixture
def shop(app: Any, make_user: Any, login: Any) -> Shop:
    from backend.inventory.services import receive_purchase
    from store import catalog

    warehouse = catalog.create_warehouse("MAIN", "总仓")
    product = catalog.create_product("干红葡萄酒")
    sku = catalog.create_sku(product.id, name="750ml", price_fen=1130)
    receive_purchase(sku.id, warehouse.id, 200, 700, reference="PO-1")
    parties = []
    for name in ("城东批发部", "城西批发部"):
        user = make_user("distributor")
        customer = catalog.create_customer(
            "distributor", name, user_id=user.id, credit_limit_fen=1_000_000, payment_terms_days=30
        )
        parties.append(Party(user, customer, login(user)))
    return Shop(sku, parties[0], parties[1], make_user("owner"), make_user("staff"), login)


def snapshot() -> dict[str, Any]:
    from backend.audit import AuditEntry
    from backend.jobs.models import OutboxMessage
    from backend.kernel.models import Customer
    from backend.ledger.models import JournalEntry, JournalLine
    from backend.receivables.models import ArEntry, Invoice, Payment
    from backend.receivables.statement_models import (
        Statement,
        StatementDispute,
        StatementLine,
        StatementNotice,
    )

    state: dict[str, Any] = {
        m.__name__: m.select().count()
        for m in (
            AuditEntry,
            OutboxMessage,
            JournalEntry,
            JournalLine,
            Invoice,
            Payment,
            ArEntry,
            StatementLine,
        )
    }
    state["customers"] = sorted((c.id, c.balance_fen) for c in Customer.select())
    state["statements"] = sorted(
        (s.id, s.status, s.version, s.content_hash, s.confirmed_at, s.closing_fen) for s in Statement.select()
    )
    state["disputes"] = sorted((d.id, d.status, d.adjustment_id) for d in StatementDispute.select())
    state["notices"] = sorted((n.id, n.status) for n in StatementNotice.select())
    return state


@pytest.fixture
def unchanged() -> Any:
    """with unchanged(): <something that must be refused> -- asserts nothing changed."""
    return unchanged_by(snapshot)
