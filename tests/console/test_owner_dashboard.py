"""The owner opens the dashboard on the phone: the figures shown are what was sold, to the fen, and
every chart is drawn."""

from __future__ import annotations

from typing import Any

from playwright.sync_api import expect

from backend.inventory.services import receive_purchase
from backend.kernel.models import Customer
from store import catalog
from store.services import counter_cash_sale, fulfil_order, sell_on_account

CHARTS = ("chart-trend", "chart-channel", "chart-method", "chart-aging")

# Counts the canvas pixels that are not blank: a drawn chart has thousands.
INKED_PIXELS = """(id) => {
  const canvas = document.querySelector('#' + id + ' canvas');
  if (!canvas || !canvas.width || !canvas.height) return 0;
  const data = canvas.getContext('2d').getImageData(0, 0, canvas.width, canvas.height).data;
  let inked = 0;
  for (let i = 3; i < data.length; i += 4) if (data[i] !== 0) inked++;
  return inked;
}"""


def _sell_today() -> None:
    warehouse = catalog.create_warehouse("MAIN", "门店仓")
    tea = catalog.create_sku(catalog.create_product("茶叶").id, name="龙井 250g", price_fen=1130)
    black = catalog.create_sku(catalog.create_product("红茶").id, name="红茶 100g", price_fen=565)
    receive_purchase(tea.id, warehouse.id, 10, 700, reference="PO-1")
    receive_purchase(black.id, warehouse.id, 12, 300, reference="PO-2")
    dealer = catalog.create_customer(
        "distributor", "城东批发部", credit_limit_fen=100_000, payment_terms_days=30
    )
    counter_cash_sale(None, [(tea.id, 2)], reference="c1")  # 2260 = 2000 + 260 VAT, cost 1400
    counter_cash_sale(
        None, [(black.id, 1)], reference="c2", method="bank_transfer"
    )  # 565 = 500 + 65, cost 300
    credit = sell_on_account(dealer.id, [(black.id, 4)], channel="distributor")  # 2260 = 2000 + 260
    fulfil_order(credit.id)  # cost 1200; black tea left: 12 - 5 = 7, under the alert line of 10


def test_the_owner_sees_what_was_sold_to_the_fen_with_the_charts_drawn(
    page: Any, make_user: Any, console_login: Any, screenshot: Any
) -> None:
    _sell_today()
    owner = make_user("owner", display_name="老板")
    console_login(owner, next_path="/m/owner/dashboard")

    # Sales 2260 + 565 + 2260; margin (2000 + 500 + 2000) - (1400 + 300 + 1200); three orders.
    expect(page.locator("[data-test=kpi-sales_fen] [data-test=value]")).to_have_text("¥50.85")
    expect(page.locator("[data-test=kpi-margin_fen] [data-test=value]")).to_have_text("¥16.00")
    expect(page.locator("[data-test=kpi-orders] [data-test=value]")).to_have_text("3")
    expect(page.locator("[data-test=kpi-sales_fen]")).to_contain_text("较昨日 新增")  # nothing yesterday
    expect(page.locator("[data-test=range-sales]")).to_have_text("¥50.85")
    expect(page.locator("[data-test=range-margin]")).to_have_text("¥16.00")
    expect(page.locator("[data-test=range-orders]")).to_have_text("3")
    expect(page.locator("[data-test=receivables-open]")).to_contain_text("¥22.60")
    expect(page.locator("[data-test=receivables-overdue]")).to_contain_text("¥0.00")
    top_products = page.locator("[data-test=top-products] .van-cell")
    for n, (name, quantity, sales) in enumerate(
        [("红茶 红茶 100g", "数量 Qty 5", "¥28.25"), ("茶叶 龙井 250g", "数量 Qty 2", "¥22.60")]
    ):  # by what they sold
        for text in (name, quantity, sales):
            expect(top_products.nth(n)).to_contain_text(text)
    top_customers = page.locator("[data-test=top-customers] .van-cell")
    expect(top_customers).to_have_count(2)
    for n, (name, sales) in enumerate([(catalog.WALK_IN_NAME, "¥28.25"), ("城东批发部", "¥22.60")]):
        expect(top_customers.nth(n)).to_contain_text(name)
        expect(top_customers.nth(n)).to_contain_text(sales)
    alerts = page.locator("[data-test=stock-alerts] .van-cell")
    expect(alerts.nth(0)).to_contain_text("红茶 100g")  # 7 left, the scarcest first
    expect(alerts.nth(0)).to_contain_text("可用 7")
    expect(alerts.nth(1)).to_contain_text("可用 8")
    for chart in CHARTS:
        page.wait_for_function(f"({INKED_PIXELS})('{chart}') > 1000")
    expect(page.locator("[data-test=reconciliation] .van-tag")).to_have_count(14)

    screenshot("owner-dashboard", full_page=True, docs=True)


def test_staff_are_refused_the_dashboard(page: Any, make_user: Any, console_login: Any) -> None:
    console_login(make_user("staff"), next_path="/m/owner/dashboard")
    expect(page.get_by_text("无权限")).to_be_visible()


def test_the_owner_approves_and_rejects_from_the_dashboards_inbox(
    page: Any, make_user: Any, console_login: Any, screenshot: Any
) -> None:
    from backend.approvals.models import ApprovalRequest
    from backend.receivables.credit.profiles import change_profile, current_terms

    staff = make_user("staff")
    east = catalog.create_customer(
        "distributor", "城东批发部", credit_limit_fen=100_000, payment_terms_days=30
    )
    west = catalog.create_customer(
        "distributor", "城西批发部", credit_limit_fen=100_000, payment_terms_days=30
    )
    raise_east = change_profile(
        east.id, {"limit_fen": 500_000}, actor_id=staff.id, reason="旺季备货"
    ).approval
    raise_west = change_profile(west.id, {"limit_fen": 900_000}, actor_id=staff.id, reason="新店").approval
    console_login(make_user("owner"), next_path="/m/owner/dashboard")

    east_row = page.locator(f"[data-test=approval-{raise_east.id}]")
    expect(east_row).to_contain_text("信用条件变更")
    expect(east_row).to_contain_text("¥5,000.00")
    expect(east_row).to_contain_text("旺季备货")
    expect(page.locator(f"[data-test=approval-{raise_west.id}]")).to_contain_text("¥9,000.00")
    screenshot("owner-dashboard-approvals")

    east_row.get_by_role("button", name="批准 Approve").click()
    expect(east_row).to_have_count(0)
    page.locator(f"[data-test=approval-{raise_west.id}]").get_by_role("button", name="驳回 Reject").click()
    page.locator("[data-test=reject-note] textarea").fill("额度太高 Too high")
    page.locator(".van-dialog").get_by_role("button", name="驳回 Reject").click()
    expect(page.locator("[data-test=approvals]")).to_contain_text("没有待审批 Nothing to approve")

    assert ApprovalRequest.get_by_id(raise_east.id).status == "approved"
    assert current_terms(Customer.get_by_id(east.id)).limit_fen == 500_000
    west_request = ApprovalRequest.get_by_id(raise_west.id)
    assert (west_request.status, west_request.decision_note) == ("rejected", "额度太高 Too high")
    assert current_terms(Customer.get_by_id(west.id)).limit_fen == 100_000
