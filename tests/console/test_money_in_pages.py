"""Money in on a phone: a batch collection over two customers with an amount per invoice, and a bank
statement CSV uploaded, its unmatched line assigned to a customer."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from playwright.sync_api import expect

from backend.receivables import advances
from backend.receivables import services as receivables
from backend.receivables.models import CollectionBatch, Invoice
from store import catalog


def _two_dealers() -> tuple[Any, Any, Any, Any]:
    from backend.inventory.services import receive_purchase
    from store import services as sales

    warehouse = catalog.create_warehouse("MAIN", "总仓")
    sku = catalog.create_sku(catalog.create_product("干红").id, name="750ml", price_fen=1130)
    receive_purchase(sku.id, warehouse.id, 20, 700)
    east = catalog.create_customer("distributor", "城东酒行", credit_limit_fen=50_000, payment_terms_days=30)
    west = catalog.create_customer("distributor", "城西酒行", credit_limit_fen=50_000, payment_terms_days=30)
    a = sales.sell_on_account(east.id, [(sku.id, 2)], channel="distributor")  # 2260
    b = sales.sell_on_account(west.id, [(sku.id, 1)], channel="distributor")  # 1130
    return east, west, receivables.invoice_for_order(a.id), receivables.invoice_for_order(b.id)


def test_staff_collect_a_batch_over_two_customers(
    page: Any, make_user: Any, console_login: Any, screenshot: Any
) -> None:
    _east, west, ia, ib = _two_dealers()
    console_login(make_user("staff"), next_path="/m/staff/batch-collect")
    for name in ("城东", "城西"):
        page.locator(".van-search input").fill(name)
        page.locator(".yc-batch-customer-option").first.click()
    expect(page.locator(".yc-batch-line")).to_have_count(2)
    page.locator(f".yc-batch-invoice[data-invoice='{ia.id}'] input").fill("10.00")
    page.locator(f".yc-batch-invoice[data-invoice='{ib.id}'] input").fill("11.30")
    page.locator(".yc-batch-amount input").nth(1).fill("20.00")
    page.locator(".yc-batch-reference input").fill("B-PAGE-1")
    screenshot("staff-batch-collect")
    page.locator(".yc-batch-submit").click()
    expect(page.locator(".yc-batch-result")).to_contain_text("预收 ¥8.70")
    batch = CollectionBatch.get()
    assert (batch.reference, batch.total_fen) == ("B-PAGE-1", 3000)
    assert (Invoice.get_by_id(ia.id).open_fen, Invoice.get_by_id(ib.id).open_fen) == (1260, 0)
    assert advances.balance_of(west.id) == 870


def test_staff_import_a_bank_statement_and_assign_what_did_not_match(
    page: Any, make_user: Any, console_login: Any, screenshot: Any, tmp_path: Path
) -> None:
    _east, _west, ia, ib = _two_dealers()
    statement = tmp_path / "流水.csv"
    statement.write_bytes(
        "交易日期,对方户名,金额,摘要\n2026-12-01,城西酒行,11.30,货款\n2026-12-01,王五,22.60,代付\n".encode(
            "gbk"
        )
    )
    console_login(make_user("staff"), next_path="/m/staff/bank-import")
    page.locator(".yc-bank-file").set_input_files(str(statement))
    expect(page.locator(".yc-bank-row")).to_have_count(2)
    expect(page.locator(".yc-bank-row").first).to_contain_text("已收款 Collected")
    expect(page.locator(".yc-bank-queued")).to_have_count(1)
    screenshot("staff-bank-import")
    page.locator(".yc-bank-assign").click()
    page.locator(".van-popup .van-search input").fill("城东")
    page.locator(".yc-bank-customer-option").first.click()
    expect(page.locator(".yc-bank-queued")).to_have_count(0)
    assert (Invoice.get_by_id(ia.id).open_fen, Invoice.get_by_id(ib.id).open_fen) == (0, 0)

    broken = tmp_path / "broken.csv"
    broken.write_text("交易日期,对方户名,金额\n2026-12-99,城西酒行,1.00\n", encoding="utf-8")
    page.locator(".yc-bank-file").set_input_files(str(broken))
    expect(page.locator(".yc-bank-problems")).to_contain_text("第 2 行")


def test_a_distributor_pays_part_of_two_invoices_with_one_qr(
    page: Any, make_user: Any, console_login: Any, screenshot: Any, wechat_sandbox: Any
) -> None:
    from backend.inventory.services import receive_purchase
    from payments.models import PaymentRecord
    from store import services as sales

    warehouse = catalog.create_warehouse("MAIN", "总仓")
    sku = catalog.create_sku(catalog.create_product("干红").id, name="750ml", price_fen=1130)
    receive_purchase(sku.id, warehouse.id, 20, 700)
    user = make_user("distributor", display_name="华东酒行")
    me = catalog.create_customer(
        "distributor", "华东酒行", user_id=user.id, credit_limit_fen=50_000, payment_terms_days=30
    )
    a = receivables.invoice_for_order(sales.sell_on_account(me.id, [(sku.id, 2)], channel="distributor").id)
    b = receivables.invoice_for_order(sales.sell_on_account(me.id, [(sku.id, 1)], channel="distributor").id)
    console_login(user, next_path="/m/dist/account")
    page.locator(f".yc-pay-part[data-invoice='{a.id}'] input").fill("10.00")
    page.locator(f".yc-pay-part[data-invoice='{b.id}'] input").fill("11.30")
    expect(page.locator(".yc-pay-several")).to_contain_text("¥21.30")
    page.locator(".yc-pay-several").click()
    expect(page.locator("#qr-state")).to_have_text("等待付款 Waiting for payment")
    screenshot("dist-pay-several")
    record = PaymentRecord.select().order_by(PaymentRecord.id.desc()).get()
    assert (record.method, record.amount_fen) == ("wechat_native", 2130)
    wechat_sandbox.scan_and_pay(record.code_url, wechat_sandbox.login_code().openid)
    wechat_sandbox.deliver_due()
    expect(page.locator("#qr-state")).to_have_text("已支付 Paid")
    assert (Invoice.get_by_id(a.id).open_fen, Invoice.get_by_id(b.id).open_fen) == (1260, 0)
