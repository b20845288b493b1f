"""The owner's daily digest: receivables, what is overdue, reminders sent and refused, promises
broken, new warnings, requests waiting; kept per day and pushed to the owner's WeChat (AT_MOST_ONCE).
"""

from __future__ import annotations

import datetime as dt
import json
from typing import Any

import peewee as pw

from backend import clock, subscribe_messages
from backend.approvals import services as approvals
from backend.auth.models import User
from backend.db import transaction
from backend.jobs.outbox import enqueue
from backend.jobs.registry import AT_MOST_ONCE, job
from backend.ledger.services import tuples
from backend.money import format_yuan
from backend.receivables.credit.models import CreditDigest, CreditWarning, DunningStep, PromiseToPay
from backend.receivables.models import Invoice


def build(today: dt.date) -> dict[str, Any]:
    open_fen, overdue_fen, overdue_customers = tuples(
        Invoice.select(
            pw.fn.COALESCE(pw.fn.SUM(Invoice.open_fen), 0),
            pw.fn.COALESCE(pw.fn.SUM(pw.Case(None, [(Invoice.due_on < today, Invoice.open_fen)], 0)), 0),
            pw.fn.COUNT(pw.fn.DISTINCT(pw.Case(None, [(Invoice.due_on < today, Invoice.customer)], None))),
        ).where(Invoice.open_fen > 0)
    )[0]
    steps = dict(
        tuples(
            DunningStep.select(DunningStep.status, pw.fn.COUNT(DunningStep.id))
            .where(DunningStep.due_on == today)
            .group_by(DunningStep.status)
        )
    )
    start, end = clock.day_bounds(today)
    broken = PromiseToPay.select().where(
        (PromiseToPay.status == "broken")
        & (PromiseToPay.resolved_at >= start)
        & (PromiseToPay.resolved_at < end)
    )
    return {
        "day": today.isoformat(),
        "open_fen": int(open_fen),
        "overdue_fen": int(overdue_fen),
        "overdue_customers": int(overdue_customers),
        "reminders": {str(k): int(v) for k, v in steps.items()},
        "promises_broken": int(broken.count()),
        "new_warnings": int(CreditWarning.select().where(CreditWarning.raised_on == today).count()),
        "open_warnings": int(CreditWarning.select().where(CreditWarning.open_key.is_null(False)).count()),
        "approvals_waiting": approvals.pending_count(),
    }


def write(today: dt.date | None = None) -> CreditDigest:
    """Today's digest, once (a rerun returns the one already written), and its push to each owner."""
    today = today or clock.today()
    with transaction():
        existing = CreditDigest.get_or_none(CreditDigest.day == today)
        if existing is not None:
            return existing
        row = CreditDigest.create(
            day=today, body=json.dumps(build(today), ensure_ascii=False, sort_keys=True)
        )
        for (owner_id,) in tuples(
            User.select(User.id).where((User.role == "owner") & User.disabled_at.is_null())
        ):
            enqueue(
                "receivables.credit_digest_send",
                {"digest_id": row.id, "user_id": owner_id},
                dedupe_key=f"digest:{today}:{owner_id}",
            )
        return row


@job("receivables.credit_digest_send", delivery=AT_MOST_ONCE)
def send(payload: dict[str, Any]) -> None:
    """Push the digest's headline; an owner without WeChat, or without a grant, reads it in the console."""
    openid = subscribe_messages.openid_of_user(int(payload["user_id"]))
    if openid is None:
        return
    body = json.loads(CreditDigest.get_by_id(int(payload["digest_id"])).body)
    data = {
        "date1": {"value": body["day"]},
        "amount2": {"value": f"{format_yuan(body['overdue_fen'])}元"},
        "thing3": {"value": f"逾期{body['overdue_customers']}户 待审批{body['approvals_waiting']}"[:20]},
    }
    # No grant left or no quota: the digest waits in the console all the same.
    subscribe_messages.send(
        openid,
        subscribe_messages.template_id("template_credit_digest", "TPL_CREDIT_DIGEST"),
        data,
        page="pages/owner/credit",
    )
