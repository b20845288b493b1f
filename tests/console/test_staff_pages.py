"""The other staff pages on a phone: a WeChat QR at the counter, a collection against chosen
invoices, goods back with their refund, the shift's handover, and orders to ship."""

from __future__ import annotations

import re
from typing import Any

import pytest
from playwright.sync_api import expect


@pytest.fixture
def counter(app: Any, make_user: Any) -> Any:
    from backend.inventory.services import receive_purchase
    from store import catalog

    warehouse = catalog.create_warehouse("MAIN", "门店仓")
    product = catalog.create_product("龙井茶")
    tea = catalog.create_sku(product.id, name="250g", price_fen=1130, barcode="6900000000011")
    receive_purchase(tea.id, warehouse.id, 20, 700, reference="PO-1")
    dealer = catalog.create_customer(
        "distributor", "城南批发", phone="13900000009", credit_limit_fen=100_000, payment_terms_days=30
    )
    return {"tea": tea, "dealer": dealer, "staff": make_user("staff", display_name="小王")}


def _add_tea(page: Any) -> None:
    page.goto("/m/staff/bill")
    search = page.get_by_placeholder("商品名称或条码 Name or barcode")
    search.fill("6900000000011")
    search.press("Enter")
    expect(page.locator(".yc-lines")).to_contain_text("龙井茶 250g")


def test_a_wechat_qr_at_the_counter(page: Any, counter: Any, console_login: Any, wechat_sandbox: Any) -> None:
    from backend.kernel.models import Order
    from payments.models import PaymentRecord

    console_login(counter["staff"])
    _add_tea(page)
    page.get_by_role("button", name="收款 Take payment").click()
    page.get_by_text("微信收款码 WeChat QR", exact=True).click()
    expect(page.get_by_alt_text("微信收款码 WeChat QR")).to_be_visible()
    (record,) = PaymentRecord.select()
    # The customer scans the QR and pays; WeChat tells the app; the page sees it and hands over.
    wechat_sandbox.scan_and_pay(record.code_url, wechat_sandbox.login_code().openid)
    wechat_sandbox.deliver_due()
    expect(page.locator(".yc-done")).to_contain_text("微信支付 WeChat Pay ¥11.30")
    (order,) = Order.select()
    assert (order.paid_fen, order.status) == (1130, "shipped")


def test_a_collection_against_the_chosen_invoice(
    page: Any, counter: Any, console_login: Any, login: Any, client: Any
) -> None:
    from backend.receivables.models import Invoice

    headers = login(counter["staff"])
    for n, quantity in enumerate([1, 2]):
        placed = client.post(
            "/api/orders",
            json={
                "items": [{"sku_id": counter["tea"].id, "quantity": quantity}],
                "customer_id": counter["dealer"].id,
                "on_account": True,
            },
            headers={**headers, "Idempotency-Key": f"acct-{n}"},
        )
        assert placed.status_code == 201, placed.json
    first, second = Invoice.select().order_by(Invoice.id)

    console_login(counter["staff"])
    page.goto("/m/staff/collect")
    page.locator(".yc-customer-option", has_text="城南批发").click()
    page.locator(".yc-invoice", has_text=f"#{second.id}").click()  # only the second one
    expect(page.locator(".yc-collect")).to_contain_text("¥22.60")
    page.locator(".yc-collect").click()
    expect(page.locator(".van-dialog")).to_contain_text("余欠 Still owes ¥11.30")
    assert [(i.id, i.open_fen) for i in Invoice.select().order_by(Invoice.id)] == [
        (first.id, 1130),
        (second.id, 0),
    ]


def test_goods_back_and_their_cash_refund(
    page: Any, counter: Any, console_login: Any, login: Any, client: Any
) -> None:
    from backend.kernel.models import Order

    headers = login(counter["staff"])
    sold = client.post(
        "/api/counter-sales",
        json={"items": [{"sku_id": counter["tea"].id, "quantity": 2}]},
        headers={**headers, "Idempotency-Key": "sale"},
    ).json
    console_login(counter["staff"])
    page.goto("/m/staff/returns")
    page.get_by_placeholder("订单号 Order number").fill(str(sold["id"]))
    page.get_by_placeholder("订单号 Order number").press("Enter")
    expect(page.locator(".yc-return-order")).to_contain_text("¥22.60")
    expect(page.locator(".van-cell__title", has_text=counter["tea"].name)).to_be_visible()
    page.locator(".van-stepper__plus").click()
    page.locator(".yc-return-goods").click()
    expect(page.locator(".van-toast")).to_contain_text("已入库")
    page.locator(".yc-refund-amount input").fill("11.30")
    page.locator(".yc-refund").click()
    expect(page.locator(".yc-return-order")).to_contain_text("已退 Refunded¥11.30")
    order = Order.get_by_id(sold["id"])
    assert order.refunded_fen == 1130


def test_the_shift_is_handed_over(
    page: Any, counter: Any, console_login: Any, login: Any, client: Any
) -> None:
    headers = login(counter["staff"])
    client.post(
        "/api/counter-sales",
        json={"items": [{"sku_id": counter["tea"].id, "quantity": 3}]},
        headers={**headers, "Idempotency-Key": "sale"},
    )
    console_login(counter["staff"])
    page.goto("/m/staff/shift")
    expect(page.locator(".yc-takings")).to_contain_text("现金 Cash")
    expect(page.locator(".yc-takings")).to_contain_text("¥33.90")
    page.locator(".yc-counted input").fill("33.00")
    page.get_by_role("button", name="交班 Hand over").click()
    expect(page.locator(".van-dialog")).to_contain_text("差额 Difference -¥0.90")
    expect(page.locator(".yc-shift")).to_contain_text("本班还没有收款 No takings yet")


def test_orders_to_ship_are_handed_over(
    page: Any, counter: Any, console_login: Any, login: Any, client: Any
) -> None:
    headers = login(counter["staff"])
    kept = client.post(
        "/api/counter-sales",
        json={"items": [{"sku_id": counter["tea"].id, "quantity": 1}], "deliver_later": True},
        headers={**headers, "Idempotency-Key": "later"},
    ).json
    console_login(counter["staff"])
    page.goto("/m/staff/ship")
    expect(page.locator(".yc-to-ship")).to_contain_text(f"订单 Order #{kept['id']}")
    expect(page.locator(".yc-to-ship")).to_contain_text(f"{counter['tea'].name}× 1")
    page.get_by_role("button", name="发货 Ship").click()
    expect(page.get_by_text("没有待发货的订单 Nothing to ship")).to_be_visible()
    page.wait_for_url(re.compile(r"/m/staff/ship$"))
