"""Stored value (top-up through WeChat, pay from the balance, refund back to it), after-sales
refund requests approved or rejected by line, share links, and what one customer cannot reach
of another's."""

from __future__ import annotations

from tests.helpers import journal_entries as _entries
from tests.payments.conftest import order_entries
from tests.platform.test_errors import assert_error
from tests.store.conftest import add_to_cart, checks_clean, top_up
from tests.store.conftest import checkout as _checkout


def test_top_up_pay_from_balance_and_refund_back_to_it(
    client, shop, shopper, wechat_sandbox, drain_jobs, unchanged
):
    from backend.ledger.services import account_balance
    from store.shop_models import PointsEntry, StoredValueEntry

    sb = wechat_sandbox
    buyer = shopper()
    started = client.post(
        "/api/me/stored-value/top-ups",
        json={"amount_fen": 5000},
        headers={**buyer.headers, "Idempotency-Key": "tu-1"},
    )
    assert started.status_code == 201, started.json
    sb.approve(started.json["request_payment"]["package"].removeprefix("prepay_id="), buyer.openid)
    assert [a.status_code for a in sb.deliver_due()] == [204]
    assert sb.deliver_due() == []
    assert client.get("/api/me/member", headers=buyer.headers).json["stored_value_fen"] == 5000
    assert _entries("stored_value.top_up") == [[("1012", 5000, 0), ("2203", 0, 5000)]]

    add_to_cart(client, buyer, shop.sku.id, 2)
    body = _checkout(client, buyer, "c1", pay_with="stored_value")
    order_id = body["order"]["id"]
    assert (body["order"]["status"], body["order"]["paid_fen"], body["request_payment"]) == (
        "paid",
        2260,
        None,
    )
    assert client.get("/api/me/member", headers=buyer.headers).json == {
        "level": {"id": shop.gold.id + 1, "name": "普通会员", "rank": 1},
        "points": 22,
        "stored_value_fen": 2740,
        "fen_per_point": 1,
    }
    line_id = body["order"]["lines"][0]["id"]

    with unchanged():
        response = client.post(
            f"/api/shop/orders/{order_id}/aftersales",
            json={"lines": [{"line_id": line_id, "quantity": 3}]},
            headers={**buyer.headers, "Idempotency-Key": "as-too-many"},
        )
        assert_error(response, 422, "invalid_aftersale")
        response = client.post(
            f"/api/shop/orders/{order_id}/aftersales",
            json={"lines": [{"line_id": line_id, "quantity": 1}], "amount_fen": 99999},
            headers={**buyer.headers, "Idempotency-Key": "as-amount"},
        )
        assert_error(response, 422, "validation_failed")
    asked = client.post(
        f"/api/shop/orders/{order_id}/aftersales",
        json={"lines": [{"line_id": line_id, "quantity": 1}], "reason": "破损"},
        headers={**buyer.headers, "Idempotency-Key": "as-1"},
    )
    assert asked.status_code == 201, asked.json
    assert (asked.json["amount_fen"], asked.json["status"]) == (1130, "requested")

    sb.subscribe(buyer.openid, "TPL_REFUND_DONE")
    approved = client.post(
        f"/api/aftersales/{asked.json['id']}/approve", json={"note": "同意"}, headers=shop.staff
    )
    assert approved.status_code == 200, approved.json
    assert approved.json["status"] == "approved"
    drain_jobs()
    assert_error(
        client.post(f"/api/aftersales/{asked.json['id']}/reject", json={}, headers=shop.staff),
        409,
        "aftersale_decided",
    )

    mine = client.get(f"/api/shop/orders/{order_id}", headers=buyer.headers).json
    assert (mine["status"], mine["refunded_fen"]) == ("partially_refunded", 1130)
    assert client.get("/api/me/member", headers=buyer.headers).json["stored_value_fen"] == 3870
    assert order_entries(order_id) == [
        ("order.paid", [("2203", 2260, 0), ("5001", 0, 2000), ("2221", 0, 260)]),
        ("order.refunded", [("5001", 1000, 0), ("2221", 130, 0), ("2203", 0, 1130)]),
    ]
    assert [(e.kind, e.amount_fen) for e in StoredValueEntry.select().order_by(StoredValueEntry.id)] == [
        ("top_up", 5000),
        ("pay", -2260),
        ("refund", 1130),
    ]
    assert [(p.kind, p.points) for p in PointsEntry.select().order_by(PointsEntry.id)] == [
        ("earn", 22),
        ("earn_reversed", -11),
    ]
    (message,) = [m for m in sb.state.sent_messages if m.touser == buyer.openid]
    assert (message.template_id, message.data["amount2"]) == ("TPL_REFUND_DONE", {"value": "11.30元"})

    second = client.post(
        f"/api/shop/orders/{order_id}/aftersales",
        json={"lines": [{"line_id": line_id, "quantity": 1}]},
        headers={**buyer.headers, "Idempotency-Key": "as-2"},
    ).json
    with unchanged():
        assert_error(
            client.post(f"/api/aftersales/{second['id']}/approve", json={}, headers=buyer.headers),
            403,
            "forbidden",
        )
    rejected = client.post(
        f"/api/aftersales/{second['id']}/reject", json={"note": "已签收"}, headers=shop.staff
    )
    assert (rejected.json["status"], rejected.json["note"]) == ("rejected", "已签收")
    assert client.get(f"/api/shop/orders/{order_id}", headers=buyer.headers).json["refunded_fen"] == 1130
    assert -account_balance("2203") == 3870
    assert checks_clean() == []


