"""A subscribe message WeChat accepted, whose job then failed before it finished (the process died, or
its record could not be written), is never sent again: the customer's one-time subscription was
spent. The row is flagged for a person, and `yecai check` lists it."""

from __future__ import annotations

from tests.store.conftest import add_to_cart, checks_clean
from tests.store.conftest import checkout as _checkout


def _paid_order(client, shop, shopper, sb):
    buyer = shopper()
    add_to_cart(client, buyer, shop.sku2.id, 1)
    body = _checkout(client, buyer, "c1")
    sb.approve(body["request_payment"]["package"].removeprefix("prepay_id="), buyer.openid)
    sb.deliver_due()
    return buyer, body["order"]["id"]


def _ship(client, shop, order_id: int, tracking_no: str) -> None:
    shipped = client.post(
        f"/api/shop/orders/{order_id}/ship",
        json={"carrier": "中通", "tracking_no": tracking_no},
        headers=shop.staff,
    )
    assert shipped.status_code == 200, shipped.json


def test_a_shipped_message_accepted_by_wechat_before_its_job_failed_is_flagged_not_sent_again(
    client, shop, shopper, wechat_sandbox, drain_jobs, monkeypatch
):
    from backend import clock
    from backend.jobs import outbox
    from backend.jobs.models import OutboxMessage
    from store import notify
    from store.shop_models import MessageLog

    sb = wechat_sandbox
    buyer, order_id = _paid_order(client, shop, shopper, sb)
    # Subscribed twice: a repeated send would be accepted, and spend the second one.
    assert sb.subscribe(buyer.openid, notify.DEFAULT_TEMPLATES["order_shipped"], 2) == 2

    def crash(**fields):  # WeChat has the message; the worker dies before its record is written
        raise ConnectionError("server closed the connection unexpectedly")

    monkeypatch.setattr(MessageLog, "create", crash)
    _ship(client, shop, order_id, "ZT000111")
    drain_jobs()
    monkeypatch.undo()

    (job,) = OutboxMessage.select().where(OutboxMessage.job == "store.notify_shipped")
    assert [m.touser for m in sb.state.sent_messages if m.touser == buyer.openid] == [buyer.openid]
    assert (job.status, job.last_error) == (
        "needs_attention",
        "ConnectionError: server closed the connection unexpectedly",
    )

    # Every way it could be run again: the relay later on, a queue's retry, a second worker.
    clock.advance(3600)
    drain_jobs()
    assert outbox.run_message(job.id) == "needs_attention"
    assert [m.touser for m in sb.state.sent_messages if m.touser == buyer.openid] == [buyer.openid]
    assert sb.state.subscriptions[(buyer.openid, notify.DEFAULT_TEMPLATES["order_shipped"])] == 1
    assert OutboxMessage.get_by_id(job.id).status == "needs_attention"
    assert checks_clean() == [
        f"outbox: no send left unfinished: outbox message {job.id} (store.notify_shipped) started sending and never finished: "
        "check whether it went out (ConnectionError: server closed the connection unexpectedly)"
    ]


def test_a_message_wechat_refused_is_tried_again(
    client, shop, shopper, wechat_sandbox, drain_jobs, monkeypatch
):
    """A refusal (WeChat answered with an error) means nothing went out: that one is retried."""
    from wechatpy.client.api import WeChatWxa
    from wechatpy.exceptions import WeChatClientException

    from backend import clock
    from backend.jobs.models import OutboxMessage
    from store import notify

    sb = wechat_sandbox
    buyer, order_id = _paid_order(client, shop, shopper, sb)
    sb.subscribe(buyer.openid, notify.DEFAULT_TEMPLATES["order_shipped"], 1)

    def busy(self, *args, **kwargs):
        raise WeChatClientException(-1, "system error")

    monkeypatch.setattr(WeChatWxa, "send_subscribe_message", busy)
    _ship(client, shop, order_id, "ZT000222")
    drain_jobs()
    monkeypatch.undo()
    (job,) = OutboxMessage.select().where(OutboxMessage.job == "store.notify_shipped")
    assert (job.status, job.attempts, job.last_error) == (
        "pending",
        1,
        "NotDelivered: WeChat refused the message: -1 system error",
    )
    assert [m for m in sb.state.sent_messages if m.touser == buyer.openid] == []

    clock.advance(11)
    drain_jobs()
    job = OutboxMessage.get_by_id(job.id)
    assert (job.status, job.attempts) == ("done", 2)
    assert [m.touser for m in sb.state.sent_messages if m.touser == buyer.openid] == [buyer.openid]
    assert checks_clean() == []
