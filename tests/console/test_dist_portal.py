"""The distributor portal in a real browser: a distributor reorders a past order at their own price,
places it on account, and pays an open invoice by scanning the WeChat QR (the sandbox pays it)."""

from __future__ import annotations

import re
from typing import Any

from playwright.sync_api import expect


def test_a_distributor_reorders_and_pays_an_invoice(
    page: Any, make_user: Any, console_login: Any, screenshot: Any, wechat_sandbox: Any
) -> None:
    from backend.inventory.services import receive_purchase
    from backend.kernel.models import Order
    from backend.receivables.models import Invoice
    from payments.models import PaymentRecord
    from store import catalog
    from store import services as sales
    from store.distribution import ordering
    from store.distribution import price_lists as pl

    warehouse = catalog.create_warehouse("MAIN", "主仓")
    wine = catalog.create_product("智利干红")
    red = catalog.create_sku(wine.id, name="750ml", price_fen=10000, distributor_price_fen=8000)
    receive_purchase(red.id, warehouse.id, 120, 5000, reference="PO-1")
    ordering.set_trade_terms(red.id, 6, 6)
    grade = pl.create_grade("一级经销商")
    pl.create_price_list(
        "一级价",
        "grade",
        grade_id=grade.id,
        items=[
            {"sku_id": red.id, "price_fen": 7500},
            {"sku_id": red.id, "min_quantity": 12, "price_fen": 7200},
        ],
    )
    user = make_user("distributor", display_name="华东酒行")
    me = catalog.create_customer(
        "distributor", "华东酒行", user_id=user.id, credit_limit_fen=10**7, payment_terms_days=30
    )
    pl.set_grade(me.id, grade.id)
    past = sales.sell_on_account(me.id, [(red.id, 12)], channel="distributor", placed_by=user.id)
    assert past.total_fen == 86400

    console_login(user, next_path="/m/dist/catalog")
    card = page.locator(".van-card").first
    expect(card).to_contain_text("75.00")  # the grade's price for the minimum order (one case of 6)
    expect(card).to_contain_text("主仓 108")  # 120 on hand, 12 reserved by the past order
    screenshot("dist-catalog", docs=True)

    page.goto("/m/dist/orders")
    expect(page.get_by_text(f"订单 Order #{past.id}")).to_be_visible()
    page.get_by_role("button", name="再来一单 Reorder").click()
    page.wait_for_url(re.compile(r"/m/dist/cart$"))
    expect(page.locator(".van-submit-bar")).to_contain_text("864.00")
    screenshot("dist-cart", docs=True)
    page.get_by_role("button", name="提交订单 Place order").click()
    page.wait_for_url(re.compile(r"/m/dist/orders\?placed=\d+$"))
    again = Order.select().where(Order.customer == me.id).order_by(Order.id.desc()).first()
    assert (again.id != past.id, again.status, again.total_fen) == (True, "on_account", 86400)

    page.goto("/m/dist/account")
    expect(page.get_by_text("¥1,728.00")).to_be_visible()  # two orders of 864 yuan owed
    first_invoice = Invoice.get(Invoice.order == past.id)
    page.get_by_role("button", name="微信支付 Pay with WeChat").first.click()
    expect(page.locator("#qr-state")).to_have_text("等待付款 Waiting for payment")
    record = PaymentRecord.get(PaymentRecord.invoice == first_invoice.id)
    assert (record.method, record.amount_fen) == ("wechat_native", 86400)
    screenshot("dist-pay-invoice", docs=True)

    wechat_sandbox.scan_and_pay(record.code_url, wechat_sandbox.login_code().openid)
    wechat_sandbox.deliver_due()
    expect(page.locator("#qr-state")).to_have_text("已支付 Paid")
    assert Invoice.get_by_id(first_invoice.id).open_fen == 0
    assert catalog.customer_of_user(user.id).balance_fen == 86400


def test_over_the_limit_the_distributor_asks_the_owner(
    page: Any, make_user: Any, console_login: Any, screenshot: Any
) -> None:
    from backend.approvals.models import ApprovalRequest
    from backend.inventory.services import receive_purchase
    from backend.kernel.models import Order
    from store import catalog
    from store.distribution import ordering

    warehouse = catalog.create_warehouse("MAIN", "主仓")
    wine = catalog.create_product("智利干红")
    red = catalog.create_sku(wine.id, name="750ml", price_fen=10000, distributor_price_fen=8000)
    receive_purchase(red.id, warehouse.id, 120, 5000, reference="PO-1")
    user = make_user("distributor", display_name="小酒行")
    me = catalog.create_customer(
        "distributor", "小酒行", user_id=user.id, credit_limit_fen=10000, payment_terms_days=30
    )
    ordering.add_to_cart(me.id, red.id, 6)

    console_login(user, next_path="/m/dist/cart")
    expect(page.locator(".van-submit-bar")).to_contain_text("480.00")
    page.get_by_role("button", name="提交订单 Place order").click()
    expect(page.locator(".yc-over-credit")).to_contain_text("超出客户信用额度")
    assert Order.select().count() == 0
    page.get_by_role("button", name="提交老板审批 Ask the owner").click()
    page.wait_for_url(re.compile(r"/m/dist/orders\?placed=\d+$"))
    expect(page.get_by_text("待审批 Awaiting approval")).to_be_visible()
    order = Order.get(Order.customer == me.id)
    assert (order.status, order.total_fen) == ("awaiting_approval", 48000)
    request = ApprovalRequest.get(ApprovalRequest.subject_id == str(order.id))
    assert (request.kind, request.status, request.amount_fen) == ("held_order_over_credit", "pending", 48000)
    screenshot("dist-ask-owner")


def test_reorder_under_changed_terms_shows_what_was_adjusted(
    page: Any, make_user: Any, console_login: Any, screenshot: Any
) -> None:
    from backend.inventory.services import receive_purchase
    from store import catalog
    from store import services as sales
    from store.distribution import ordering

    warehouse = catalog.create_warehouse("MAIN", "主仓")
    wine = catalog.create_product("智利干红")
    red = catalog.create_sku(wine.id, name="750ml", price_fen=10000, distributor_price_fen=8000)
    receive_purchase(red.id, warehouse.id, 120, 5000, reference="PO-1")
    user = make_user("distributor", display_name="华东酒行")
    me = catalog.create_customer(
        "distributor", "华东酒行", user_id=user.id, credit_limit_fen=10**7, payment_terms_days=30
    )
    past = sales.sell_on_account(me.id, [(red.id, 10)], channel="distributor", placed_by=user.id)
    ordering.set_trade_terms(red.id, 12, 24)

    console_login(user, next_path="/m/dist/orders")
    expect(page.get_by_text(f"订单 Order #{past.id}")).to_be_visible()
    page.get_by_role("button", name="再来一单 Reorder").click()
    page.wait_for_url(re.compile(r"/m/dist/cart$"))
    expect(page.locator(".yc-adjusted")).to_contain_text("智利干红 750ml 10 → 24（整箱 12，起订 24）")
    expect(page.locator(".van-submit-bar")).to_contain_text("1920.00")
    screenshot("dist-reorder-adjusted")
