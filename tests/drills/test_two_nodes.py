"""Two app nodes behind Debian's nginx (deploy/nginx.conf) sharing one PostgreSQL, Redis and worker
pool. Many tills buy the same few units at once and pay (payment code, or cash), through nginx; one
node is killed with -9 in the middle. Nothing is oversold, every payment is booked once, and no
request that was answered as accepted is lost."""

from __future__ import annotations

import threading
import time
import uuid
from typing import Any

from tests.drills.conftest import REPORT
from tests.drills.shop import Answer, Drill, Load, Till, settle_wechat, wait_for_jobs, wechat_books
from tests.drills.stack import AppNode, Nginx
from tests.drills.test_kill_worker import Supervisor

STOCK = 60
CLIENTS = 10


def _buy_and_pay(drill: Drill, hot_sku: int, sold_out: threading.Event, bought: list[dict[str, Any]],
                 lock: threading.Lock) -> Any:  # fmt: skip
    def buy(till: Till, i: int) -> Answer:
        order = till.post("/api/orders", {"items": [{"sku_id": hot_sku, "quantity": 1}]})
        if order.status == 409 and order.body["error"]["code"] == "insufficient_stock":
            sold_out.set()
            time.sleep(0.05)
            return order
        assert order.status == 201, order
        if i % 2:
            paid = till.post(f"/api/orders/{order.body['id']}/cash-payment", {"amount_fen": order.body["total_fen"]},
                             key=uuid.uuid4().hex)  # fmt: skip
            assert paid.status == 200, paid
        else:
            code = drill.sandbox.payment_code()
            paid = till.post(f"/api/orders/{order.body['id']}/payment-code", {"auth_code": code}, keyed=False)
            # A charge cut off by the killed node and pressed again finds the order paid (booked once).
            assert paid.status == 200 or paid.body["error"]["details"]["status"] == "paid", paid
        with lock:
            bought.append({"order": order.body["id"], "attempts": order.attempts + paid.attempts})
        return order

    return buy


def test_two_nodes_behind_nginx_one_killed_mid_load(drill: Drill) -> None:
    from tests.drills.shop import here

    here(drill)
    from backend.inventory.services import receive_purchase
    from store import catalog

    hot = catalog.create_sku(catalog.create_product("限量款").id, name="限量款", price_fen=9900)
    receive_purchase(hot.id, drill.warehouse_id, STOCK, 5000)
    a, b = (
        AppNode(name, drill.env(), drill.folder / f"{name}.log", workers=1, threads=4)
        for name in ("node-a", "node-b")
    )
    proxy = Nginx(drill.folder, [f"127.0.0.1:{n.port}" for n in (a, b)])
    drill.public_base_url = proxy.base_url  # WeChat's notifications come through nginx too
    for process in (a, b, proxy):
        if isinstance(process, AppNode):  # nginx in front: the client address is its X-Forwarded-For
            process.env.update(YECAI_PUBLIC_BASE_URL=proxy.base_url, YECAI_TRUSTED_PROXIES="1")
        process.start()
        drill.processes.append(process)
    revive = Supervisor(drill)
    drill.worker("worker-2")  # a pool of two workers
    sold_out, lock = threading.Event(), threading.Lock()
    bought: list[dict[str, Any]] = []
    with Load(drill, proxy.base_url, CLIENTS, _buy_and_pay(drill, hot.id, sold_out, bought, lock)) as load:
        deadline = time.monotonic() + 60
        while len(bought) < STOCK // 3 and time.monotonic() < deadline:
            time.sleep(0.05)
        a.kill()  # node A and its workers die at once, requests in flight with them
        killed_at = len(bought)
        while not sold_out.is_set() and time.monotonic() < deadline:
            time.sleep(0.1)
    wait_for_jobs(drill, 60, revive)
    settle_wechat(drill)
    # What nginx saw of the killed node: each line a request it sent on to node B instead.
    log = (drill.folder / "nginx" / "error.log").read_text()
    moved = sum(1 for line in log.splitlines() if "upstream" in line and "[error]" in line)
    REPORT.append(
        f"two nodes behind nginx, {CLIENTS} tills buying {STOCK} units, node A killed -9 after {killed_at} sales, "
        f"{moved} requests nginx moved to node B: {load.tally.summary()}"
    )

    assert sold_out.is_set()
    assert load.tally.gave_up == 0
    orders = {row[0]: row[1:] for row in drill.sql(
        f"SELECT o.id, o.status, o.paid_fen, o.total_fen FROM sales_order o JOIN order_line l ON l.order_id = o.id "
        f"WHERE l.sku_id = {hot.id}")}  # fmt: skip
    # Every order a till was told it had is there and paid, exactly the units there were, no more.
    assert sorted(b["order"] for b in bought) == sorted(orders)
    assert len(orders) == STOCK
    assert {paid == total for _, paid, total in orders.values()} == {True}
    assert drill.scalar(f"SELECT on_hand - reserved FROM stock_level WHERE sku_id = {hot.id}") == 0
    ids = ",".join(map(str, orders))
    assert (
        drill.scalar(
            f"SELECT count(*) FROM payment_record WHERE status = 'succeeded' AND order_id IN ({ids})"
        )
        == STOCK
    )
    books = wechat_books(drill)
    by_code = drill.scalar(
        "SELECT count(*) FROM payment_record WHERE method = 'wechat_codepay' AND status = 'succeeded'"
    )
    assert books["paid"] == books["booked"] and len(books["paid"]) == by_code > 0
    status, report = drill.check()
    assert status == 0, report
