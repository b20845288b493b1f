"""Counter fixtures: the app served over HTTP with the sandbox's receipt printer configured, a shop
with two SKUs at a known price and stock, a distributor on credit, and a staff login."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import pytest

from tests.payments.conftest import live, live_server  # noqa: F401
from tests.payments.conftest import settings as served_settings  # noqa: F401


@pytest.fixture
def settings(served_settings: Any, wechat_sandbox: Any) -> Any:  # noqa: F811
    return served_settings.with_overrides(printer_url=wechat_sandbox.printer_url, shop_name="青柠便利店")


@pytest.fixture(autouse=True)
def _printer_emptied(wechat_sandbox: Any) -> Any:
    from payments.sandbox.printer import log_of

    log_of(wechat_sandbox.app).jobs.clear()
    yield


@dataclass
class Counter:
    warehouse: Any
    tea: Any  # 龙井 250g: 1130 fen (distributors 900), barcode 6900000000011, 10 on hand
    black: Any  # 红茶 100g: 565 fen, barcode 6900000000028, 5 on hand
    dealer: Any  # distributor 城南批发, credit limit 100000 fen, 30 days
    staff_user: Any
    staff: dict[str, str]


@pytest.fixture
def shop(app: Any, make_user: Any, login: Any) -> Counter:
    from backend.inventory.services import receive_purchase
    from store import catalog

    warehouse = catalog.create_warehouse("MAIN", "门店仓")
    product = catalog.create_product("茶叶")
    tea = catalog.create_sku(
        product.id, name="龙井 250g", price_fen=1130, distributor_price_fen=900, barcode="6900000000011"
    )
    black = catalog.create_sku(product.id, name="红茶 100g", price_fen=565, barcode="6900000000028")
    receive_purchase(tea.id, warehouse.id, 10, 700, reference="PO-1")
    receive_purchase(black.id, warehouse.id, 5, 300, reference="PO-2")
    dealer = catalog.create_customer(
        "distributor", "城南批发", phone="13900000009", credit_limit_fen=100_000, payment_terms_days=30
    )
    staff_user = make_user("staff", display_name="小王")
    return Counter(warehouse, tea, black, dealer, staff_user, login(staff_user))
