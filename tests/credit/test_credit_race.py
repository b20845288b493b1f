"""Two parallel orders cannot both use the last of a limit: on PostgreSQL, 30 clients each sell 1,130
fen on account at once against a 10,000 fen limit; exactly eight get through, every time. With 5,000
fen paid ahead (credit each new invoice takes first), exactly thirteen do."""

from __future__ import annotations

from typing import Any

import pytest

from backend.kernel.models import Customer
from backend.receivables import advances
from backend.receivables.errors import CreditLimitExceeded
from backend.receivables.models import Invoice
from store import on_account
from store import services as sales
from tests.credit.conftest import Books, breaks
from tests.helpers import at_once

pytestmark = pytest.mark.pg

CLIENTS = 30


@pytest.fixture
def settings(settings: Any) -> Any:
    return settings.with_overrides(db_pool_size=CLIENTS + 2)


def race(books: Books) -> list[str]:
    """CLIENTS threads each sell one on account at once; what each got."""

    def buyer(_: int) -> str:
        try:
            sales.sell_on_account(books.distributor.id, [(books.sku.id, 1)], channel="distributor")
        except CreditLimitExceeded:
            return "refused"
        return "sold"

    return at_once(CLIENTS, buyer)


@pytest.mark.parametrize("run", [1, 2, 3])
def test_parallel_orders_never_pass_the_limit(books: Books, run: int) -> None:
    assert race(books) == ["refused"] * 22 + ["sold"] * 8
    assert Customer.get_by_id(books.distributor.id).balance_fen == 9040
    assert Invoice.select().where(Invoice.customer == books.distributor.id).count() == 8
    assert breaks() == []


@pytest.mark.parametrize("run", [1, 2])
def test_parallel_orders_share_credit_paid_ahead_exactly(books: Books, run: int) -> None:
    on_account.collect(books.distributor.id, 5000, "bank_transfer", f"prepay-{run}", invoice_ids=[])
    assert race(books) == ["refused"] * 17 + ["sold"] * 13  # 13 x 1,130 = 14,690 <= 10,000 + 5,000
    assert Customer.get_by_id(books.distributor.id).balance_fen == 9690
    assert advances.balance_of(books.distributor.id) == 0
    assert Invoice.select().where(Invoice.customer == books.distributor.id).count() == 13
    assert breaks() == []