def test_a_wechat_order_refunded_by_line_through_after_sales(
    client, shop, shopper, wechat_sandbox, drain_jobs
):
    from backend.kernel.models import Order
    from payments.models import RefundRecord

    sb = wechat_sandbox
    buyer = shopper()
    add_to_cart(client, buyer, shop.sku.id, 1)
    add_to_cart(client, buyer, shop.sku2.id, 2)
    body = _checkout(client, buyer, "c1")
    order_id = body["order"]["id"]
    sb.approve(body["request_payment"]["package"].removeprefix("prepay_id="), buyer.openid)
    sb.deliver_due()
    line2 = body["order"]["lines"][1]["id"]
    asked = client.post(
        f"/api/shop/orders/{order_id}/aftersales",
        json={"lines": [{"line_id": line2, "quantity": 2}]},
        headers={**buyer.headers, "Idempotency-Key": "as-1"},
    ).json
    assert asked["amount_fen"] == 1130
    assert (
        client.post(f"/api/aftersales/{asked['id']}/approve", json={}, headers=shop.staff).status_code == 200
    )
    drain_jobs()
    (refund,) = RefundRecord.select()
    assert (refund.amount_fen, refund.status) == (1130, "processing")
    sb.complete_refund(refund.out_refund_no)
    sb.deliver_due()
    order = Order.get_by_id(order_id)
    assert (order.status, order.paid_fen, order.refunded_fen, order.refunded_vat_fen) == (
        "partially_refunded",
        2260,
        1130,
        130,
    )
    assert order_entries(order_id)[-1] == (
        "order.refunded",
        [("5001", 1000, 0), ("2221", 130, 0), ("1012", 0, 1130)],
    )
    assert checks_clean() == []


def test_share_links_record_who_brought_whom(client, shop, shopper, wechat_sandbox):
    alice, bob, carol = shopper("王小姐"), shopper("李先生"), shopper("张女士")
    link = client.post(
        "/api/share-links",
        json={"product_id": shop.wine.id},
        headers={**alice.headers, "Idempotency-Key": "s1"},
    )
    assert link.status_code == 201, link.json
    code = link.json["code"]
    assert link.json["path"] == f"pages/index/index?scene={code}"
    image = client.get(f"/api/share-links/{code}/wxacode.png", headers=alice.headers)
    assert (image.status_code, image.mimetype, image.data[:4]) == (200, "image/png", b"\x89PNG")
    assert_error(client.get(f"/api/share-links/{code}/wxacode.png", headers=bob.headers), 404, "not_found")

    carols = client.post(
        "/api/share-links", json={}, headers={**carol.headers, "Idempotency-Key": "s2"}
    ).json["code"]
    assert client.post(f"/api/share-links/{code}/arrivals", headers=bob.headers).json == {
        "sharer_customer_id": alice.customer.id
    }
    # The first link wins; nobody refers themselves.
    assert client.post(f"/api/share-links/{carols}/arrivals", headers=bob.headers).json == {
        "sharer_customer_id": alice.customer.id
    }
    assert client.post(f"/api/share-links/{code}/arrivals", headers=alice.headers).json == {
        "sharer_customer_id": None
    }
    assert_error(client.post("/api/share-links/nope/arrivals", headers=carol.headers), 404, "not_found")

    listed = client.get("/api/referrals", headers=shop.owner).json["items"]
    assert [(r["customer_name"], r["sharer_name"]) for r in listed] == [("李先生", "王小姐")]
    assert_error(client.get("/api/referrals", headers=shop.staff), 403, "forbidden")
    assert_error(client.get("/api/referrals", headers=bob.headers), 403, "forbidden")


