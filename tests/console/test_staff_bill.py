"""Staff bill at the counter on a phone: a scanned (typed) barcode, a customer, cash, the receipt."""

from __future__ import annotations

import re
from typing import Any

import pytest
from playwright.sync_api import expect


@pytest.fixture
def settings(settings: Any, wechat_sandbox: Any) -> Any:
    return settings.with_overrides(printer_url=wechat_sandbox.printer_url, shop_name="青柠便利店")


@pytest.fixture
def counter(app: Any, make_user: Any, wechat_sandbox: Any) -> Any:
    from backend.inventory.services import receive_purchase
    from payments.sandbox.printer import log_of
    from store import catalog

    log_of(wechat_sandbox.app).jobs.clear()
    warehouse = catalog.create_warehouse("MAIN", "门店仓")
    product = catalog.create_product("龙井茶")
    tea = catalog.create_sku(
        product.id, name="250g", price_fen=1130, distributor_price_fen=900, barcode="6900000000011"
    )
    receive_purchase(tea.id, warehouse.id, 10, 700, reference="PO-1")
    dealer = catalog.create_customer(
        "distributor", "城南批发", phone="13900000009", credit_limit_fen=100_000, payment_terms_days=30
    )
    return {"tea": tea, "dealer": dealer, "staff": make_user("staff", display_name="小王")}


def _bill_one_tea(page: Any, customer: str | None = None) -> None:
    page.goto("/m/staff/bill")
    if customer:
        page.locator(".yc-customer").click()
        page.get_by_placeholder("姓名或手机号 Name or phone").fill(customer)
        page.locator(".yc-customer-option", has_text=customer).click()
    search = page.get_by_placeholder("商品名称或条码 Name or barcode")
    search.fill("6900000000011")  # what the scanner (or the keyboard) types
    search.press("Enter")
    expect(page.locator(".yc-lines")).to_contain_text("龙井茶 250g")


def test_staff_bill_a_scanned_product_to_a_customer_and_take_cash(
    page: Any, counter: Any, console_login: Any, screenshot: Any, wechat_sandbox: Any
) -> None:
    from backend.kernel.models import Order
    from payments.models import PaymentRecord

    console_login(counter["staff"])
    _bill_one_tea(page, "城南")
    expect(page.locator(".yc-standing")).to_contain_text("可用额度 Headroom ¥1,000.00")
    expect(page.locator(".yc-standing")).to_contain_text("无逾期 Nothing overdue")
    page.locator(".yc-lines .van-stepper__plus").click()  # two of them, at the distributor's price
    expect(page.locator(".van-submit-bar__price")).to_contain_text("18.00")
    screenshot("staff-bill", docs=True)

    page.get_by_role("button", name="收款 Take payment").click()
    page.get_by_text("现金 Cash", exact=True).click()
    page.locator(".yc-tendered input").fill("20")
    expect(page.locator(".yc-change")).to_contain_text("¥2.00")
    page.locator(".yc-confirm-cash").click()
    expect(page.locator(".yc-done")).to_contain_text("现金 Cash ¥18.00")
    expect(page.locator(".yc-print-status")).to_contain_text("小票已送打印机")

    (order,) = Order.select()
    assert (order.customer_id, order.total_fen, order.paid_fen, order.status) == (
        counter["dealer"].id,
        1800,
        1800,
        "shipped",
    )
    assert [(p.method, p.amount_fen, p.status) for p in PaymentRecord.select()] == [
        ("cash", 1800, "succeeded")
    ]
    (printed,) = wechat_sandbox.printed()
    assert "收银 Staff 小王" in printed and "客户 Customer 城南批发" in printed
    assert re.search(r"2件 × ￥9\.00 +￥18\.00", printed)
    assert re.search(r"现金 Cash +￥18\.00", printed)


@pytest.mark.parametrize("db_kind", ["sqlite", "pg"], indirect=True)
def test_a_double_tap_on_take_payment_takes_the_money_once(
    page: Any, counter: Any, console_login: Any
) -> None:
    from backend.kernel.models import Order
    from payments.models import PaymentRecord

    console_login(counter["staff"])
    _bill_one_tea(page)
    page.get_by_role("button", name="收款 Take payment").click()
    page.get_by_text("现金 Cash", exact=True).click()
    keys: list[str] = []
    page.on(
        "request",
        lambda r: (
            keys.append(r.headers.get("idempotency-key", ""))
            if r.url.endswith("/api/counter-sales")
            else None
        ),
    )
    # Two taps in the same instant, before the button can show it is busy: both requests go out.
    page.locator(".yc-confirm-cash").evaluate("button => { button.click(); button.click(); }")
    expect(page.locator(".yc-done")).to_contain_text("¥11.30")
    page.wait_for_timeout(300)
    assert len(keys) == 2 and keys[0] == keys[1] and len(keys[0]) >= 32
    assert Order.select().count() == 1
    assert [(p.method, p.amount_fen) for p in PaymentRecord.select()] == [("cash", 1130)]


def test_the_receipt_goes_to_the_customers_wechat(
    page: Any, counter: Any, console_login: Any, wechat_sandbox: Any, make_user: Any
) -> None:
    import uuid

    from backend.auth.models import WechatIdentity
    from backend.kernel.models import Customer

    dealer_user = make_user("distributor")
    Customer.update(user=dealer_user.id).where(Customer.id == counter["dealer"].id).execute()
    openid = f"o-bill-{uuid.uuid4().hex[:8]}"
    WechatIdentity.create(openid=openid, user=dealer_user)
    wechat_sandbox.subscribe(openid, "TPL_RECEIPT")
    console_login(counter["staff"])
    _bill_one_tea(page, "城南")
    page.get_by_role("button", name="收款 Take payment").click()
    page.get_by_text("现金 Cash", exact=True).click()
    page.locator(".yc-tendered input").fill("10")
    page.locator(".yc-confirm-cash").click()
    expect(page.locator(".yc-done")).to_contain_text("现金 Cash ¥9.00")
    page.locator(".yc-wechat-receipt").click()
    expect(page.locator(".yc-wechat-status")).to_contain_text("已发送到客户微信")
    # The message goes out after commit, from the server's own job runner: wait for it (up to 10 s).
    for _ in range(100):
        sent = [m for m in wechat_sandbox.state.sent_messages if m.touser == openid]
        if sent:
            break
        page.wait_for_timeout(100)
    assert [(m.template_id, m.data["amount2"]["value"]) for m in sent] == [("TPL_RECEIPT", "9.00元")]
