"""Subscribe messages to the customer (订阅消息), sent by outbox jobs after commit through wechatpy's
`wxa.send_subscribe_message`.

A customer who has not accepted the template (WeChat errcode 43101), or a message past the day's quota
(45009), is recorded as `refused` and not retried; one with no WeChat login is not sent. Another
refusal from WeChat is retried by the outbox with backoff; a failure that leaves it unknown whether
WeChat sent the message flags the job for a person (backend/jobs/registry.py, AT_MOST_ONCE). A
message is sent at most once per event (`MessageLog.dedupe_key`).
"""

from __future__ import annotations

import logging
from typing import Any

from backend import clock, subscribe_messages
from backend.db import transaction
from backend.jobs.outbox import enqueue
from backend.jobs.registry import AT_MOST_ONCE, job
from backend.kernel.models import Customer, Order
from backend.money import format_yuan
from store.errors import CustomerWithoutWechat, InvalidTransition, OrderNotFound
from store.shop_models import MessageLog, Shipment

log = logging.getLogger("yecai.store")

DEFAULT_TEMPLATES = {
    "order_shipped": "TPL_ORDER_SHIPPED",
    "refund_done": "TPL_REFUND_DONE",
    "campaign": "TPL_CAMPAIGN",
    "receipt": "TPL_RECEIPT",
}
RECEIPT_JOB = "store.notify_receipt"
# Orders a receipt can be sent for: money taken or put on account (not pending, not cancelled).
RECEIPTED = ("paid", "shipped", "completed", "on_account", "partially_refunded", "refunded")


def _openid(customer_id: int) -> str | None:
    customer = Customer.get_or_none(Customer.id == customer_id)
    return subscribe_messages.openid_of_user(customer.user_id) if customer is not None else None


def send(dedupe_key: str, customer_id: int, kind: str, data: dict[str, Any], page: str) -> str:
    """Send once; returns sent | refused | duplicate | no_wechat."""
    if MessageLog.select().where(MessageLog.dedupe_key == dedupe_key).exists():
        return "duplicate"
    openid = _openid(customer_id)
    if openid is None:
        return "no_wechat"
    template = subscribe_messages.template_id(f"template_{kind}", DEFAULT_TEMPLATES[kind])
    body = {key: {"value": str(value)[:20]} for key, value in data.items()}
    answer = subscribe_messages.send(openid, template, body, page=page)
    status = "sent" if answer.status == "sent" else "refused"
    MessageLog.create(
        dedupe_key=dedupe_key,
        touser=openid,
        template_id=template,
        status=status,
        errcode=answer.errcode or 0,
        msgid=answer.msgid,
    )
    return status


@job("store.notify_shipped", delivery=AT_MOST_ONCE)
def notify_shipped(payload: dict[str, Any]) -> None:
    order = Order.get_by_id(int(payload["order_id"]))
    shipment = Shipment.get(Shipment.order == order.id)
    send(
        f"shipped:{order.id}",
        order.customer_id,
        "order_shipped",
        {
            "character_string1": order.id,
            "thing2": shipment.carrier,
            "character_string3": shipment.tracking_no,
        },
        page=f"pages/order/detail?id={order.id}",
    )


def notify_refund(order_id: int, amount_fen: int, reference: str) -> None:
    order = Order.get_or_none(Order.id == order_id)
    if order is None or order.channel != "miniprogram":
        return
    send(
        f"refund:{reference}"[:80],
        order.customer_id,
        "refund_done",
        {"character_string1": order.id, "amount2": f"{format_yuan(amount_fen)}元"},
        page=f"pages/order/detail?id={order.id}",
    )


def request_receipt(order_id: int) -> str:
    """微信电子小票: the order's receipt as a subscribe message to its customer's WeChat, once per order,
    after commit. Answers where it stands: queued, sent, or refused (no grant left, or the day's quota);
    asked again, the same answer. A customer without a WeChat login is refused here (print or share)."""
    with transaction():
        order = Order.get_or_none(Order.id == order_id)
        if order is None:
            raise OrderNotFound(details={"order_id": order_id})
        if order.status not in RECEIPTED:
            raise InvalidTransition(
                details={"order_id": order.id, "status": order.status, "action": "receipt"}
            )
        if order.customer_id is None or _openid(order.customer_id) is None:
            raise CustomerWithoutWechat(details={"order_id": order.id})
        logged = MessageLog.get_or_none(MessageLog.dedupe_key == f"receipt:{order.id}")
        if logged is not None:
            return str(logged.status)
        enqueue(RECEIPT_JOB, {"order_id": order.id}, dedupe_key=f"receipt:{order.id}")
        return "queued"


@job(RECEIPT_JOB, delivery=AT_MOST_ONCE)
def notify_receipt(payload: dict[str, Any]) -> None:
    order = Order.get_by_id(int(payload["order_id"]))
    send(
        f"receipt:{order.id}",
        order.customer_id,
        "receipt",
        {
            "character_string1": order.id,
            "amount2": f"{format_yuan(order.total_fen)}元",
            "time3": clock.local(order.created_at).strftime("%Y-%m-%d %H:%M"),
            "thing4": f"{len(order.lines)}种商品 {sum(line.quantity for line in order.lines)}件",
        },
        page=f"pages/order/detail?id={order.id}",
    )
