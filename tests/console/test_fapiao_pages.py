"""发票 on a phone: a distributor asks for a fapiao on an order with a company title; it is issued by the
sandbox provider; staff see it in their list with its number and PDF."""

from __future__ import annotations

from typing import Any

from playwright.sync_api import expect

from store import catalog
from store.fapiao.models import FapiaoRequest


def test_distributor_asks_and_staff_see_it(
    page: Any, make_user: Any, console_login: Any, screenshot: Any
) -> None:
    from backend.inventory.services import receive_purchase
    from store import services as sales

    dist_user, staff = make_user("distributor"), make_user("staff")
    warehouse = catalog.create_warehouse("MAIN", "总仓")
    sku = catalog.create_sku(catalog.create_product("干红").id, name="750ml", price_fen=1130)
    receive_purchase(sku.id, warehouse.id, 10, 700)
    customer = catalog.create_customer(
        "distributor", "城东批发部", user_id=dist_user.id, credit_limit_fen=50_000, payment_terms_days=30
    )
    order = sales.sell_on_account(customer.id, [(sku.id, 2)], channel="distributor")  # 2260

    console_login(dist_user, next_path="/m/dist/fapiao")
    page.locator(".yc-order", has_text=f"#{order.id}").click()
    page.locator(".yc-title input").fill("城东批发部有限公司")
    page.locator(".yc-tax input").fill("91350100M000100Y4")  # one character short
    page.locator(".yc-submit").click()
    expect(page.get_by_text("发票抬头信息无效")).to_be_visible()
    page.locator(".yc-tax input").fill("91350100M000100Y43")
    page.locator(".yc-submit").click()
    expect(page.get_by_text("已申请 Requested")).to_be_visible()
    mine = page.locator(".yc-my-fapiao")
    expect(mine).to_have_count(1)
    expect(mine).to_contain_text("已开具 Issued")
    screenshot("dist-fapiao")
    row = FapiaoRequest.get()
    assert (row.kind, row.amount_fen, row.tax_number, row.status) == (
        "blue",
        2260,
        "91350100M000100Y43",
        "issued",
    )

    page.evaluate("localStorage.clear()")
    console_login(staff, next_path="/m/staff/fapiao")
    item = page.locator(".yc-fapiao")
    expect(item).to_have_count(1)
    expect(item).to_contain_text("城东批发部有限公司")
    expect(item).to_contain_text(f"No. {row.number}")
    expect(item.locator(".yc-status")).to_contain_text("已开具 Issued")
    expect(item.locator(".yc-file")).to_be_visible()
    screenshot("staff-fapiao")
