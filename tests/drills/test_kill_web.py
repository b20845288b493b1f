"""A web worker (gunicorn) killed with -9 at every step of a sale: a counter sale, an order, its
payment code charged at WeChat, WeChat's notification, a WeChat refund. The till retries the same
request (same Idempotency-Key), WeChat resends its notification: each sale, payment and refund lands
once, in the books and at WeChat."""

from __future__ import annotations

from typing import Any

import requests

from tests.drills.conftest import REPORT
from tests.drills.shop import (
    Answer,
    Drill,
    Tally,
    Till,
    sale_body,
    settle_wechat,
    wait_for_jobs,
    wechat_books,
)

# (step of the sale, crash point): the web worker serving that step dies there.
KILLS = [
    ("counter sale", "request.claimed"),
    ("counter sale", "request.before_commit"),
    ("counter sale", "request.committed"),
    ("order", "request.claimed"),
    ("order", "request.before_commit"),
    ("order", "request.committed"),
    ("payment code", "codepay.recorded"),
    ("payment code", "codepay.answered"),
    ("payment code", "codepay.booked"),
    ("checkout", "request.claimed"),
    ("checkout", "request.before_commit"),
    ("checkout", "request.parked"),
    ("checkout", "request.finished"),
    ("payment notification", "notify.verified"),
    ("payment notification", "notify.applied"),
    ("WeChat refund", "request.claimed"),
    ("WeChat refund", "request.before_commit"),
    ("WeChat refund", "request.committed"),
    ("refund notification", "notify.verified"),
    ("refund notification", "notify.applied"),
]


def _step(drill: Drill, armed: tuple[str, str], step: str) -> None:
    if armed[0] == step:
        drill.arm(armed[1])


class Shopper:
    """A mini-program customer: logged in with WeChat, one delivery address."""

    def __init__(self, drill: Drill, base_url: str, tally: Tally) -> None:
        self.openid = drill.sandbox.login_code().openid
        code = drill.sandbox.login_code(self.openid).code
        token = requests.post(base_url + "/api/auth/wechat-login", json={"code": code}, timeout=20).json()[
            "token"
        ]
        self.till = Till(base_url, token, tally)
        address = {
            "name": "王小姐",
            "phone": "13900000002",
            "region": "上海市 浦东新区",
            "detail": "世纪大道 1 号",
        }
        self.address_id = self.till.post("/api/addresses", address).body["id"]


def _check_out(drill: Drill, shopper: Shopper, kill: tuple[str, str], n: int) -> Answer:
    """The mini-program's way: cart, checkout (order committed, then WeChat's prepay), the payer confirms."""
    item = shopper.till.post("/api/cart/items", {"sku_id": drill.sku_ids[n % 4], "quantity": 2})
    assert item.status == 201, item
    _step(drill, kill, "checkout")
    checkout = shopper.till.post("/api/checkout", {"address_id": shopper.address_id})
    assert checkout.status == 201, checkout
    prepay_id = checkout.body["request_payment"]["package"].removeprefix("prepay_id=")
    drill.sandbox.approve(prepay_id, shopper.openid)
    return checkout


def _how_paid(kill: tuple[str, str], n: int) -> str:
    """jsapi (mini-program checkout), native (QR scanned) or code (payment code): what the armed step
    needs, else each in turn."""
    needs = {"checkout": "jsapi", "payment code": "code", "payment notification": "native", "order": "code"}
    return needs.get(kill[0], ("code", "native", "jsapi")[n % 3])


