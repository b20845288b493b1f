"""The owner's distribution pages on a phone: a price list made for a grade with a quantity break, every
price of it raised by a percentage; a campaign created for a grade with limited stock, pushed, and
who received and opened it."""

from __future__ import annotations

from typing import Any

import pytest
from playwright.sync_api import expect


def _wine() -> Any:
    from backend.inventory.services import receive_purchase
    from store import catalog

    warehouse = catalog.create_warehouse("MAIN", "主仓")
    red = catalog.create_sku(catalog.create_product("智利干红").id, name="750ml", price_fen=10000)
    receive_purchase(red.id, warehouse.id, 120, 5000, reference="PO-1")
    return red


@pytest.mark.parametrize("db_kind", ["sqlite", "pg"], indirect=True)
def test_owner_makes_a_grade_price_list_and_raises_it(
    page: Any, make_user: Any, console_login: Any, screenshot: Any
) -> None:
    from store.distribution import price_lists as pl
    from store.distribution.models import PriceList, PriceListItem

    red = _wine()
    grade = pl.create_grade("一级经销商")
    owner = make_user("owner")
    console_login(owner, next_path="/m/owner/price-lists")
    expect(page.get_by_text("还没有价格表 No price lists yet")).to_be_visible()
    page.get_by_text("新建 New").click()
    form = page.locator(".yc-new-list")
    form.locator(".yc-name input").fill("一级价")
    form.get_by_text("一级经销商").click()
    form.locator(".yc-sku-search input").fill("干红")
    form.get_by_text("智利干红 750ml").click()
    form.locator(".yc-min-quantity input").fill("1")
    form.locator(".yc-price input").fill("75.00")
    form.get_by_role("button", name="加一行 Add the price").click()
    form.locator(".yc-min-quantity input").fill("24")
    form.locator(".yc-price input").fill("72.00")
    form.get_by_role("button", name="加一行 Add the price").click()
    expect(form.locator(".yc-break")).to_have_count(2)
    screenshot("owner-price-list-new")
    form.get_by_role("button", name="保存价格表 Save the list").click()
    card = page.locator(".yc-price-list")
    expect(card).to_have_count(1)
    expect(card).to_contain_text("等级 Grade 一级经销商")
    made = PriceList.get()
    assert (made.name, made.scope, made.grade_id, made.priority) == ("一级价", "grade", grade.id, 0)
    breaks = sorted((i.sku_id, i.min_quantity, i.price_fen) for i in PriceListItem.select())
    assert breaks == [(red.id, 1, 7500), (red.id, 24, 7200)]

    card.get_by_text("一级价").click()
    expect(card).to_contain_text("¥72.00")
    card.locator(".yc-percent input").fill("abc")
    card.get_by_role("button", name="按百分比调价 Change every price by %").click()
    expect(page.get_by_text("请输入百分比", exact=False)).to_be_visible()
    assert sorted(i.price_fen for i in PriceListItem.select()) == [7200, 7500]  # nothing changed
    card.locator(".yc-percent input").fill("2.5")
    card.get_by_role("button", name="按百分比调价 Change every price by %").click()
    expect(card).to_contain_text("¥73.80")
    expect(card).to_contain_text("¥76.88")
    breaks = sorted((i.sku_id, i.min_quantity, i.price_fen) for i in PriceListItem.select())
    assert breaks == [(red.id, 1, 7688), (red.id, 24, 7380)]  # 7500 x 1.025 = 7687.5 -> 7688
    screenshot("owner-price-lists")


def test_owner_creates_and_pushes_a_campaign(
    page: Any, make_user: Any, console_login: Any, screenshot: Any, wechat_sandbox: Any, drain_jobs: Any
) -> None:
    from backend.auth.models import WechatIdentity
    from store import catalog
    from store.distribution import campaigns
    from store.distribution import price_lists as pl
    from store.distribution.models import Campaign, CampaignStock

    red = _wine()
    grade = pl.create_grade("一级经销商")
    pl.create_grade("二级经销商")
    people = []
    for name in ("甲一酒行", "甲二酒行"):
        user = make_user("distributor", display_name=name)
        customer = catalog.create_customer("distributor", name, user_id=user.id, credit_limit_fen=10**7)
        pl.set_grade(customer.id, grade.id)
        people.append((user, customer))
    WechatIdentity.create(user=people[0][0].id, openid="openid-a0")
    wechat_sandbox.subscribe("openid-a0", "TPL_CAMPAIGN", 1)

    owner = make_user("owner")
    console_login(owner, next_path="/m/owner/campaigns")
    expect(page.get_by_text("还没有活动 No campaigns yet")).to_be_visible()
    page.get_by_text("新建 New").click()
    form = page.locator(".yc-new-campaign")
    form.locator(".yc-name input").fill("春季干红特价")
    form.locator(".yc-policy textarea").fill("每单限量，先到先得")
    form.get_by_text("一级经销商").click()
    form.locator(".yc-sku-search input").fill("干红")
    form.get_by_text("智利干红 750ml").click()
    form.locator(".yc-min-quantity input").fill("6")
    form.locator(".yc-price input").fill("60.00")
    form.locator(".yc-quota input").fill("24")
    form.get_by_role("button", name="加一行 Add the price").click()
    form.get_by_role("button", name="创建活动 Create the campaign").click()
    card = page.locator(".yc-campaign")
    expect(card).to_have_count(1)
    expect(card).to_contain_text("剩 left 24 / 24")
    campaign = Campaign.get()
    assert (campaign.name, campaign.policy) == ("春季干红特价", "每单限量，先到先得")
    stock = CampaignStock.get()
    assert (stock.sku_id, stock.quota, stock.taken) == (red.id, 24, 0)

    card.get_by_text("春季干红特价").click()
    expect(card).to_contain_text("还没推送 Not pushed yet")
    card.get_by_role("button", name="推送给经销商 Push to distributors").click()
    expect(page.get_by_text("已推送 2 人 pushed")).to_be_visible()
    drain_jobs()
    campaigns.mark_opened(campaign.id, people[0][1].id)
    page.reload()
    card = page.locator(".yc-campaign")
    expect(card).to_contain_text("已送达 1 · 已读 1")
    card.get_by_text("春季干红特价").click()
    rows = card.locator(".yc-recipient")
    expect(rows).to_have_count(2)
    expect(rows.nth(0)).to_contain_text("甲一酒行")
    expect(rows.nth(0)).to_contain_text("已送达 Sent")
    expect(rows.nth(0)).to_contain_text("已读 opened")
    expect(rows.nth(1)).to_contain_text("甲二酒行")
    expect(rows.nth(1)).to_contain_text("无微信 No WeChat")
    expect(rows.nth(1)).to_contain_text("未读 not opened")
    screenshot("owner-campaigns")
