"""应收调整 on a phone: staff pick a customer and an open invoice, apply a discount below the owner's
threshold at once, and send one above it for approval, which the owner's inbox shows by name."""

from __future__ import annotations

from typing import Any

from playwright.sync_api import expect

from backend.receivables import adjustments
from backend.receivables.models import Adjustment, Invoice
from store import catalog


def test_staff_adjusts_an_invoice(page: Any, make_user: Any, console_login: Any, screenshot: Any) -> None:
    from backend.inventory.services import receive_purchase
    from store import services as sales

    staff, owner = make_user("staff"), make_user("owner")
    warehouse = catalog.create_warehouse("MAIN", "总仓")
    sku = catalog.create_sku(catalog.create_product("干红").id, name="750ml", price_fen=1130)
    receive_purchase(sku.id, warehouse.id, 10, 700)
    customer = catalog.create_customer(
        "distributor", "城北酒行", phone="13900000011", credit_limit_fen=50_000, payment_terms_days=30
    )
    order = sales.sell_on_account(customer.id, [(sku.id, 3)], channel="distributor")  # 3390
    invoice = Invoice.get(Invoice.order == order.id)
    adjustments.set_threshold(500, actor_id=owner.id)

    console_login(staff, next_path="/m/staff/adjust")
    page.locator(".yc-customer-option", has_text="城北酒行").click()
    page.locator(".yc-invoice").first.click()
    expect(page.locator(".yc-open")).to_contain_text("¥33.90")
    page.get_by_text("抹零 Rounding").click()
    page.locator(".yc-amount input").fill("0.90")
    page.locator(".yc-reason textarea").fill("抹零")
    page.locator(".yc-submit").click()
    expect(page.get_by_text("已调整 Adjusted")).to_be_visible()
    expect(page.locator(".yc-adjustment")).to_contain_text("抹零 Rounding")
    expect(page.locator(".yc-open")).to_contain_text("¥33.00")

    page.get_by_text("折让 Discount").click()
    page.locator(".yc-amount input").fill("10.00")
    page.locator(".yc-reason textarea").fill("破损两瓶")
    page.locator(".yc-submit").click()
    expect(page.get_by_text("已提交审批 Sent for approval")).to_be_visible()
    page.get_by_role("button", name="确认").click()
    expect(page.locator(".yc-pending")).to_contain_text("待老板审批")
    screenshot("staff-adjust")
    assert [(a.kind, a.amount_fen) for a in Adjustment.select()] == [("rounding", -90)]
    assert Invoice.get_by_id(invoice.id).open_fen == 3300

    page.evaluate("localStorage.clear()")
    console_login(owner, next_path="/m/owner/dashboard")
    item = page.locator("[data-test=approvals] .approval").first
    expect(item).to_contain_text("应收调整 Receivable adjustment")
    expect(item).to_contain_text("折让 Discount: 破损两瓶")
    item.get_by_role("button", name="批准 Approve").click()
    expect(page.get_by_text("没有待审批 Nothing to approve")).to_be_visible()
    assert Invoice.get_by_id(invoice.id).open_fen == 2300
