"""Fixtures for selling to distributors: a wine importer's small catalogue with stock in two
warehouses, the owner and staff, distributors with password logins in grades, and a snapshot of the
price lists and every ledger to prove a refused change changed nothing."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import pytest

from tests.helpers import unchanged_by
from tests.payments.conftest import live, live_server, settings  # noqa: F401


@dataclass
class Trade:
    main: Any  # warehouse MAIN
    north: Any  # warehouse NORTH
    red: Any  # 干红 750ml: retail 10000, distributor price 8000, 120 at MAIN (cost 5000), 24 at NORTH
    white: Any  # 干白 750ml: retail 6000, no distributor price, 60 at MAIN (cost 3000)
    grade_a: Any  # 一级经销商
    grade_b: Any  # 二级经销商
    owner: dict[str, str]
    staff: dict[str, str]


@dataclass
class Distributor:
    headers: dict[str, str]
    user_id: int
    customer: Any


@pytest.fixture
def trade(app: Any, make_user: Any, login: Any) -> Trade:
    from backend.inventory.services import receive_purchase
    from store import catalog
    from store.distribution import price_lists

    main = catalog.create_warehouse("MAIN", "主仓")
    north = catalog.create_warehouse("NORTH", "北仓")
    wine = catalog.create_product("智利葡萄酒")
    red = catalog.create_sku(wine.id, name="干红 750ml", price_fen=10000, distributor_price_fen=8000)
    white = catalog.create_sku(wine.id, name="干白 750ml", price_fen=6000)
    receive_purchase(red.id, main.id, 120, 5000, reference="PO-RED")
    receive_purchase(red.id, north.id, 24, 5000, reference="PO-RED-N")
    receive_purchase(white.id, main.id, 60, 3000, reference="PO-WHITE")
    grade_a = price_lists.create_grade("一级经销商")
    grade_b = price_lists.create_grade("二级经销商")
    return Trade(
        main, north, red, white, grade_a, grade_b, login(make_user("owner")), login(make_user("staff"))
    )


@pytest.fixture
def distributor(make_user: Any, login: Any) -> Any:
    """distributor(name, grade=None, credit_limit_fen=...) -> a distributor with a login."""
    from store import catalog
    from store.distribution import price_lists

    def make(
        name: str = "华东酒行", grade: Any = None, credit_limit_fen: int = 10**8, terms: int = 30
    ) -> Distributor:
        user = make_user("distributor")
        customer = catalog.create_customer(
            "distributor", name, user_id=user.id, credit_limit_fen=credit_limit_fen, payment_terms_days=terms
        )
        if grade is not None:
            price_lists.set_grade(customer.id, grade.id)
        return Distributor(login(user), user.id, customer)

    return make


def snapshot() -> dict[str, Any]:
    from store.distribution.models import (
        CustomerGradeMember,
        Favourite,
        PriceList,
        PriceListItem,
        SkuTradeTerms,
    )
    from store.shop_models import CartItem
    from tests.payments.conftest import snapshot as ledgers

    counts = ledgers()
    counts["lists"] = sorted(
        (p.id, p.name, p.priority, p.valid_from, p.valid_to, p.active) for p in PriceList.select()
    )
    counts["breaks"] = sorted(
        (i.price_list_id, i.sku_id, i.min_quantity, i.price_fen) for i in PriceListItem.select()
    )
    counts["grades"] = sorted((m.customer_id, m.grade_id) for m in CustomerGradeMember.select())
    counts["terms"] = sorted((t.sku_id, t.case_size, t.min_order_quantity) for t in SkuTradeTerms.select())
    counts["favourites"] = sorted((f.customer_id, f.sku_id) for f in Favourite.select())
    counts["cart"] = sorted((c.customer_id, c.sku_id, c.quantity) for c in CartItem.select())
    return counts


@pytest.fixture
def unchanged() -> Any:
    """with unchanged(): <something that must be refused> -- lists, carts and ledgers as before."""
    return unchanged_by(snapshot)


def post(client: Any, path: str, body: Any, headers: dict[str, str], key: str) -> Any:
    return client.post(path, json=body, headers={**headers, "Idempotency-Key": key})


def make_campaign(client: Any, trade: Trade, quota: int = 24) -> dict[str, Any]:
    """The owner's spring campaign: grade A buys the red at ¥60.00 from 6 bottles, `quota` in all."""
    made = post(
        client,
        "/api/campaigns",
        {
            "name": "春季智利干红 Spring red",
            "policy": "每单限量，先到先得。Limited, first come first served.",
            "grade_ids": [trade.grade_a.id],
            "items": [{"sku_id": trade.red.id, "min_quantity": 6, "price_fen": 6000}],
            "quotas": [{"sku_id": trade.red.id, "quota": quota}],
        },
        trade.owner,
        "camp-1",
    )
    assert made.status_code == 201, made.json
    return dict(made.json)
