"""Dunning: reminders of open invoices by WeChat subscribe message on a schedule of days around the
due date (default 3 days before, on the day, +7, +15, +30), then a person takes over.

`plan(today)` (nightly) writes each step due today as a row unique per (invoice, step): a step is
written once per invoice, however often the job runs, and its send goes through the outbox. When
several steps fell due since the last run, only the latest is sent (a customer gets one reminder a
night, not a backlog). Nothing is planned for a paid invoice, and `send_step` looks again right
before the call: an invoice paid after planning is not reminded ("stopped_paid").

The send is AT_MOST_ONCE (a subscribe message must not arrive twice). WeChat's refusals are kept as
they are: 43101 (no grant left: the customer has not subscribed) and 45009 (the day's quota spent)
are final for that step and put the customer on the staff collection list; no WeChat login at all
likewise. Other refusals are retried by the outbox.
"""

from __future__ import annotations

import datetime as dt
import json
import logging
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

import peewee as pw

from backend import audit, clock, subscribe_messages
from backend.db import transaction
from backend.jobs.outbox import enqueue
from backend.jobs.registry import AT_MOST_ONCE, job
from backend.kernel.models import Customer
from backend.ledger.services import tuples
from backend.money import format_yuan
from backend.receivables.credit.errors import InvalidCreditTerms
from backend.receivables.credit.models import CreditScore, DunningSchedule, DunningStep
from backend.receivables.models import Invoice

log = logging.getLogger("yecai.credit")

DEFAULT_STEPS = (-3, 0, 7, 15, 30)
DEFAULT_ESCALATE_DAYS = 30
# A missed night is caught up on the next: invoices whose last step fell due this many days ago
# are still looked at.
CATCH_UP_DAYS = 14
BATCH = 500


@dataclass(frozen=True)
class Schedule:
    steps: tuple[int, ...]
    escalate_days: int

    def latest_due(self, due_on: dt.date, today: dt.date) -> int | None:
        """The latest reminder step whose day has come, if any."""
        due = [k for k in self.steps if due_on + dt.timedelta(days=k) <= today]
        return due[-1] if due else None


DEFAULT = Schedule(DEFAULT_STEPS, DEFAULT_ESCALATE_DAYS)


def _schedule(row: DunningSchedule) -> Schedule:
    return Schedule(tuple(json.loads(row.steps)), row.escalate_days)


def check_schedule(steps: Any, escalate_days: Any) -> Schedule:
    ok = (
        isinstance(steps, list)
        and 0 < len(steps) <= 10
        and all(isinstance(k, int) and not isinstance(k, bool) and -30 <= k <= 365 for k in steps)
        and steps == sorted(set(steps))
        and isinstance(escalate_days, int)
        and not isinstance(escalate_days, bool)
        and 0 <= escalate_days <= 730
    )
    if not ok:
        raise InvalidCreditTerms(
            "Steps are 1 to 10 distinct days from -30 to 365 in ascending order; escalation 0 to 730 days",
            "催收步骤为 1 到 10 个递增且不重复的天数（-30 到 365），升级天数 0 到 730",
            details={"steps": str(steps), "escalate_days": str(escalate_days)},
        )
    return Schedule(tuple(steps), escalate_days)


def set_schedule(
    steps: list[int],
    escalate_days: int,
    *,
    actor_id: int,
    customer_id: int | None = None,
    grade: str | None = None,
) -> DunningSchedule:
    """The owner sets the schedule for one customer, for a grade, or the default (neither)."""
    check_schedule(steps, escalate_days)
    if grade is not None and grade not in "ABCDE":
        raise InvalidCreditTerms(details={"grade": grade})
    name = f"customer {customer_id}" if customer_id else f"grade {grade}" if grade else "default"
    with transaction():
        query = DunningSchedule.select().where(
            (DunningSchedule.customer == customer_id) if customer_id else DunningSchedule.customer.is_null()
        )
        query = query.where((DunningSchedule.grade == grade) if grade else DunningSchedule.grade.is_null())
        row = query.first()
        old = (json.loads(row.steps), row.escalate_days) if row else None
        if row is None:
            row = DunningSchedule.create(
                name=name,
                customer=customer_id,
                grade=grade,
                steps=json.dumps(steps),
                escalate_days=escalate_days,
            )
        else:
            DunningSchedule.update(
                steps=json.dumps(steps), escalate_days=escalate_days, changed_by=actor_id
            ).where(DunningSchedule.id == row.id).execute()
        audit.record(
            actor_id,
            "credit.dunning_schedule",
            "dunning_schedule",
            row.id,
            name=name,
            old=old,
            new=[steps, escalate_days],
        )
    return DunningSchedule.get_by_id(row.id)