def _walk_a_sale(drill: Drill, till: Till, shopper: Shopper, kill: tuple[str, str], n: int) -> dict[str, Any]:
    """One counter sale and one order paid with WeChat and refunded, `kill` armed at its step."""
    _step(drill, kill, "counter sale")
    counter = till.post("/api/counter-sales", sale_body(drill, n % 4))
    assert counter.status == 201, counter
    how = _how_paid(kill, n)
    if how == "jsapi":
        checkout = _check_out(drill, shopper, kill, n)
        order_id, total, attempts = (
            checkout.body["order"]["id"],
            checkout.body["order"]["total_fen"],
            checkout.attempts,
        )
    else:
        _step(drill, kill, "order")
        order = till.post("/api/orders", sale_body(drill, n % 4, quantity=2))
        assert order.status == 201, order
        order_id, total, attempts = order.body["id"], order.body["total_fen"], order.attempts
    if how == "code":  # WeChat answers at once, no notification
        auth_code = drill.sandbox.payment_code()
        _step(drill, kill, "payment code")
        paid = till.post(f"/api/orders/{order_id}/payment-code", {"auth_code": auth_code}, keyed=False)
        if paid.status == 409:  # booked before the crash: the press again finds the order paid
            assert paid.body["error"]["details"]["status"] == "paid", paid
        else:
            assert paid.status == 200 and paid.body["status"] == "succeeded", paid
    else:
        if how == "native":
            paid = till.post(f"/api/orders/{order_id}/wechat-native", {}, keyed=False)
            assert paid.status == 200, paid
            drill.sandbox.scan_and_pay(paid.body["code_url"], drill.sandbox.login_code().openid)
        _step(drill, kill, "payment notification")
        settle_wechat(drill)  # WeChat's notification of the payment
        paid = till.get(f"/api/orders/{order_id}")
        assert paid.body["status"] == "paid", paid
    _step(drill, kill, "WeChat refund")
    refund = till.post(f"/api/orders/{order_id}/wechat-refunds", {"amount_fen": total})
    assert refund.status == 201, refund
    wait_for_jobs(drill)  # the worker asks WeChat for the refund
    _step(drill, kill, "refund notification")
    settle_wechat(drill)
    assert not drill.armed(kill[1]), f"{kill} was never reached"
    return {"counter": counter.body["id"], "order": order_id, "how": how,
            "attempts": counter.attempts + attempts + paid.attempts + refund.attempts}  # fmt: skip


def test_web_worker_killed_at_every_step_of_a_sale(drill: Drill) -> None:
    node = drill.node(workers=2, threads=2)
    drill.worker()
    tally = Tally()
    till = drill.till(node.base_url, tally)
    shopper = Shopper(drill, node.base_url, tally)
    on_hand_before = drill.scalar("SELECT sum(on_hand) FROM stock_level")
    sales = [_walk_a_sale(drill, till, shopper, kill, n) for n, kill in enumerate(KILLS)]
    wait_for_jobs(drill)
    REPORT.append(f"gunicorn worker killed -9 at {len(KILLS)} steps of a sale: {tally.summary()}")

    assert not [o for o in tally.outcomes if o.startswith("5") and not o.startswith("50")], tally.outcomes
    assert tally.gave_up == 0
    # One counter sale and one order per walk, whatever was retried.
    orders = [row[0] for row in drill.sql("SELECT id FROM sales_order ORDER BY id")]
    assert orders == sorted([s["counter"] for s in sales] + [s["order"] for s in sales])
    assert drill.scalar("SELECT count(*) FROM sales_order WHERE status = 'refunded'") == len(KILLS)
    # Counter sales' goods left; the refunded orders' goods did not (refunded before handover).
    assert on_hand_before - drill.scalar("SELECT sum(on_hand) FROM stock_level") == len(KILLS)
    books = wechat_books(drill)
    assert len(books["paid"]) == len(KILLS)  # one WeChat transaction per order
    assert books["paid"] == books["booked"]  # each booked once, for what WeChat took
    assert len(books["refunds"]) == len(KILLS)
    assert books["refunds"] == books["booked_refunds"]
    # WeChat's notifications, each kept once however often it came: a refund's for every order, a
    # payment's for the orders paid by QR.
    notified = sum(1 for sale in sales if sale["how"] != "code")
    assert notified >= 6
    assert drill.scalar("SELECT count(*) FROM wechat_notification") == len(KILLS) + notified
    status, report = drill.check()
    assert status == 0, report
