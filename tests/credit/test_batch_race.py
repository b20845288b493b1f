"""Batches racing for one invoice's open amount on PostgreSQL: never over-collected. Ten batches at
once each allocate 400 fen to the same 1,130 fen invoice: two get through, the others are refused
whole (409 allocation_exceeds_open) and change nothing; the same batch sent by ten clients at once
is applied once."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest

from backend.errors import DomainError
from backend.receivables import advances
from backend.receivables.batches import BatchLine
from backend.receivables.models import CollectionBatch, Invoice, Payment
from store import on_account
from store import services as sales
from tests.credit.conftest import Books, breaks
from tests.helpers import at_once

pytestmark = pytest.mark.pg

CLIENTS = 10


@pytest.fixture
def settings(settings: Any) -> Any:
    return settings.with_overrides(db_pool_size=CLIENTS + 2)


def _race(work: Callable[[int], str]) -> list[str]:
    return at_once(CLIENTS, work)


@pytest.mark.parametrize("run", [1, 2])
def test_racing_batches_never_over_collect_an_invoice(books: Books, run: int) -> None:
    order = sales.sell_on_account(books.distributor.id, [(books.sku.id, 1)], channel="distributor")
    invoice = Invoice.get(Invoice.order == order.id)
    other = sales.sell_on_account(books.distributor.id, [(books.sku.id, 1)], channel="distributor")
    second = Invoice.get(Invoice.order == other.id)

    def batch(n: int) -> str:
        # Half the batches name the two invoices in the other order: still no deadlock.
        pairs = [(invoice.id, 400), (second.id, 10)] if n % 2 else [(second.id, 10), (invoice.id, 400)]
        try:
            on_account.collect_batch(
                f"RACE-{n}", "bank_transfer", [BatchLine(books.distributor.id, 410, tuple(pairs))]
            )
            return "collected"
        except DomainError as exc:
            return exc.code

    assert _race(batch) == ["allocation_exceeds_open"] * 8 + ["collected"] * 2
    assert Invoice.get_by_id(invoice.id).open_fen == 1130 - 800
    assert Invoice.get_by_id(second.id).open_fen == 1130 - 20
    assert Payment.select().where(Payment.direction == "in").count() == 2
    assert CollectionBatch.select().count() == 2
    assert advances.balance_of(books.distributor.id) == 0
    assert breaks() == []


def test_the_same_batch_from_ten_clients_at_once_is_applied_once(books: Books) -> None:
    order = sales.sell_on_account(books.distributor.id, [(books.sku.id, 2)], channel="distributor")
    invoice = Invoice.get(Invoice.order == order.id)
    line = BatchLine(books.distributor.id, 3000, ((invoice.id, 2260),))

    def batch(_: int) -> str:
        result = on_account.collect_batch("SAME-1", "cash", [line])
        return "created" if result.created else "replayed"

    assert _race(batch) == ["created"] + ["replayed"] * 9
    assert Invoice.get_by_id(invoice.id).open_fen == 0
    assert Payment.select().where(Payment.direction == "in").count() == 1
    assert advances.balance_of(books.distributor.id) == 740
    assert breaks() == []
