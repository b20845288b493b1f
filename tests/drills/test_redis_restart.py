"""Redis killed (it keeps nothing: whatever was queued is gone) and started again while sales go
on: sales and refunds are still taken, their outbox rows wait in PostgreSQL, and once Redis is back
each is delivered, none twice; endpoints that need Redis (rate limits) answer 503 meanwhile."""

from __future__ import annotations

import time

import requests

from tests.drills.conftest import REPORT
from tests.drills.shop import Drill, Tally, sale_body, settle_wechat, wait_for_jobs, wechat_books
from tests.drills.test_kill_worker import Supervisor

ORDERS = 6


def test_redis_killed_and_started_while_selling(drill: Drill) -> None:
    node = drill.node(workers=2, threads=2)
    revive = Supervisor(drill)
    tally = Tally()
    till = drill.till(node.base_url, tally)
    paid = []
    for n in range(ORDERS):
        order = till.post("/api/orders", sale_body(drill, n % 4))
        answer = till.post(f"/api/orders/{order.body['id']}/payment-code", {"auth_code": drill.sandbox.payment_code()},
                           keyed=False)  # fmt: skip
        assert answer.status == 200, answer
        paid.append(order.body)
    wait_for_jobs(drill, 60, revive)

    drill.redis.kill()
    down_since = time.monotonic()
    refunds = [
        till.post(f"/api/orders/{o['id']}/wechat-refunds", {"amount_fen": o["total_fen"]}) for o in paid
    ]
    sales = [till.post("/api/counter-sales", sale_body(drill, n % 4)) for n in range(ORDERS)]
    other = till.post("/api/orders", sale_body(drill, 0))
    rate_limited = requests.post(  # rate limits are counted in Redis: this one cannot be let through
        f"{node.base_url}/api/orders/{other.body['id']}/payment-code", json={"auth_code": "1" * 18},
        headers={"Authorization": f"Bearer {drill.token}"}, timeout=20,
    )  # fmt: skip
    waiting = drill.scalar("SELECT count(*) FROM outbox_message WHERE status = 'pending'")
    at_wechat_while_down = len(drill.sandbox.state.refunds)
    time.sleep(1)
    drill.redis.start()
    down_for = time.monotonic() - down_since
    wait_for_jobs(drill, 90, revive)
    settle_wechat(drill)
    wait_for_jobs(drill, 60, revive)
    REPORT.append(
        f"Redis killed for {down_for:.1f} s ({waiting} outbox rows waited, worker restarted {revive.deaths} times): "
        f"{tally.summary()}"
    )

    assert [r.status for r in refunds] == [201] * ORDERS and [s.status for s in sales] == [201] * ORDERS
    assert (rate_limited.status_code, rate_limited.json()["error"]["code"]) == (503, "service_unavailable")
    assert waiting >= ORDERS  # at least each refund's request to WeChat
    assert at_wechat_while_down == 0
    rows = drill.sql("SELECT job, status, attempts FROM outbox_message")
    assert {(status, attempts) for _, status, attempts in rows} == {("done", 1)}, rows
    books = wechat_books(drill)
    assert len(books["refunds"]) == ORDERS and books["refunds"] == books["booked_refunds"]
    assert books["paid"] == books["booked"]
    assert drill.scalar("SELECT count(*) FROM sales_order WHERE status = 'refunded'") == ORDERS
    status, report = drill.check()
    assert status == 0, report
