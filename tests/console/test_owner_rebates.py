"""The owner's rebates page: last month's rebates worked out from the phone, each distributor's credit
shown with the tier it reached."""

from __future__ import annotations

import datetime as dt
from typing import Any

from playwright.sync_api import expect

from backend import clock
from backend.receivables.advances import balance_of
from store import catalog
from store import services as sales
from store.distribution import rebates


def test_the_owner_works_out_last_months_rebates(page: Any, make_user: Any, console_login: Any) -> None:
    from backend.inventory.services import receive_purchase

    owner = make_user("owner")
    warehouse = catalog.create_warehouse("MAIN", "总仓")
    sku = catalog.create_sku(catalog.create_product("干红").id, name="750ml", price_fen=11300)
    receive_purchase(sku.id, warehouse.id, 50, 7000)
    dealer = catalog.create_customer(
        "distributor", "城西酒行", credit_limit_fen=10_000_000, payment_terms_days=30
    )
    rebates.create_rule(
        "城西月返", "customer", [{"min_sales_fen": 100_000, "percent_bp": 200}], customer_id=dealer.id
    )
    month_ago = clock.today().replace(day=1) - dt.timedelta(days=10)
    clock.travel_to(clock.from_local(dt.datetime.combine(month_ago, dt.time(11))))
    sales.sell_on_account(dealer.id, [(sku.id, 10)], channel="distributor")  # 1,130.00 last month
    clock.reset()
    period = f"{month_ago:%Y-%m}"

    console_login(owner, next_path="/m/owner/rebates")
    expect(page.locator(".yc-rule")).to_contain_text("城西月返")
    page.locator(".yc-period input").fill(period)
    page.get_by_role("button", name="结算该月返利 Work out that month").click()
    expect(page.locator(".yc-run")).to_contain_text(f"{period} · 1 户 distributors")
    expect(page.locator(".yc-accrual")).to_contain_text("城西酒行")
    expect(page.locator(".yc-accrual")).to_contain_text("¥22.60")  # 2% of 1,130.00
    assert balance_of(dealer.id) == 2260
