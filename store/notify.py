"""Subscribe messages to the customer (订阅消息), sent by outbox jobs after commit through wechatpy's
`wxa.send_subscribe_message`.

A customer who has not accepted the template (WeChat errcode 43101) or who has no WeChat login is
recorded as `refused` and not retried: retrying cannot succeed until they subscribe again. Another
refusal from WeChat is retried by the outbox with backoff; a failure that leaves it unknown whether
WeChat sent the message flags the job for a person (backend/jobs/registry.py, AT_MOST_ONCE). A
message is sent at most once per event (`MessageLog.dedupe_key`).
"""

from __future__ import annotations

import logging
from typing import Any

from wechatpy.exceptions import WeChatClientException

from backend import runtime
from backend.auth.models import WechatIdentity
from backend.jobs.registry import AT_MOST_ONCE, NotDelivered, job
from backend.kernel.models import Customer, Order
from backend.money import format_yuan
from store.shop_models import MessageLog, Shipment

log = logging.getLogger("yecai.store")

NOT_SUBSCRIBED = 43101
DEFAULT_TEMPLATES = {
    "order_shipped": "TPL_ORDER_SHIPPED",
    "refund_done": "TPL_REFUND_DONE",
    "campaign": "TPL_CAMPAIGN",
}


def template_id(kind: str) -> str:
    try:
        extra = runtime.settings().extra
    except RuntimeError:
        extra = {}
    return str(extra.get(f"template_{kind}", DEFAULT_TEMPLATES[kind]))


def _openid(customer_id: int) -> str | None:
    customer = Customer.get_or_none(Customer.id == customer_id)
    if customer is None or customer.user_id is None:
        return None
    identity = (
        WechatIdentity.select()
        .where(WechatIdentity.user == customer.user_id)
        .order_by(WechatIdentity.id)
        .first()
    )
    return identity.openid if identity else None


def send(dedupe_key: str, customer_id: int, kind: str, data: dict[str, Any], page: str) -> str:
    """Send once; returns sent | refused | duplicate | no_wechat."""
    if MessageLog.select().where(MessageLog.dedupe_key == dedupe_key).exists():
        return "duplicate"
    openid = _openid(customer_id)
    if openid is None:
        return "no_wechat"
    template = template_id(kind)
    body = {key: {"value": str(value)[:20]} for key, value in data.items()}
    try:
        result = runtime.miniprogram_client().wxa.send_subscribe_message(openid, template, body, page=page)
    except WeChatClientException as exc:
        if exc.errcode != NOT_SUBSCRIBED:
            # WeChat answered no: nothing went out, so the outbox may try again. Any other failure
            # (no answer, a failure after WeChat had it) flags the job instead of repeating it.
            raise NotDelivered(f"WeChat refused the message: {exc.errcode} {exc.errmsg}") from exc
        MessageLog.create(
            dedupe_key=dedupe_key, touser=openid, template_id=template, status="refused", errcode=exc.errcode
        )
        return "refused"
    MessageLog.create(
        dedupe_key=dedupe_key, touser=openid, template_id=template, status="sent", msgid=result.get("msgid")
    )
    return "sent"


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
