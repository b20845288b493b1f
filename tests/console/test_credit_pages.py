"""The credit pages on a phone: staff see whom to call today and record a promise to pay; the customer's
credit page."""

from __future__ import annotations

import datetime as dt
from typing import Any

from playwright.sync_api import expect

from backend import clock
from backend.kernel.models import Customer
from backend.receivables.credit import dunning
from backend.receivables.credit.models import PromiseToPay
from store import catalog


def test_staff_call_list_and_a_promise(
    page: Any, make_user: Any, console_login: Any, screenshot: Any
) -> None:
    from backend.inventory.services import receive_purchase
    from store import services as sales

    staff = make_user("staff")
    warehouse = catalog.create_warehouse("MAIN", "总仓")
    sku = catalog.create_sku(catalog.create_product("干红").id, name="750ml", price_fen=1130)
    receive_purchase(sku.id, warehouse.id, 10, 700)
    customer = catalog.create_customer(
        "distributor", "城西酒行", phone="13900000009", credit_limit_fen=50_000, payment_terms_days=30
    )
    today = clock.today()
    clock.travel_to(dt.datetime.combine(today - dt.timedelta(days=40), dt.time(4, 0)))
    sales.sell_on_account(customer.id, [(sku.id, 3)], channel="distributor")
    clock.reset()
    dunning.plan(today)  # 10 days past due on the default schedule: a reminder, no WeChat to send it to
    console_login(staff, next_path="/m/staff/collections")
    item = page.locator(".yc-worklist-item")
    expect(item).to_have_count(1)
    expect(item).to_contain_text("城西酒行")
    expect(item).to_contain_text("¥33.90")
    expect(item).to_contain_text("微信未送达")
    screenshot("staff-collections")
    item.get_by_role("button", name="记录 Note").click()
    page.get_by_text("承诺付款 Promise").last.click()
    page.locator(".yc-promise-amount input").fill("20.00")
    page.locator(".yc-promise-date input").fill((today + dt.timedelta(days=3)).isoformat())
    page.get_by_role("button", name="确认").click()
    expect(page.get_by_text("已记录 Saved")).to_be_visible()
    promise = PromiseToPay.get()
    assert (promise.amount_fen, promise.promised_on) == (2000, today + dt.timedelta(days=3))


def test_customer_credit_page(page: Any, make_user: Any, console_login: Any, screenshot: Any) -> None:
    owner = make_user("owner")
    customer = catalog.create_customer(
        "distributor", "城南超市", credit_limit_fen=80_000, payment_terms_days=30
    )
    console_login(owner, next_path=f"/m/staff/credit?customer={customer.id}")
    expect(page.get_by_text("¥800.00").first).to_be_visible()
    expect(page.locator(".yc-hold")).to_contain_text("正常 Open")
    page.locator(".yc-limit input").fill("1200.00")
    page.locator(".yc-save").click()
    expect(page.get_by_text("已生效 Applied")).to_be_visible()
    screenshot("customer-credit")
    assert Customer.get_by_id(customer.id).credit_limit_fen == 120_000


def test_the_owner_sets_the_warning_rules(page: Any, make_user: Any, console_login: Any) -> None:
    from backend.receivables.credit import warning_rules

    console_login(make_user("owner"), next_path="/m/owner/credit")
    rules = page.locator(".yc-warning-rules")
    expect(rules.get_by_label("逾期天数 Days overdue")).to_have_value("60")
    expect(rules.get_by_label("逾期金额 Overdue ¥")).to_have_value("10000.00")
    rules.get_by_label("逾期天数 Days overdue").fill("45")
    rules.get_by_label("逾期金额 Overdue ¥").fill("5000")
    page.get_by_role("button", name="保存规则 Save rules").click()
    expect(page.locator(".van-toast")).to_contain_text("已保存 Saved")
    assert warning_rules.thresholds() == warning_rules.Thresholds(days_overdue=45, overdue_fen=500_000)


def test_the_owner_pays_credit_back_from_the_customer_page(
    page: Any, make_user: Any, console_login: Any
) -> None:
    from backend.receivables import advances
    from backend.receivables.models import Payment
    from store import on_account

    customer = catalog.create_customer(
        "distributor", "城北酒行", credit_limit_fen=80_000, payment_terms_days=30
    )
    on_account.collect(customer.id, 5000, "bank_transfer", "prepay-north", invoice_ids=[])
    console_login(make_user("owner"), next_path=f"/m/staff/credit?customer={customer.id}")
    expect(page.locator(".yc-advance")).to_have_text("¥50.00")
    page.locator(".yc-payback-amount input").fill("20.00")
    page.locator(".yc-payback-reference input").fill("BK-7788")
    page.locator(".yc-payback").click()
    expect(page.locator(".van-toast")).to_contain_text("已退 Paid back ¥20.00")
    expect(page.locator(".yc-advance")).to_have_text("¥30.00")
    assert advances.balance_of(customer.id) == 3000
    out = Payment.get(Payment.reference == "BK-7788")
    assert (out.direction, out.method, out.amount_fen) == ("out", "bank_transfer", 2000)
