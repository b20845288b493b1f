"""PostgreSQL restarted, then crashed, under load: requests fail cleanly (503, the one JSON error
shape, never a 500) while it is down, the pool recovers by itself, and every till retrying with the
same Idempotency-Key lands its sale exactly once."""

from __future__ import annotations

import time

import requests

from tests.drills.conftest import REPORT
from tests.drills.shop import Drill, Load, sale_body, wait_for_jobs


def test_postgres_restart_and_crash_under_load(drill: Drill) -> None:
    node = drill.node(workers=2, threads=4)
    worker = drill.worker()
    till = drill.till(node.base_url)
    order = till.post("/api/orders", sale_body(drill, 0))  # paid with WeChat now, refunded after the restarts
    code = drill.sandbox.payment_code()
    assert (
        till.post(f"/api/orders/{order.body['id']}/payment-code", {"auth_code": code}, keyed=False).status
        == 200
    )
    on_hand_before = drill.scalar("SELECT sum(on_hand) FROM stock_level")
    probes: list[tuple[int, dict]] = []
    with Load(drill, node.base_url, clients=6) as load:
        for mode in ("fast", "immediate"):  # a clean restart, then a crash (recovery from the WAL)
            time.sleep(1.5)
            drill.pg.stop(mode)
            time.sleep(0.5)
            for _ in range(3):  # what a client sees while the database is down
                response = requests.get(
                    node.base_url + "/api/orders", headers={"Authorization": f"Bearer {drill.token}"}
                )
                probes.append((response.status_code, response.json()))
                time.sleep(0.3)
            drill.pg.start()
        time.sleep(2)
    # The worker's pool recovered too: the same worker process asks WeChat for a refund.
    refund = till.post(
        f"/api/orders/{order.body['id']}/wechat-refunds", {"amount_fen": order.body["total_fen"]}
    )
    assert refund.status == 201, refund
    wait_for_jobs(drill, 60)
    assert worker.alive() and [r.refund for r in drill.sandbox.state.refunds.values()] == [
        order.body["total_fen"]
    ]
    REPORT.append(f"PostgreSQL stopped (fast) and crashed (immediate) under 6 tills: {load.tally.summary()}")

    assert {status for status, _ in probes} == {503}
    assert {body["error"]["code"] for _, body in probes} == {"service_unavailable"}
    assert not [o for o in load.tally.outcomes if o.startswith("500")], load.tally.outcomes
    assert any(o.startswith("503 service_unavailable") for o in load.tally.outcomes), load.tally.outcomes
    assert load.tally.gave_up == 0
    assert {a.status for a in load.answers} == {201}
    accepted = load.accepted_ids()
    assert len(accepted) == len(set(accepted)) == load.tally.requests
    # Exactly one order per accepted key: none lost, none doubled by a retry.
    assert sorted([*accepted, order.body["id"]]) == [
        row[0] for row in drill.sql("SELECT id FROM sales_order ORDER BY id")
    ]
    assert (
        drill.scalar("SELECT count(*) FROM idempotency_record") == len(accepted) + 2
    )  # and the order, its refund
    assert on_hand_before - drill.scalar("SELECT sum(on_hand) FROM stock_level") == len(accepted)
    # The pool recovered: a request now is answered at once.
    assert (
        requests.get(
            node.base_url + "/api/orders", headers={"Authorization": f"Bearer {drill.token}"}
        ).status_code
        == 200
    )
    status, report = drill.check()
    assert status == 0, report
