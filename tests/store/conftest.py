"""Fixtures for the mini-program shop: the app served over real HTTP (the WeChat sandbox posts
notifications to it), a small drinks shop with categories, levels and stock at a known cost, WeChat
shoppers, staff, and a snapshot of every ledger and shop table to prove nothing changed."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import pytest

from tests.helpers import unchanged_by
from tests.payments.conftest import live, live_server, settings, wechat_buyer  # noqa: F401


@dataclass
class Shop:
    warehouse: Any
    category: Any
    wine: Any  # product 干红葡萄酒 on sale, in category 酒水
    sku: Any  # 750ml: 1130 fen incl. 13% VAT, gold level 1000, 10 on hand at 700 fen
    sku2: Any  # 1.5L: 565 fen incl. 13% VAT, 5 on hand at 300 fen
    gold: Any  # member level 金卡, 2 points per yuan
    staff: dict[str, str]
    owner: dict[str, str]


@pytest.fixture
def shop(app: Any, make_user: Any, login: Any) -> Shop:
    from backend.inventory.services import receive_purchase
    from store import catalog, categories, members
    from store.shop_models import SkuLevelPrice

    warehouse = catalog.create_warehouse("MAIN", "门店仓")
    category = categories.create_category("酒水")
    wine = catalog.create_product("干红葡萄酒")
    categories.update_product(wine.id, category_id=category.id, image_urls=["https://img.example/wine.jpg"])
    sku = catalog.create_sku(wine.id, name="750ml", price_fen=1130, barcode="6900000000011")
    sku2 = catalog.create_sku(wine.id, name="1.5L", price_fen=565, barcode="6900000000028")
    receive_purchase(sku.id, warehouse.id, 10, 700, reference="PO-1")
    receive_purchase(sku2.id, warehouse.id, 5, 300, reference="PO-2")
    gold = members.create_level("金卡", 2, points_per_yuan=2)
    members.create_level("普通会员", 1, points_per_yuan=1)
    SkuLevelPrice.create(sku=sku.id, level=gold.id, price_fen=1000)
    return Shop(
        warehouse, category, wine, sku, sku2, gold, login(make_user("staff")), login(make_user("owner"))
    )


def snapshot() -> dict[str, Any]:
    """Row counts of every ledger, payments and shop table, plus levels, balances and states."""
    from backend.kernel.models import OrderLine
    from store.shop_models import (
        Address,
        AfterSaleRequest,
        CartItem,
        Checkout,
        CustomerCoupon,
        MemberAccount,
        PointsEntry,
        Shipment,
        StoredValueEntry,
    )
    from tests.payments.conftest import snapshot as payments_snapshot

    counts = payments_snapshot()
    for model in (OrderLine, Address, AfterSaleRequest, Checkout, Shipment, PointsEntry, StoredValueEntry):
        counts[model.__name__] = model.select().count()
    counts["cart"] = sorted((c.customer_id, c.sku_id, c.quantity) for c in CartItem.select())
    counts["accounts"] = sorted(
        (a.customer_id, a.level_id, a.points, a.stored_value_fen) for a in MemberAccount.select()
    )
    counts["coupons"] = sorted((c.id, c.status, c.order_id) for c in CustomerCoupon.select())
    counts["addresses"] = sorted((a.id, a.customer_id, a.is_default, a.deleted) for a in Address.select())
    return counts


@pytest.fixture
def unchanged() -> Any:
    """with unchanged(): <something that must fail> -- every ledger and shop table exactly as before."""
    return unchanged_by(snapshot)


@pytest.fixture
def shopper(client: Any, wechat_buyer: Any, shop: Shop) -> Any:  # noqa: F811
    """shopper(name) -> a WeChat customer with a default address."""

    def make(name: str = "王小姐") -> Any:
        buyer = wechat_buyer(name)
        response = client.post(
            "/api/addresses",
            json={
                "name": name,
                "phone": "13800000001",
                "region": "浙江省杭州市西湖区",
                "detail": "文三路 1 号",
            },
            headers={**buyer.headers, "Idempotency-Key": f"addr-{buyer.user_id}"},
        )
        assert response.status_code == 201, response.json
        buyer.address_id = response.json["id"]
        return buyer

    return make


def add_to_cart(client: Any, buyer: Any, sku_id: int, quantity: int) -> Any:
    response = client.post(
        "/api/cart/items",
        json={"sku_id": sku_id, "quantity": quantity},
        headers={**buyer.headers, "Idempotency-Key": f"cart-{buyer.user_id}-{sku_id}-{quantity}"},
    )
    return response


def checks_clean() -> list[str]:
    from backend import checks

    return [f"{r.name}: {p}" for r in checks.run_all() for p in r.problems]


def top_up(client: Any, sandbox: Any, buyer: Any, amount_fen: int, key: str = "top-up") -> None:
    """Top up through WeChat Pay in the sandbox: request, pay, notification."""
    started = client.post(
        "/api/me/stored-value/top-ups",
        json={"amount_fen": amount_fen},
        headers={**buyer.headers, "Idempotency-Key": key},
    )
    assert started.status_code == 201, started.json
    sandbox.approve(started.json["request_payment"]["package"].removeprefix("prepay_id="), buyer.openid)
    assert [a.status_code for a in sandbox.deliver_due()] == [204]


def checkout(client: Any, buyer: Any, key: str, **fields: Any) -> Any:
    """Check out the buyer's cart to their address; asserts it was created."""
    response = client.post(
        "/api/checkout",
        json={"address_id": buyer.address_id, **fields},
        headers={**buyer.headers, "Idempotency-Key": key},
    )
    assert response.status_code == 201, response.json
    return response.json