def test_a_customer_reaches_nothing_of_another_and_sets_no_price_status_or_balance(
    client, shop, shopper, wechat_sandbox, unchanged
):
    from store import members

    alice, bob = shopper("王小姐"), shopper("李先生")
    members._points_entry(alice.customer.id, "earn", 300, None, "seed")
    top_up(client, wechat_sandbox, alice, 800)
    add_to_cart(client, alice, shop.sku.id, 1)
    body = _checkout(client, alice, "c1")
    order_id, line_id = body["order"]["id"], body["order"]["lines"][0]["id"]
    add_to_cart(client, alice, shop.sku2.id, 1)

    with unchanged():
        for method, path in (
            ("get", f"/api/shop/orders/{order_id}"),
            ("post", f"/api/shop/orders/{order_id}/receive"),
            ("post", f"/api/shop/orders/{order_id}/cancel"),
            ("post", f"/api/shop/orders/{order_id}/pay-with-stored-value"),
            ("get", f"/api/orders/{order_id}"),
            ("post", f"/api/orders/{order_id}/wechat-cancel"),
        ):
            response = getattr(client, method)(path, headers=bob.headers)
            assert response.status_code == 404, (path, response.json)
        response = client.post(
            f"/api/shop/orders/{order_id}/aftersales",
            json={"lines": [{"line_id": line_id, "quantity": 1}]},
            headers={**bob.headers, "Idempotency-Key": "steal"},
        )
        assert_error(response, 404, "order_not_found")
        assert client.get("/api/shop/orders", headers=bob.headers).json["items"] == []
        assert client.get("/api/cart", headers=bob.headers).json["items"] == []
        assert client.get("/api/me/points", headers=bob.headers).json["items"] == []
        assert client.get("/api/me/stored-value", headers=bob.headers).json["items"] == []
        assert client.get("/api/me/member", headers=bob.headers).json["points"] == 0
        assert [a["id"] for a in client.get("/api/addresses", headers=bob.headers).json["items"]] == [
            bob.address_id
        ]

        # Staff verbs are not the customer's.
        for method, path, body_ in (
            ("patch", f"/api/members/{alice.customer.id}", {"level_id": shop.gold.id}),
            ("put", f"/api/skus/{shop.sku.id}/level-prices/{shop.gold.id}", {"price_fen": 1}),
            ("patch", f"/api/skus/{shop.sku.id}", {"price_fen": 1}),
            ("post", f"/api/shop/orders/{order_id}/ship", {"carrier": "x", "tracking_no": "12345"}),
            ("post", f"/api/orders/{order_id}/cash-payment", {"amount_fen": 1130}),
        ):
            response = getattr(client, method)(
                path, json=body_, headers={**alice.headers, "Idempotency-Key": path}
            )
            assert_error(response, 403, "forbidden")

        # No field sets a price, a status, a discount, an owner or a balance.
        for path, body_ in (
            ("/api/checkout", {"address_id": alice.address_id, "discount_fen": 1000}),
            ("/api/checkout", {"address_id": alice.address_id, "customer_id": bob.customer.id}),
            ("/api/cart/items", {"sku_id": shop.sku.id, "quantity": 1, "price_fen": 1}),
            ("/api/me/stored-value/top-ups", {"amount_fen": 100, "customer_id": bob.customer.id}),
            (
                "/api/addresses",
                {"name": "x", "phone": "13800000009", "region": "r", "detail": "d", "customer_id": 1},
            ),
        ):
            response = client.post(
                path, json=body_, headers={**alice.headers, "Idempotency-Key": f"f-{body_}"}
            )
            assert_error(response, 422, "validation_failed")
        response = client.patch(
            f"/api/cart/items/{client.get('/api/cart', headers=alice.headers).json['items'][0]['id']}",
            json={"quantity": 1, "unit_price_fen": 1},
            headers=alice.headers,
        )
        assert_error(response, 422, "validation_failed")

    # Alice herself pays from her balance: 1130 > 800 is refused, nothing changes.
    with unchanged():
        response = client.post(f"/api/shop/orders/{order_id}/pay-with-stored-value", headers=alice.headers)
        assert_error(response, 409, "not_enough_stored_value")
    assert checks_clean() == []


