"""Bugs and broken invariants are internal errors, not refusals: a 500 `internal_error` without
details for the caller, the details in the log."""

from __future__ import annotations

import logging

import pytest

from backend.errors import DomainError, InternalError
from tests.platform.test_errors import assert_error


@pytest.mark.parametrize(
    "error",
    [
        "backend.inventory.errors:StockStateBroken",
        "backend.ledger.errors:UnbalancedEntry",
        "backend.ledger.errors:UnknownAccount",
    ],
)
def test_an_internal_error_is_a_500_without_details_and_is_logged(app, caplog, error):
    import importlib

    module, _, name = error.partition(":")
    kind = getattr(importlib.import_module(module), name)
    assert issubclass(kind, InternalError) and not issubclass(kind, DomainError)

    def broken():
        raise kind(details={"sku_id": 7, "order_id": 42})

    broken._yecai_roles = ("public",)
    app.add_url_rule("/api/test-broken", "broken", broken)
    with caplog.at_level(logging.ERROR):
        response = app.test_client().get("/api/test-broken")
    body = assert_error(response, 500, "internal_error")
    assert body["details"] == {} and "order_id" not in response.get_data(as_text=True)
    assert any(
        r.exc_info and isinstance(r.exc_info[1], kind) and "'order_id': 42" in str(r.exc_info[1])
        for r in caplog.records
    )
