"""WeChat subscribe messages: the one way the product sends them (reminders, statements, the owner's
digest, e-receipts). A grant is one-time and WeChat takes no idempotency key, so every sender is an
AT_MOST_ONCE outbox job (backend/jobs/registry.py); these are the parts they share: whose openid,
which template, and what WeChat's answer means."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from wechatpy.exceptions import WeChatClientException

from backend import runtime
from backend.auth.models import WechatIdentity
from backend.jobs.registry import NotDelivered

NOT_SUBSCRIBED, QUOTA = 43101, 45009
# WeChat's refusals that are answers, not failures: no grant left for this template, or the day's
# quota spent. Recorded as they are (a person follows up), never retried.
REFUSED = {NOT_SUBSCRIBED: "not_subscribed", QUOTA: "quota"}


def openid_of_user(user_id: int | None) -> str | None:
    """The mini-program openid of a user's WeChat login (their first), if they have one."""
    if user_id is None:
        return None
    identity = (
        WechatIdentity.select().where(WechatIdentity.user == user_id).order_by(WechatIdentity.id).first()
    )
    return identity.openid if identity else None


def template_id(setting: str, default: str) -> str:
    """The template a merchant chose in WeChat's console for this message (settings' `extra`)."""
    try:
        extra = runtime.settings().extra
    except RuntimeError:
        extra = {}
    return str(extra.get(setting, default))


@dataclass(frozen=True)
class Answer:
    status: str  # sent | not_subscribed | quota
    errcode: int | None = None
    msgid: Any = None


def send(openid: str, template: str, data: dict[str, Any], *, page: str) -> Answer:
    """One message. WeChat's refusals come back as an answer; any other error raises NotDelivered
    (nothing went out, so the outbox tries again)."""
    try:
        answer = runtime.miniprogram_client().wxa.send_subscribe_message(openid, template, data, page=page)
    except WeChatClientException as exc:
        if exc.errcode in REFUSED:
            return Answer(REFUSED[exc.errcode], errcode=exc.errcode)
        raise NotDelivered(f"WeChat refused the message: {exc.errcode} {exc.errmsg}") from exc
    return Answer("sent", msgid=answer.get("msgid"))
