"""Statements on a phone: the distributor disputes a line of their statement, staff reject the dispute
with a note (a new version is sent), and the customer confirms it from the signed link without
logging in."""

from __future__ import annotations

import datetime as dt
from typing import Any

from playwright.sync_api import expect

from backend import clock
from backend.receivables import statements
from backend.receivables.statement_models import Statement
from store import catalog


def test_dispute_on_the_portal_resolve_as_staff_confirm_by_link(
    page: Any, make_user: Any, console_login: Any, screenshot: Any
) -> None:
    from backend.inventory.services import receive_purchase
    from store import services as sales

    staff, dist_user = make_user("staff"), make_user("distributor")
    warehouse = catalog.create_warehouse("MAIN", "总仓")
    sku = catalog.create_sku(catalog.create_product("干红").id, name="750ml", price_fen=1130)
    receive_purchase(sku.id, warehouse.id, 20, 700)
    customer = catalog.create_customer(
        "distributor", "城北酒行", user_id=dist_user.id, credit_limit_fen=100_000, payment_terms_days=30
    )
    today = clock.today()
    for back, quantity in ((20, 3), (10, 2)):
        clock.travel_to(dt.datetime.combine(today - dt.timedelta(days=back), dt.time(4, 0)))
        sales.sell_on_account(customer.id, [(sku.id, quantity)], channel="distributor")
    clock.reset()
    made = statements.generate(customer.id, today - dt.timedelta(days=25), today - dt.timedelta(days=1))
    statements.send(made.id)

    console_login(dist_user, next_path="/m/dist/statements")
    row = page.locator(".yc-statement")
    expect(row).to_have_count(1)
    expect(row).to_contain_text("¥56.50")
    row.click()
    expect(page.locator(".yc-line")).to_have_count(2)
    page.locator(".yc-pick").nth(1).click()
    page.locator(".yc-dispute-note textarea").fill("只收到1瓶")
    screenshot("dist-statement-dispute")
    page.locator(".yc-dispute").click()
    expect(page.locator(".yc-status")).to_contain_text("有异议")
    assert Statement.get_by_id(made.id).status == "disputed"

    console_login(staff, next_path=f"/m/staff/statements?id={made.id}")
    dispute = page.locator(".yc-dispute")
    expect(dispute).to_contain_text("只收到1瓶")
    page.locator(".yc-resolve-note input").fill("签收单显示2瓶")
    screenshot("staff-statement-dispute")
    page.locator(".yc-reject").click()
    expect(page.locator(".yc-status")).to_contain_text("第2版")
    newer = Statement.get(Statement.supersedes == made.id)
    assert (newer.status, newer.closing_fen) == ("sent", 5650)
    with page.expect_download() as saved:
        page.get_by_role("button", name="Excel").click()
    assert saved.value.suggested_filename == f"statement-{newer.id}.xlsx"

    page.goto(f"/m/s/{statements.link_token(newer.id)}")  # no login in between: the link is the key
    expect(page.locator(".yc-closing")).to_contain_text("¥56.50")
    page.locator(".yc-confirm").click()
    expect(page.locator(".yc-status")).to_contain_text("已确认")
    screenshot("statement-link-confirmed")
    assert Statement.get_by_id(newer.id).status == "confirmed"

    page.goto("/m/s/1.1.forged")
    expect(page.locator(".yc-link-error")).to_contain_text("对账链接无效")
