"""Owner reports read the ledgers: exact figures for a day of sales, aging buckets, stock alerts."""

from __future__ import annotations

import datetime as dt

from backend import clock
from backend.inventory.services import receive_purchase
from store import catalog
from store.services import counter_cash_sale, fulfil_order, refund_order, sell_on_account
from tests.platform.test_errors import assert_error


def _shop():
    warehouse = catalog.create_warehouse("MAIN", "门店仓")
    product = catalog.create_product("茶叶")
    tea = catalog.create_sku(product.id, name="龙井 250g", price_fen=1130, barcode="6900000000011")
    black = catalog.create_sku(product.id, name="红茶 100g", price_fen=565, barcode="6900000000028")
    receive_purchase(tea.id, warehouse.id, 10, 700, reference="PO-1")
    receive_purchase(black.id, warehouse.id, 5, 300, reference="PO-2")
    dealer = catalog.create_customer(
        "distributor", "城东批发部", credit_limit_fen=100_000, payment_terms_days=30
    )
    return warehouse, tea, black, dealer


def test_the_owner_sees_the_days_sales_margin_aging_and_alerts(client, make_user, login):
    warehouse, tea, black, dealer = _shop()
    cash = counter_cash_sale(None, [(tea.id, 2)], reference="c1")  # 2260 incl. 260 VAT, COGS 2 x 700
    refund_order(cash.id, 1130, reference="r1")  # half back: revenue -1000, VAT -130
    credit = sell_on_account(dealer.id, [(black.id, 4)], channel="distributor")  # 2260 on 30 days
    fulfil_order(credit.id)  # COGS 4 x 300
    owner_user = make_user("owner")
    owner = login(owner_user)

    sales = client.get("/api/reports/sales", headers=owner).json
    assert sales == {
        "day": clock.today().isoformat(),
        "orders": 2,
        "revenue_fen": 2000 - 1000 + 2000,
        "output_vat_fen": 260 - 130 + 260,
        "cogs_fen": 1400 + 1200,
        "gross_margin_fen": 3000 - 2600,
    }

    aging = client.get("/api/reports/receivables-aging", headers=owner).json
    assert aging["total_open_fen"] == 2260 and aging["total_overdue_fen"] == 0
    clock.advance(45 * 86400)  # 15 days past due
    owner = login(owner_user)  # the old session expired meanwhile
    aging = client.get("/api/reports/receivables-aging", headers=owner).json
    assert aging == {
        "total_open_fen": 2260,
        "total_overdue_fen": 2260,
        "customers": [
            {
                "customer_id": dealer.id,
                "name": "城东批发部",
                "open_fen": 2260,
                "overdue_fen": 2260,
                "oldest_due_on": (clock.business_date(credit.created_at) + dt.timedelta(days=30)).isoformat(),
                "buckets": {"current": 0, "1_30": 2260, "31_60": 0, "61_90": 0, "over_90": 0},
            }
        ],
    }

    staff = login(make_user("staff"))
    alerts = client.get("/api/reports/stock-alerts?below=9", headers=staff).json
    assert alerts == [
        {
            "sku_id": black.id,
            "sku_name": "红茶 100g",
            "warehouse_id": warehouse.id,
            "on_hand": 1,
            "reserved": 0,
            "available": 1,
        },
        {
            "sku_id": tea.id,
            "sku_name": "龙井 250g",
            "warehouse_id": warehouse.id,
            "on_hand": 8,
            "reserved": 0,
            "available": 8,
        },
    ]
    assert_error(client.get("/api/reports/sales", headers=staff), 403, "forbidden")
    assert_error(client.get("/api/reports/stock-alerts?below=0", headers=staff), 422, "validation_failed")
