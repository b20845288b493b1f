"""Fixtures for credit control: a distributor buying on account from a small stock, the owner and
staff logged in, and a snapshot of credit, approvals, ledgers and the audit log so negative tests
prove nothing changed."""

from __future__ import annotations

import itertools
from dataclasses import dataclass
from typing import Any

import pytest

from tests.helpers import unchanged_by

_keys = itertools.count(1)


def post(client: Any, url: str, headers: dict[str, str], body: Any = None, key: str | None = None) -> Any:
    return client.post(
        url, json=body or {}, headers={**headers, "Idempotency-Key": key or f"k-{next(_keys)}"}
    )


@dataclass
class Books:
    warehouse: Any
    sku: Any  # 1130 fen incl. 13% VAT, 100 on hand at 700 fen
    distributor: Any  # limit 10,000 fen, 30 days
    owner_user: Any
    staff_user: Any
    owner: dict[str, str]
    staff: dict[str, str]


@pytest.fixture
def books(app: Any, make_user: Any, login: Any) -> Books:
    from backend.inventory.services import receive_purchase
    from store import catalog

    warehouse = catalog.create_warehouse("MAIN", "总仓")
    product = catalog.create_product("干红葡萄酒")
    sku = catalog.create_sku(product.id, name="750ml", price_fen=1130)
    receive_purchase(sku.id, warehouse.id, 100, 700, reference="PO-1")
    distributor = catalog.create_customer(
        "distributor", "城东批发部", credit_limit_fen=10_000, payment_terms_days=30
    )
    owner_user, staff_user = make_user("owner"), make_user("staff")
    return Books(warehouse, sku, distributor, owner_user, staff_user, login(owner_user), login(staff_user))


def snapshot() -> dict[str, Any]:
    from backend.approvals.models import ApprovalRequest
    from backend.audit import AuditEntry
    from backend.jobs.models import OutboxMessage
    from backend.kernel.models import Customer, Order
    from backend.ledger.models import JournalEntry, JournalLine
    from backend.receivables.credit.models import CreditProfile
    from backend.receivables.models import ArEntry, Invoice, Payment

    counts: dict[str, Any] = {
        m.__name__: m.select().count()
        for m in (
            ApprovalRequest,
            AuditEntry,
            CreditProfile,
            OutboxMessage,
            Order,
            JournalEntry,
            JournalLine,
            Invoice,
            Payment,
            ArEntry,
        )
    }
    counts["customers"] = sorted(
        (c.id, c.balance_fen, c.uninvoiced_fen, c.credit_limit_fen, c.payment_terms_days)
        for c in Customer.select()
    )
    counts["approvals"] = sorted((a.id, a.status, a.decided_by_id) for a in ApprovalRequest.select())
    counts["open"] = sorted((i.id, i.open_fen) for i in Invoice.select())
    counts["orders_paid"] = sorted((o.id, o.status, o.paid_fen, o.refunded_fen) for o in Order.select())
    # Money in: customers' credit, batches, bank statement lines.
    from backend.receivables import models as money_in

    for model in (
        money_in.AdvanceMovement,
        money_in.CollectionBatch,
        money_in.CollectionBatchLine,
        money_in.BankImport,
    ):
        counts[model.__name__] = model.select().count()
    counts["advances"] = sorted((a.customer_id, a.balance_fen) for a in money_in.AdvanceAccount.select())
    counts["bank_lines"] = sorted((b.id, b.status, b.customer_id) for b in money_in.BankLine.select())
    return counts


@pytest.fixture
def unchanged() -> Any:
    """with unchanged(): <something that must be refused> -- asserts nothing changed."""
    return unchanged_by(snapshot)


def breaks() -> list[str]:
    from backend.checks import run_all

    return [f"{r.name}: {p}" for r in run_all() for p in r.problems]
