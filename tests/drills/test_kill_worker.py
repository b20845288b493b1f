"""An rq worker killed with -9 at every step of each job kind. A local job rolls back and runs
again; a job WeChat deduplicates (a refund, a close) is simply run again; a subscribe message, which
WeChat cannot deduplicate or be asked about, is never sent twice: a send cut off mid-call is flagged
for a person (`yecai check` lists it). The worker comes back as systemd's Restart=always brings it."""

from __future__ import annotations

import collections

import requests

from tests.drills.conftest import REPORT
from tests.drills.shop import (
    Drill,
    JobWorker,
    Tally,
    Till,
    here,
    sale_body,
    settle_wechat,
    wait_for_jobs,
    wechat_books,
)

LOCAL_JOBS = ("order.paid_receipt",)
DEDUPED_JOBS = ("payments.request_refund", "order.cancelled", "payments.close_wechat_order")
SENT_ONCE_JOBS = ("order.refund_notice", "store.notify_shipped")
# Each round arms one step of every job kind: the worker dies there, once per kind.
ROUNDS = (("running", "calling"), ("before_commit", "called"))


class Supervisor:
    """Starts the worker again whenever it died, counting the deaths."""

    def __init__(self, drill: Drill) -> None:
        self.drill, self.deaths = drill, 0
        self.worker: JobWorker = drill.worker()

    def __call__(self) -> None:
        if not self.worker.alive():
            self.deaths += 1
            self.worker.kill()
            self.worker.start()


def _customer(drill: Drill, node_url: str, tally: Tally) -> tuple[Till, str]:
    """A mini-program customer who logged in with WeChat and allowed the shop's messages."""
    openid = drill.sandbox.login_code().openid
    code = drill.sandbox.login_code(openid).code
    token = requests.post(node_url + "/api/auth/wechat-login", json={"code": code}, timeout=20).json()[
        "token"
    ]
    for template in ("TPL_REFUND_DONE", "TPL_ORDER_SHIPPED"):
        drill.sandbox.subscribe(openid, template, count=5)
    return Till(node_url, token, tally), openid


def _round(drill: Drill, staff: Till, customer: Till, steps: tuple[str, str], revive: Supervisor) -> None:
    local_step, remote_step = steps
    for job in LOCAL_JOBS:
        drill.arm(f"job.{job}.{local_step}")
    for job in DEDUPED_JOBS + SENT_ONCE_JOBS:
        drill.arm(f"job.{job}.{remote_step}")
    # A mini-program order paid by payment code (paid receipt), shipped (message), refunded
    # (refund at WeChat, then a message).
    order = customer.post("/api/orders", sale_body(drill, 1))
    assert order.status == 201, order
    paid = staff.post(f"/api/orders/{order.body['id']}/payment-code", {"auth_code": drill.sandbox.payment_code()},
                      keyed=False)  # fmt: skip
    assert paid.status == 200, paid
    shipped = staff.post(f"/api/shop/orders/{order.body['id']}/ship", {"carrier": "顺丰", "tracking_no": "SF1234567890"},
                         keyed=False)  # fmt: skip
    assert shipped.status == 200, shipped
    refund = staff.post(f"/api/orders/{order.body['id']}/wechat-refunds", {"amount_fen": 500})
    assert refund.status == 201, refund
    # Two orders left open at WeChat (a NATIVE QR shown, never scanned): one cancelled, one closed.
    for n, how in enumerate(("cancel", "close")):
        other = customer.post("/api/orders", sale_body(drill, 2 + n))
        assert staff.post(f"/api/orders/{other.body['id']}/wechat-native", {}, keyed=False).status == 200
        if how == "cancel":
            assert staff.post(f"/api/orders/{other.body['id']}/cancel", {}, keyed=False).status == 200
        else:
            _close_at_wechat(drill, other.body["id"])
    wait_for_jobs(drill, 90, revive)
    settle_wechat(drill)  # the refund succeeds at WeChat and its notification is applied
    wait_for_jobs(drill, 90, revive)
    left = [p.name for p in drill.faults.iterdir()]
    assert left == [], f"crash points never reached: {left}"


def _close_at_wechat(drill: Drill, order_id: int) -> None:
    """A close of a WeChat transaction as the payments service writes one (an expired QR's)."""
    from backend.db import transaction
    from backend.jobs import outbox

    payment_id, out_trade_no = drill.sql(
        f"SELECT id, out_trade_no FROM payment_record WHERE order_id = {order_id}"
    )[0]
    here(drill)
    with transaction():
        outbox.enqueue("payments.close_wechat_order", {"payment_id": payment_id},
                       dedupe_key=f"payments.close:{out_trade_no}")  # fmt: skip


def test_worker_killed_at_every_step_of_each_job_kind(drill: Drill) -> None:
    node = drill.node(workers=1, threads=4)
    revive = Supervisor(drill)
    tally = Tally()
    staff = drill.till(node.base_url, tally)
    customer, _ = _customer(drill, node.base_url, tally)
    for steps in ROUNDS:
        _round(drill, staff, customer, steps, revive)
    REPORT.append(
        f"rq worker killed -9 {revive.deaths} times (each of {len(LOCAL_JOBS + DEDUPED_JOBS + SENT_ONCE_JOBS)} job "
        f"kinds at each of its 2 steps): {tally.summary()}"
    )

    assert revive.deaths == 2 * len(LOCAL_JOBS + DEDUPED_JOBS + SENT_ONCE_JOBS)
    statuses = collections.Counter(
        dict(drill.sql("SELECT job || ' ' || status, count(*) FROM outbox_message GROUP BY 1"))
    )
    # The messages cut off mid-send are flagged, one per kind and round; everything else is done.
    assert {k: v for k, v in statuses.items() if not k.endswith(" done")} == {
        f"{job} needs_attention": 2 for job in SENT_ONCE_JOBS
    }
    books = wechat_books(drill)
    assert len(books["paid"]) == 2 and books["paid"] == books["booked"]
    assert books["refunds"] == books["booked_refunds"] and sorted(books["refunds"].values()) == [500, 500]
    with drill.sandbox.state.lock:
        closed = sorted(
            o.trade_state for o in drill.sandbox.state.orders.values() if o.trade_type == "NATIVE"
        )
    assert closed == ["CLOSED"] * 4
    # No message twice: the round killed before the call sent none, the round killed after it one each.
    assert sorted(books["messages"].values()) == [1, 1]
    status, report = drill.check()
    assert status == 1
    breaks = [line for line in report.splitlines() if line.startswith("BROKEN")]
    assert len(breaks) == 4 and all("outbox: no send left unfinished" in line for line in breaks), report
