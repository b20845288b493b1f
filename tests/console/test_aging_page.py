"""The aging page on a phone: bucket totals as of a chosen past day, a customer's invoices, and the
Excel download with the same figures."""

from __future__ import annotations

import datetime as dt
import io
from decimal import Decimal
from typing import Any

import openpyxl
from playwright.sync_api import expect

from backend import clock
from backend.inventory.services import receive_purchase
from store import catalog, on_account
from store import services as sales


def test_staff_reads_aging_as_of_a_past_day(
    page: Any, make_user: Any, console_login: Any, screenshot: Any
) -> None:
    staff = make_user("staff")
    warehouse = catalog.create_warehouse("MAIN", "总仓")
    sku = catalog.create_sku(catalog.create_product("干红").id, name="750ml", price_fen=1130)
    receive_purchase(sku.id, warehouse.id, 100, 700)
    dealer = catalog.create_customer("distributor", "城西酒行", credit_limit_fen=10**7, payment_terms_days=30)
    today = clock.today()
    sold_on = today - dt.timedelta(days=60)  # due 30 days ago
    clock.travel_to(clock.from_local(dt.datetime.combine(sold_on, dt.time(10))))
    order = sales.sell_on_account(dealer.id, [(sku.id, 10)], channel="distributor")  # 11,300 fen
    sales.sell_on_account(dealer.id, [(sku.id, 2)], channel="distributor")  # 2,260 fen
    clock.travel_to(clock.from_local(dt.datetime.combine(today - dt.timedelta(days=10), dt.time(10))))
    on_account.collect(dealer.id, 13_560, "cash", "paid-all")  # all paid 10 days ago
    clock.reset()
    as_of = today - dt.timedelta(days=15)  # 15 days late then

    console_login(staff, next_path="/m/staff/aging")
    expect(page.locator(".yc-total-open")).to_contain_text("¥0.00")  # today: nothing open
    page.locator(".yc-as-of input").fill(as_of.isoformat())
    page.locator(".yc-show").click()
    expect(page.locator(".yc-total-open")).to_contain_text("¥135.60")
    expect(page.locator(".yc-bucket-1_30")).to_contain_text("¥135.60")
    expect(page.locator(".yc-bucket-current")).to_contain_text("¥0.00")
    customer = page.locator(".yc-aging-customer")
    expect(customer).to_have_count(1)
    expect(customer).to_contain_text("城西酒行")
    customer.click()
    rows = page.locator(".yc-aging-invoice")
    expect(rows).to_have_count(2)
    expect(rows.first).to_contain_text("¥22.60")
    expect(rows.last).to_contain_text(f"订单 {order.id}")
    expect(rows.last).to_contain_text("逾期 15 天")
    screenshot("staff-aging")
    page.locator(".van-popup__close-icon").click()

    with page.expect_download() as info:
        page.locator(".yc-xlsx").click()
    download = info.value
    assert download.suggested_filename == f"aging-{as_of.isoformat()}.xlsx"
    with open(download.path(), "rb") as saved:
        book = openpyxl.load_workbook(io.BytesIO(saved.read()))
    rows_read = [r for r in book["账龄 Aging"].iter_rows(values_only=True)]
    total = next(r for r in rows_read if r[0] == "Total")
    assert Decimal(str(total[4])) == Decimal("135.60")
