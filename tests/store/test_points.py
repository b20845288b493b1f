"""Points: earned per yuan at the level's rate, redeemed at 100 points a yuan, reversed with a
refund (redeemed points come back in proportion), and expired after a year without activity."""

from __future__ import annotations

from tests.store.conftest import add_to_cart, checks_clean


def test_refunds_reverse_earned_and_return_redeemed_points_in_proportion(
    client, shop, shopper, wechat_sandbox, drain_jobs
):
    from backend.kernel.models import Order
    from payments.models import RefundRecord
    from store import members
    from store.shop_models import PointsEntry

    sb = wechat_sandbox
    buyer = shopper()
    client.patch(f"/api/members/{buyer.customer.id}", json={"level_id": shop.gold.id}, headers=shop.staff)
    members._points_entry(buyer.customer.id, "earn", 1000, None, "seed")
    add_to_cart(client, buyer, shop.sku.id, 3)  # 3 x 1000 at the gold price
    body = client.post(
        "/api/checkout",
        json={"address_id": buyer.address_id, "points": 1000},
        headers={**buyer.headers, "Idempotency-Key": "c1"},
    ).json
    order_id = body["order"]["id"]
    assert (body["order"]["total_fen"], body["order"]["vat_fen"]) == (2000, 230)
    sb.approve(body["request_payment"]["package"].removeprefix("prepay_id="), buyer.openid)
    sb.deliver_due()
    assert client.get("/api/me/member", headers=buyer.headers).json["points"] == 40  # 20 yuan x 2

    def refund(amount):
        response = client.post(
            f"/api/orders/{order_id}/wechat-refunds",
            json={} if amount is None else {"amount_fen": amount},
            headers={**shop.staff, "Idempotency-Key": f"r-{amount}"},
        )
        assert response.status_code == 201, response.json
        drain_jobs()
        sb.complete_refund(RefundRecord.get_by_id(response.json["id"]).out_refund_no)
        sb.deliver_due()

    refund(500)  # a quarter of 2000: 10 of 40 earned back, 250 of 1000 redeemed returned
    assert [
        (p.kind, p.points)
        for p in PointsEntry.select().where(PointsEntry.order_id == order_id).order_by(PointsEntry.id)
    ] == [
        ("redeem", -1000),
        ("earn", 40),
        ("earn_reversed", -10),
        ("redeem_returned", 250),
    ]
    refund(None)  # the rest: everything left goes
    assert Order.get_by_id(order_id).status == "refunded"
    entries = [
        (p.kind, p.points)
        for p in PointsEntry.select().where(PointsEntry.order_id == order_id).order_by(PointsEntry.id)
    ]
    assert entries[4:] == [("earn_reversed", -30), ("redeem_returned", 750)]
    assert client.get("/api/me/member", headers=buyer.headers).json["points"] == 1000
    assert checks_clean() == []


def test_points_expire_after_a_year_without_activity(client, shop, shopper):
    from backend import clock, wiring
    from store import members
    from store.shop_models import PointsEntry

    active, idle = shopper("王小姐"), shopper("李先生")
    members._points_entry(active.customer.id, "earn", 70, None, "seed-a")
    members._points_entry(idle.customer.id, "earn", 90, None, "seed-b")
    clock.advance(200 * 86400)
    members._points_entry(active.customer.id, "earn", 5, None, "later-a")
    clock.advance(166 * 86400)
    wiring.run_periodic("store.points_expiry")
    wiring.run_periodic("store.points_expiry")  # twice the same day: once
    # (a year on, the sessions have expired: read the accounts directly)
    assert (members.account(idle.customer.id).points, members.account(active.customer.id).points) == (0, 75)
    assert [
        (p.customer_id, p.kind, p.points) for p in PointsEntry.select().where(PointsEntry.kind == "expire")
    ] == [(idle.customer.id, "expire", -90)]
    assert checks_clean() == []
