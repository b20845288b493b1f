"""Two parallel orders cannot both use the last of a limit: on PostgreSQL, 30 clients each sell 1,130
fen on account at once against a 10,000 fen limit; exactly eight get through, every time."""

from __future__ import annotations

import threading
from typing import Any

import pytest

from backend.db import db
from backend.kernel.models import Customer
from backend.receivables.errors import CreditLimitExceeded
from backend.receivables.models import Invoice
from store import services as sales
from tests.credit.conftest import Books, breaks

pytestmark = pytest.mark.pg

CLIENTS = 30


@pytest.fixture
def settings(settings: Any) -> Any:
    return settings.with_overrides(db_pool_size=CLIENTS + 2)


@pytest.mark.parametrize("run", [1, 2, 3])
def test_parallel_orders_never_pass_the_limit(books: Books, run: int) -> None:
    db.close()
    start = threading.Barrier(CLIENTS)
    outcomes: list[str] = []
    errors: list[BaseException] = []
    lock = threading.Lock()

    def buyer() -> None:
        try:
            start.wait()
            try:
                sales.sell_on_account(books.distributor.id, [(books.sku.id, 1)], channel="distributor")
                outcome = "sold"
            except CreditLimitExceeded:
                outcome = "refused"
            with lock:
                outcomes.append(outcome)
        except BaseException as exc:
            errors.append(exc)
        finally:
            if not db.is_closed():
                db.close()

    threads = [threading.Thread(target=buyer) for _ in range(CLIENTS)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(120)
    assert errors == []
    assert sorted(outcomes) == ["refused"] * 22 + ["sold"] * 8
    assert Customer.get_by_id(books.distributor.id).balance_fen == 9040
    assert Invoice.select().where(Invoice.customer == books.distributor.id).count() == 8
    assert breaks() == []