def test_top_ups_reconcile_with_the_wechat_bill_and_a_redelivery_credits_once(
    client, shop, shopper, wechat_sandbox
):
    from payments import topups
    from payments.models import TopUp
    from store.shop_models import StoredValueEntry
    from tests.payments.test_reconciliation import _fresh_sandbox_day

    sb = wechat_sandbox
    day = _fresh_sandbox_day(sb)
    buyer = shopper()
    top_up(client, sb, buyer, 3000)
    record = TopUp.get()
    resource = {
        "mchid": sb.credentials.mchid,
        "appid": sb.credentials.appid,
        "out_trade_no": record.out_trade_no,
        "transaction_id": record.transaction_id,
        "trade_state": "SUCCESS",
        "amount": {"total": 3000},
    }
    assert topups.apply_success(resource) == "duplicate"
    assert topups.apply_success({**resource, "trade_state": "REFUND"}) == "not_success"
    assert topups.apply_success({**resource, "amount": {"total": 1}}) == "refused_amount"
    assert [(e.kind, e.amount_fen) for e in StoredValueEntry.select()] == [("top_up", 3000)]

    report = client.post(
        "/api/payments/reconciliations", json={"bill_date": day.isoformat()}, headers=shop.owner
    )
    assert report.status_code == 200, report.json
    assert (report.json["wechat_paid_fen"], report.json["difference_count"]) == (3000, 0)
    assert checks_clean() == []


def test_goods_sent_back_through_after_sales_go_back_to_stock_before_the_refund(
    client, shop, shopper, wechat_sandbox, drain_jobs
):
    from backend.inventory.models import StockLevel
    from backend.kernel.models import Order, OrderLine
    from payments.models import RefundRecord

    sb = wechat_sandbox
    buyer = shopper()
    add_to_cart(client, buyer, shop.sku2.id, 2)
    body = _checkout(client, buyer, "ret-1")
    order_id = body["order"]["id"]
    sb.approve(body["request_payment"]["package"].removeprefix("prepay_id="), buyer.openid)
    sb.deliver_due()
    shipped = client.post(
        f"/api/shop/orders/{order_id}/ship",
        json={"carrier": "顺丰", "tracking_no": "SF1234567890"},
        headers={**shop.staff, "Idempotency-Key": "ship-ret"},
    )
    assert shipped.status_code in (200, 201), shipped.json
    drain_jobs()
    line_id = body["order"]["lines"][0]["id"]
    asked = client.post(
        f"/api/shop/orders/{order_id}/aftersales",
        json={"lines": [{"line_id": line_id, "quantity": 1}], "reason": "瓶子破了"},
        headers={**buyer.headers, "Idempotency-Key": "as-ret"},
    ).json
    level = StockLevel.get(StockLevel.sku == shop.sku2.id)
    assert (level.on_hand, level.value_fen) == (3, 900)

    approved = client.post(
        f"/api/aftersales/{asked['id']}/approve", json={"goods_returned": True}, headers=shop.staff
    )
    assert approved.status_code == 200, approved.json
    level = StockLevel.get(StockLevel.sku == shop.sku2.id)
    assert (level.on_hand, level.value_fen) == (4, 1200)  # one bottle back at the 300 it left with
    assert OrderLine.get_by_id(line_id).returned_quantity == 1
    assert _entries("order.goods_returned") == [[("1405", 300, 0), ("5401", 0, 300)]]

    drain_jobs()
    (refund,) = RefundRecord.select()
    sb.complete_refund(refund.out_refund_no)
    sb.deliver_due()
    order = Order.get_by_id(order_id)
    assert (order.status, order.refunded_fen) == ("partially_refunded", asked["amount_fen"])
    assert checks_clean() == []
