"""Distributor after-sales on a phone: a distributor claims a price difference on an order sold on
account; staff approve it on their page and the open invoice goes down by the claim."""

from __future__ import annotations

from typing import Any

from playwright.sync_api import expect


def test_a_price_difference_claimed_and_approved(
    page: Any, make_user: Any, console_login: Any, screenshot: Any
) -> None:
    from backend.inventory.services import receive_purchase
    from backend.receivables.models import Invoice
    from store import catalog
    from store import services as sales
    from store.shop_models import AfterSaleRequest

    warehouse = catalog.create_warehouse("MAIN", "主仓")
    red = catalog.create_sku(
        catalog.create_product("智利干红").id, name="750ml", price_fen=10000, distributor_price_fen=8000
    )
    receive_purchase(red.id, warehouse.id, 120, 5000, reference="PO-1")
    user = make_user("distributor", display_name="华东酒行")
    me = catalog.create_customer(
        "distributor", "华东酒行", user_id=user.id, credit_limit_fen=10**7, payment_terms_days=30
    )
    order = sales.sell_on_account(me.id, [(red.id, 12)], channel="distributor", placed_by=user.id)
    assert order.total_fen == 96000

    console_login(user, next_path="/m/dist/orders")
    page.get_by_role("button", name="售后 After-sales").click()
    ask = page.locator(".yc-ask")
    expect(ask).to_contain_text(f"订单 Order #{order.id}")
    expect(ask).to_contain_text("750ml")  # each line by its SKU's name
    ask.get_by_text("价差补偿 Price difference").click()
    ask.locator(".yc-quantity input").fill("12")
    ask.locator(".yc-unit input").fill("5.00")
    ask.locator(".yc-reason input").fill("厂家降价")
    ask.get_by_role("button", name="提交申请 Send").click()
    expect(page.locator(".yc-request")).to_contain_text("¥60.00 待处理 Waiting")
    screenshot("dist-aftersales")
    req = AfterSaleRequest.get()
    assert (req.kind, req.amount_fen, req.status) == ("price_difference", 6000, "requested")

    page.evaluate("localStorage.clear()")
    console_login(make_user("staff"), next_path="/m/staff/dist-aftersales")
    card = page.locator(".yc-request")
    expect(card).to_contain_text("价差补偿 Price difference")
    expect(card).to_contain_text("¥60.00")
    card.get_by_role("button", name="同意 Approve").click()
    expect(page.get_by_text("没有申请 Nothing here")).to_be_visible()
    req = AfterSaleRequest.get_by_id(req.id)
    assert (req.status, req.credited_fen, req.unapplied_fen) == ("approved", 6000, 0)
    invoice = Invoice.get(Invoice.order == order.id)
    assert (invoice.amount_fen, invoice.open_fen) == (96000, 90000)
    page.get_by_text("已处理 Decided").click()
    expect(page.locator(".yc-request")).to_contain_text("¥60.00 / ¥0.00")
    screenshot("staff-dist-aftersales")
