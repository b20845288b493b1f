"""Statements under concurrency, on PostgreSQL with real threads: a customer confirming and disputing
the same statement at once from several phones gets exactly one answer through (the rest are clear
refusals), and two monthly runs at once make each statement once."""

from __future__ import annotations

import datetime as dt
import threading
from collections.abc import Callable
from typing import Any

import pytest

from backend import clock
from backend.db import db
from backend.errors import DomainError
from backend.receivables import statements
from backend.receivables.statement_models import Statement, StatementDispute
from tests.statements.conftest import Shop, noon
from tests.statements.test_statements import trade_november

pytestmark = pytest.mark.pg

CLIENTS = 8


@pytest.fixture
def settings(settings: Any) -> Any:
    return settings.with_overrides(db_pool_size=CLIENTS + 2)


def race(calls: list[Callable[[], Any]]) -> list[str]:
    """Run the calls at once; each outcome is "ok" or the refusal's code."""
    db.close()
    start = threading.Barrier(len(calls))
    outcomes: list[str] = []
    errors: list[BaseException] = []
    lock = threading.Lock()

    def run(call: Callable[[], Any]) -> None:
        try:
            start.wait()
            try:
                call()
                outcome = "ok"
            except DomainError as exc:
                outcome = exc.code
            with lock:
                outcomes.append(outcome)
        except BaseException as exc:
            errors.append(exc)
        finally:
            if not db.is_closed():
                db.close()

    threads = [threading.Thread(target=run, args=(call,)) for call in calls]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(120)
    assert errors == []
    return sorted(outcomes)


@pytest.mark.parametrize("run", [1, 2])
def test_confirm_and_dispute_at_once(client: Any, shop: Shop, run: int) -> None:
    trade_november(client, shop)
    clock.travel_to(noon(dt.date(2026, 12, 2)))
    made = statements.generate(shop.dist.customer.id, dt.date(2026, 11, 1), dt.date(2026, 11, 30))
    statements.send(made.id)
    line = statements.lines_of(made.id)[0].id
    customer, user = shop.dist.customer.id, shop.dist.user.id

    def confirm() -> None:
        statements.confirm(made.id, customer, user_id=user, via="api")

    def dispute() -> None:
        statements.dispute(made.id, customer, [line], "不对", user_id=user, via="link")

    outcomes = race([confirm, dispute] * (CLIENTS // 2))
    assert outcomes.count("ok") == 1
    row = Statement.get_by_id(made.id)
    disputes = StatementDispute.select().where(StatementDispute.statement == made.id).count()
    if row.status == "confirmed":
        assert disputes == 0 and row.content_hash == statements.content_hash(row)
        assert set(outcomes) == {"ok", "statement_already_confirmed"}
    else:
        assert (row.status, disputes, row.content_hash) == ("disputed", 1, None)
        assert set(outcomes) <= {"ok", "statement_not_open", "invalid_statement_dispute"}


def test_two_monthly_runs_at_once_make_each_statement_once(client: Any, shop: Shop) -> None:
    trade_november(client, shop)
    clock.travel_to(noon(dt.date(2026, 12, 1)))
    assert race([statements.monthly, statements.monthly]) == ["ok", "ok"]
    rows = list(Statement.select())
    assert [(s.customer_id, s.version, s.status, s.closing_fen) for s in rows] == [
        (shop.dist.customer.id, 1, "sent", 14600)
    ]