class Schedules:
    """Which schedule each customer is on: their own, else their grade's, else the default."""

    def __init__(self) -> None:
        rows = list(DunningSchedule.select())
        self.by_customer = {r.customer_id: _schedule(r) for r in rows if r.customer_id is not None}
        by_grade = {r.grade: _schedule(r) for r in rows if r.grade is not None}
        default = [r for r in rows if r.customer_id is None and r.grade is None]
        self.default = _schedule(default[0]) if default else DEFAULT
        self.grade_of: dict[int, str] = {}
        if by_grade:
            latest = CreditScore.select(pw.fn.MAX(CreditScore.scored_on)).scalar()
            self.grade_of = {
                c: g
                for c, g in tuples(
                    CreditScore.select(CreditScore.customer, CreditScore.grade).where(
                        CreditScore.scored_on == latest
                    )
                )
            }
        self.by_grade = by_grade
        everything = [self.default, *self.by_customer.values(), *by_grade.values()]
        self.earliest = min(s.steps[0] for s in everything)
        self.latest = max(max(s.steps[-1], s.escalate_days) for s in everything)

    def of(self, customer_id: int) -> Schedule:
        if customer_id in self.by_customer:
            return self.by_customer[customer_id]
        grade = self.grade_of.get(customer_id)
        return self.by_grade.get(grade, self.default) if grade else self.default


def _chunks(items: list[Any], size: int) -> Iterable[list[Any]]:
    for start in range(0, len(items), size):
        yield items[start : start + size]


def plan(today: dt.date | None = None) -> dict[str, int]:
    """Write today's dunning steps and queue their sends. Safe to run any number of times a day."""
    today = today or clock.today()
    schedules = Schedules()
    window = (
        (Invoice.open_fen > 0)
        & (Invoice.due_on <= today - dt.timedelta(days=schedules.earliest))
        & (Invoice.due_on >= today - dt.timedelta(days=schedules.latest + CATCH_UP_DAYS))
    )
    candidates = list(
        Invoice.select(Invoice.id, Invoice.customer, Invoice.due_on, Invoice.open_fen).where(window).tuples()
    )
    counts = {"wechat": 0, "person": 0}
    for chunk in _chunks(candidates, BATCH):
        taken: dict[int, dict[str, int]] = defaultdict(dict)
        for invoice_id, offset, channel in tuples(
            DunningStep.select(DunningStep.invoice, DunningStep.offset_days, DunningStep.channel).where(
                DunningStep.invoice.in_([c[0] for c in chunk])
            )
        ):
            taken[invoice_id][channel] = max(offset, taken[invoice_id].get(channel, offset))
        reminders, escalations = [], []
        for invoice_id, customer_id, due_on, open_fen in chunk:
            if isinstance(due_on, str):
                due_on = dt.date.fromisoformat(due_on)
            schedule = schedules.of(customer_id)
            step = schedule.latest_due(due_on, today)
            last = taken[invoice_id].get("wechat")
            row = {
                "invoice": invoice_id,
                "customer": customer_id,
                "open_fen": open_fen,
                "created_at": clock.now(),
            }
            if step is not None and (last is None or step > last):
                due = due_on + dt.timedelta(days=step)
                reminders.append(
                    {**row, "offset_days": step, "channel": "wechat", "due_on": due, "status": "queued"}
                )
            escalate_on = due_on + dt.timedelta(days=schedule.escalate_days)
            if escalate_on <= today and "person" not in taken[invoice_id]:
                escalations.append(
                    {
                        **row,
                        "offset_days": schedule.escalate_days,
                        "channel": "person",
                        "due_on": escalate_on,
                        "status": "open",
                    }
                )
        with transaction():
            if reminders:
                step_ids = DunningStep.insert_many(reminders).returning(DunningStep.id).tuples().execute()
                for (step_id,) in step_ids:
                    enqueue("receivables.dunning_send", {"step_id": step_id}, dedupe_key=f"dunning:{step_id}")
            if escalations:
                DunningStep.insert_many(escalations).execute()
        counts["wechat"] += len(reminders)
        counts["person"] += len(escalations)
    return counts


def _finish(step_id: int, status: str, **values: Any) -> None:
    with transaction():
        DunningStep.update(status=status, **values).where(
            (DunningStep.id == step_id) & (DunningStep.status == "queued")
        ).execute()


@job("receivables.dunning_send", delivery=AT_MOST_ONCE)
def send_step(payload: dict[str, Any]) -> None:
    step = DunningStep.get_or_none(DunningStep.id == int(payload["step_id"]))
    if step is None or step.status != "queued":
        return
    invoice = Invoice.get_by_id(step.invoice_id)
    if invoice.open_fen == 0:
        _finish(step.id, "stopped_paid")
        return
    customer = Customer.get_by_id(step.customer_id)
    openid = subscribe_messages.openid_of_user(customer.user_id)
    if openid is None:
        _finish(step.id, "no_wechat")
        return
    days = step.offset_days
    when = "今天到期" if days == 0 else f"{-days}天后到期" if days < 0 else f"已逾期{days}天"
    data = {
        "character_string1": {"value": str(invoice.id)},
        "amount2": {"value": f"{format_yuan(invoice.open_fen)}元"},
        "date3": {"value": invoice.due_on.isoformat()},
        "thing4": {"value": when[:20]},
    }
    answer = subscribe_messages.send(
        openid,
        subscribe_messages.template_id("template_dunning", "TPL_DUNNING"),
        data,
        page=f"pages/invoice/detail?id={invoice.id}",
    )
    if answer.status != "sent":
        _finish(step.id, answer.status, errcode=answer.errcode)
        return
    _finish(step.id, "sent", msgid=answer.msgid, sent_at=clock.now())
