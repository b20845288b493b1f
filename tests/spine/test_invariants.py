"""The database refuses what the code must never do, and `yecai check` names every break."""

from __future__ import annotations

from typing import Any

import peewee as pw
import pytest
from click.testing import CliRunner

from backend.cli import main as cli
from backend.db import transaction
from backend.inventory.models import StockLevel
from backend.kernel.models import Customer
from backend.ledger.errors import UnbalancedEntry
from backend.ledger.models import JournalEntry, JournalLine
from backend.ledger.services import Cr, Dr, post_entry
from backend.receivables.models import Invoice
from store import services as sales
from tests.spine.conftest import breaks


def run_check(settings: Any) -> Any:
    return CliRunner().invoke(cli, ["check"], env={"YECAI_DATABASE_URL": settings.database_url})


def test_unbalanced_entries_are_refused_in_code(app: Any, unchanged: Any) -> None:
    with unchanged():
        with pytest.raises(UnbalancedEntry):
            post_entry("test", [Dr("1001", 100), Cr("5001", 99)])
        with pytest.raises(UnbalancedEntry):
            post_entry("test", [])


@pytest.mark.pg
def test_postgres_refuses_to_commit_an_unbalanced_entry(app: Any, unchanged: Any) -> None:
    with unchanged(), pytest.raises(pw.IntegrityError, match="does not balance"), transaction():
        entry = JournalEntry.insert(event="test", posted_on="2026-01-01").execute()
        # Lines are only checked at commit (deferred), so a balanced entry may be written line by line.
        JournalLine.insert(entry=entry, account_code="1001", debit_fen=100).execute()
        JournalLine.insert(entry=entry, account_code="5001", credit_fen=99).execute()


@pytest.mark.pg
def test_postgres_ledgers_are_append_only(shop: Any) -> None:
    with pytest.raises(pw.DatabaseError, match="append-only"), transaction():
        JournalLine.update(debit_fen=1).where(JournalLine.debit_fen > 0).execute()


def test_stock_can_never_go_negative_in_the_database(shop: Any, unchanged: Any) -> None:
    for change in (
        {"reserved": StockLevel.on_hand + 1},
        {"on_hand": -1, "reserved": 0, "value_fen": 0},
        {"reserved": -1},
    ):
        with unchanged(), pytest.raises(pw.IntegrityError), transaction():
            StockLevel.update(**change).where(StockLevel.sku == shop.sku.id).execute()


def test_check_is_clean_after_a_day_of_trading(shop: Any, settings: Any) -> None:
    sales.counter_cash_sale(None, [(shop.sku.id, 2)], reference="A")  # handed over
    sales.fulfil_order(
        sales.counter_cash_sale(None, [(shop.sku.id, 1)], reference="L", deliver_later=True).id
    )
    sales.sell_on_account(shop.distributor.id, [(shop.sku2.id, 3)], channel="distributor")
    sales.refund_order(sales.counter_cash_sale(None, [(shop.sku.id, 1)], reference="B").id, reference="RB")
    assert breaks() == []
    result = run_check(settings)
    assert result.exit_code == 0, result.output
    assert "0 breaks" in result.output


def test_check_names_each_break(shop: Any, settings: Any) -> None:
    sales.sell_on_account(shop.distributor.id, [(shop.sku.id, 1)], channel="distributor")
    # Corrupt the caches behind the code's back (levels and balances are not append-only tables).
    StockLevel.update(on_hand=StockLevel.on_hand + 5).where(StockLevel.sku == shop.sku.id).execute()
    Customer.update(balance_fen=1).where(Customer.id == shop.distributor.id).execute()
    Invoice.update(open_fen=1000).execute()
    result = run_check(settings)
    assert result.exit_code == 1
    broken = [line for line in result.output.splitlines() if line.startswith("BROKEN")]
    assert broken == [
        f"BROKEN inventory: levels equal the sums of their moves: stock level sku {shop.sku.id} warehouse "
        f"{shop.warehouse.id}: on_hand/reserved/value (15, 1, 7000) but moves sum to (10, 1, 7000)",
        f"BROKEN receivables: account 1122 equals open items, per customer and in total: customer "
        f"{shop.distributor.id}: account 1122 shows 1130 fen but open items sum to 1000",
        "BROKEN receivables: account 1122 equals open items, per customer and in total: account 1122 "
        "应收账款 is 1130 fen but open items sum to 1000 fen",
        f"BROKEN receivables: balances and open amounts equal the sums of their entries: customer "
        f"{shop.distributor.id} balance 1 fen but entries sum to 1130",
        "BROKEN receivables: balances and open amounts equal the sums of their entries: invoice 1 open "
        "1000 fen but entries sum to 1130",
    ]
