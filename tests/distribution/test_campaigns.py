"""Promotions to distributors over HTTP: a campaign prices the chosen grades while it runs, its
limited stock is taken by orders and given back by cancels, its message reaches each distributor at
most once with WeChat's grants honoured, and opening it is recorded. On PostgreSQL, distributors
racing for the last campaign units: exactly the quota is sold, nobody gets more."""

from __future__ import annotations

import threading

import pytest

from tests.distribution.conftest import make_campaign, post
from tests.payments.conftest import checks_clean
from tests.platform.test_errors import assert_error


def test_a_campaign_prices_its_grades_and_its_stock_runs_out(
    client, trade, distributor, unchanged, wechat_sandbox, drain_jobs
):
    from backend.auth.models import WechatIdentity

    a1 = distributor("甲一酒行", grade=trade.grade_a)
    a2 = distributor("甲二酒行", grade=trade.grade_a)
    b = distributor("乙酒行", grade=trade.grade_b)
    campaign = make_campaign(client, trade)
    assert campaign["stock"] == [{"sku_id": trade.red.id, "quota": 24, "taken": 0, "left": 24}]

    order = post(
        client,
        "/api/orders",
        {"items": [{"sku_id": trade.red.id, "quantity": 18}], "on_account": True},
        a1.headers,
        "o-1",
    )
    assert order.status_code == 201, order.json
    assert order.json["lines"][0]["unit_price_fen"] == 6000
    with unchanged():
        refused = post(
            client,
            "/api/orders",
            {"items": [{"sku_id": trade.red.id, "quantity": 12}], "on_account": True},
            a2.headers,
            "o-2",
        )
        error = assert_error(refused, 409, "campaign_sold_out")
        assert error["details"]["left"] == 6
    b_order = post(
        client,
        "/api/orders",
        {"items": [{"sku_id": trade.red.id, "quantity": 12}], "on_account": True},
        b.headers,
        "o-b",
    )
    assert b_order.json["lines"][0]["unit_price_fen"] == 8000  # grade B is not in the campaign
    cancelled = client.post(f"/api/orders/{order.json['id']}/cancel", headers=trade.staff)
    assert cancelled.status_code == 200, cancelled.json
    detail = client.get(f"/api/campaigns/{campaign['id']}", headers=trade.staff).json
    assert detail["stock"][0]["taken"] == 0

    # Messages: a1 granted the template once, a2 never did; b is not in the grade.
    for n, who in enumerate((a1, a2)):
        WechatIdentity.create(user=who.user_id, openid=f"openid-a{n}")
    wechat_sandbox.subscribe("openid-a0", "TPL_CAMPAIGN", 1)
    pushed = post(client, f"/api/campaigns/{campaign['id']}/push", {}, trade.owner, "push-1")
    assert pushed.json == {"campaign_id": campaign["id"], "queued": 2}
    drain_jobs()
    again = post(client, f"/api/campaigns/{campaign['id']}/push", {}, trade.owner, "push-2")
    assert again.json["queued"] == 0  # nobody gets it twice
    assert_error(client.get(f"/api/campaigns/{campaign['id']}", headers=b.headers), 404, "campaign_not_found")
    seen = client.get(f"/api/campaigns/{campaign['id']}", headers=a1.headers)
    assert (
        seen.status_code == 200
        and seen.json["policy"].startswith("每单限量")
        and seen.json["recipients"] is None
    )
    report = client.get(f"/api/campaigns/{campaign['id']}", headers=trade.staff).json["recipients"]
    assert report == {"queued": 0, "sent": 1, "no_grant": 1, "no_wechat": 0, "opened": 1}
    who = client.get(f"/api/campaigns/{campaign['id']}/recipients", headers=trade.staff)
    assert who.status_code == 200, who.json
    assert [
        (r["customer_id"], r["name"], r["status"], r["sent_at"] is not None, r["opened_at"] is not None)
        for r in who.json["items"]
    ] == [
        (a1.customer.id, "甲一酒行", "sent", True, True),
        (a2.customer.id, "甲二酒行", "no_grant", False, False),
    ]
    assert_error(
        client.get(f"/api/campaigns/{campaign['id']}/recipients", headers=a1.headers), 403, "forbidden"
    )
    assert_error(
        client.get("/api/campaigns/999999/recipients", headers=trade.staff), 404, "campaign_not_found"
    )
    assert checks_clean() == []


@pytest.mark.pg
def test_distributors_racing_for_the_last_campaign_units(app, trade, distributor):
    """Eight distributors order 6 units each at once; the quota is 24: exactly four orders win."""
    from backend.kernel.models import Order
    from store import services as sales
    from store.distribution import campaigns
    from store.distribution.errors import CampaignSoldOut
    from store.distribution.models import CampaignStock

    buyers = [distributor(f"抢购酒行 {n}", grade=trade.grade_a) for n in range(8)]
    campaigns.create_campaign(
        "限量",
        grade_ids=[trade.grade_a.id],
        items=[{"sku_id": trade.red.id, "price_fen": 6000}],
        quotas={trade.red.id: 24},
    )
    start = threading.Barrier(len(buyers))
    outcomes: list[str] = []
    lock = threading.Lock()

    def buy(customer_id: int) -> None:
        start.wait()
        try:
            sales.sell_on_account(customer_id, [(trade.red.id, 6)], channel="distributor")
            result = "sold"
        except CampaignSoldOut:
            result = "sold_out"
        with lock:
            outcomes.append(result)

    threads = [threading.Thread(target=buy, args=(b.customer.id,)) for b in buyers]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=60)
    assert sorted(outcomes) == ["sold"] * 4 + ["sold_out"] * 4
    assert CampaignStock.get().taken == 24
    assert Order.select().where(Order.status == "on_account").count() == 4
    from tests.payments.conftest import checks_clean as clean

    assert clean() == []
