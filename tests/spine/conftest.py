"""Fixtures for the sale spine: a small shop with stock at a known cost, and a snapshot of every
ledger so negative tests can prove nothing changed."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import pytest

from tests.helpers import unchanged_by


@dataclass
class Shop:
    warehouse: Any
    sku: Any  # 1130 fen incl. 13% VAT, 10 on hand at 700 fen
    sku2: Any  # 565 fen incl. 13% VAT, 5 on hand at 300 fen
    member: Any
    distributor: Any


@pytest.fixture
def shop(app: Any) -> Shop:
    from backend.inventory.services import receive_purchase
    from store import catalog

    warehouse = catalog.create_warehouse("MAIN", "门店仓")
    product = catalog.create_product("茶叶")
    sku = catalog.create_sku(product.id, name="龙井 250g", price_fen=1130, barcode="6900000000011")
    sku2 = catalog.create_sku(
        product.id, name="红茶 100g", price_fen=565, barcode="6900000000028", distributor_price_fen=452
    )
    receive_purchase(sku.id, warehouse.id, 10, 700, reference="PO-1")
    receive_purchase(sku2.id, warehouse.id, 5, 300, reference="PO-2")
    member = catalog.create_customer("member", "王小姐", phone="13800000001")
    distributor = catalog.create_customer(
        "distributor", "城东批发部", credit_limit_fen=5000, payment_terms_days=30
    )
    return Shop(warehouse, sku, sku2, member, distributor)


def snapshot() -> dict[str, Any]:
    """Row counts of every spine table plus every stock level and customer balance."""
    from backend.inventory.models import StockLevel, StockMove
    from backend.jobs.models import OutboxMessage
    from backend.kernel.models import Customer, Order, OrderLine
    from backend.ledger.models import JournalEntry, JournalLine
    from backend.receivables.models import ArEntry, Invoice, Payment

    counts = {
        m.__name__: m.select().count()
        for m in (
            StockMove,
            JournalEntry,
            JournalLine,
            Invoice,
            Payment,
            ArEntry,
            Order,
            OrderLine,
            OutboxMessage,
        )
    }
    counts["levels"] = sorted(
        (lv.sku_id, lv.warehouse_id, lv.on_hand, lv.reserved, lv.value_fen) for lv in StockLevel.select()
    )
    counts["balances"] = sorted((c.id, c.balance_fen) for c in Customer.select())
    counts["orders"] = sorted((o.id, o.status, o.paid_fen, o.refunded_fen) for o in Order.select())
    counts["open"] = sorted((i.id, i.open_fen) for i in Invoice.select())
    return counts


@pytest.fixture
def unchanged() -> Any:
    """with unchanged(): <something that must fail> -- asserts every ledger is exactly as before."""
    return unchanged_by(snapshot)


def breaks() -> list[str]:
    from backend.checks import run_all

    return [f"{r.name}: {p}" for r in run_all() for p in r.problems]
