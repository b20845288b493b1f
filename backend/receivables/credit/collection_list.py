"""The staff collection list: who to call today and how much, each customer's history, and
promises to pay (承诺付款) kept or broken.

A customer is on today's list when they owe something overdue and any of: the dunning schedule has
escalated one of their invoices to a person; WeChat could not take a reminder (not subscribed, quota
spent, no WeChat login); a promise falls due today or was broken; a follow-up was set for today or
earlier and nobody has noted anything since. The list is ordered by what is overdue, largest first.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from typing import Any

import peewee as pw

from backend import audit, clock
from backend.auth.models import User
from backend.db import transaction
from backend.errors import ValidationFailed
from backend.kernel.models import Customer
from backend.ledger.services import tuples
from backend.receivables.credit.models import CollectionNote, DunningStep, PromiseToPay
from backend.receivables.errors import UnknownCustomer
from backend.receivables.models import Invoice, Payment

OUTCOMES = ("called", "no_answer", "visited", "promise", "other")
REFUSED_STEPS = ("not_subscribed", "quota", "no_wechat")
MAX_PROMISE_DAYS = 180
RECENT_DAYS = 30  # a WeChat refusal older than this no longer puts a customer on the list by itself


@dataclass
class Worklist:
    customer_id: int
    name: str
    phone: str | None
    overdue_fen: int
    open_fen: int
    oldest_due_on: dt.date | None
    reasons: list[str] = field(default_factory=list)
    promise: PromiseToPay | None = None
    last_note: CollectionNote | None = None


def record_contact(
    customer_id: int,
    author_id: int,
    outcome: str,
    note: str = "",
    *,
    follow_up_on: dt.date | None = None,
    promise_fen: int | None = None,
    promised_on: dt.date | None = None,
) -> CollectionNote:
    """A call, a visit, or a promise to pay (outcome 'promise' with an amount and a day)."""
    today = clock.today()
    customer = Customer.get_or_none(Customer.id == customer_id)
    if customer is None:
        raise UnknownCustomer(details={"customer_id": customer_id})
    problems: dict[str, str] = {}
    if outcome not in OUTCOMES:
        problems["outcome"] = f"must be one of {', '.join(OUTCOMES)}"
    if len(note) > 1000:
        problems["note"] = "at most 1000 characters"
    if follow_up_on is not None and not today <= follow_up_on <= today + dt.timedelta(days=MAX_PROMISE_DAYS):
        problems["follow_up_on"] = f"a day from today to {MAX_PROMISE_DAYS} days ahead"
    if outcome == "promise":
        if (
            not isinstance(promise_fen, int)
            or isinstance(promise_fen, bool)
            or not 0 < promise_fen <= customer.balance_fen
        ):
            problems["promise_fen"] = f"a whole number of fen from 1 to what is owed ({customer.balance_fen})"
        if promised_on is None or not today <= promised_on <= today + dt.timedelta(days=MAX_PROMISE_DAYS):
            problems["promised_on"] = f"a day from today to {MAX_PROMISE_DAYS} days ahead"
    elif promise_fen is not None or promised_on is not None:
        problems["outcome"] = "a promise's amount and day need outcome 'promise'"
    if problems:
        raise ValidationFailed(
            "The collection note is invalid",
            "催收记录有误",
            code="invalid_collection_note",
            details={"fields": problems},
        )
    with transaction():
        row = CollectionNote.create(
            customer=customer_id,
            author=author_id,
            outcome=outcome,
            note=note.strip(),
            follow_up_on=follow_up_on or (promised_on + dt.timedelta(days=1) if promised_on else None),
        )
        # Someone has acted on the customer: their escalated reminders are handled.
        DunningStep.update(status="done").where(
            (DunningStep.customer == customer_id)
            & (DunningStep.channel == "person")
            & (DunningStep.status == "open")
        ).execute()
        if outcome == "promise":
            PromiseToPay.create(
                customer=customer_id, note=row.id, amount_fen=promise_fen, promised_on=promised_on
            )
        audit.record(
            author_id,
            "credit.collection_note",
            "customer",
            customer_id,
            outcome=outcome,
            promise_fen=promise_fen,
            promised_on=promised_on,
        )
    return row


def resolve_promises(today: dt.date | None = None) -> dict[str, int]:
    """Nightly: a promise is kept once collections since it reach its amount (by its day), broken the
    day after its day if not."""
    today = today or clock.today()
    counts = {"kept": 0, "broken": 0}
    with transaction():
        for promise in PromiseToPay.select().where(PromiseToPay.status == "open"):
            collected = int(
                Payment.select(pw.fn.COALESCE(pw.fn.SUM(Payment.amount_fen), 0))
                .where(
                    (Payment.customer == promise.customer_id)
                    & (Payment.direction == "in")
                    & (Payment.created_at >= promise.created_at)
                    & (Payment.created_at < clock.day_bounds(promise.promised_on)[1])
                )
                .scalar()
            )
            if collected >= promise.amount_fen:
                status = "kept"
            elif today > promise.promised_on:
                status = "broken"
            else:
                continue
            PromiseToPay.update(status=status, collected_fen=collected, resolved_at=clock.now()).where(
                PromiseToPay.id == promise.id
            ).execute()
            counts[status] += 1
    return counts


def broken_promises(customer_id: int, since: dt.date | None = None) -> int:
    query = PromiseToPay.select().where(
        (PromiseToPay.customer == customer_id) & (PromiseToPay.status == "broken")
    )
    if since is not None:
        query = query.where(PromiseToPay.promised_on >= since)
    return int(query.count())


def _overdue_by_customer(
    today: dt.date, customer_ids: list[int] | None = None
) -> dict[int, tuple[int, int, Any]]:
    """customer -> (overdue fen, open fen, oldest due day), for customers with anything overdue."""
    query = Invoice.select(
        Invoice.customer,
        pw.fn.SUM(pw.Case(None, [(Invoice.due_on < today, Invoice.open_fen)], 0)),
        pw.fn.SUM(Invoice.open_fen),
        pw.fn.MIN(pw.Case(None, [(Invoice.due_on < today, Invoice.due_on)], None)),
    ).where(Invoice.open_fen > 0)
    if customer_ids is not None:
        query = query.where(Invoice.customer.in_(customer_ids))
    out = {}
    for customer_id, overdue, open_, oldest in tuples(query.group_by(Invoice.customer)):
        if overdue:
            if isinstance(oldest, str):
                oldest = dt.date.fromisoformat(oldest)
            out[int(customer_id)] = (int(overdue), int(open_), oldest)
    return out


def worklist(today: dt.date | None = None) -> list[Worklist]:
    """Today's list, largest overdue first (a fixed number of queries however long it is)."""
    today = today or clock.today()
    reasons: dict[int, list[str]] = {}

    def flag(customer_ids: Any, reason: str) -> None:
        for (customer_id,) in customer_ids:
            reasons.setdefault(int(customer_id), []).append(reason)

    flag(
        tuples(
            DunningStep.select(DunningStep.customer)
            .where((DunningStep.channel == "person") & (DunningStep.status == "open"))
            .distinct()
        ),
        "escalated",
    )
    flag(
        tuples(
            DunningStep.select(DunningStep.customer)
            .where(
                DunningStep.status.in_(REFUSED_STEPS)
                & (DunningStep.due_on >= today - dt.timedelta(days=RECENT_DAYS))
            )
            .distinct()
        ),
        "wechat_refused",
    )
    flag(
        tuples(
            PromiseToPay.select(PromiseToPay.customer)
            .where((PromiseToPay.status == "open") & (PromiseToPay.promised_on == today))
            .distinct()
        ),
        "promise_due",
    )
    flag(
        tuples(
            PromiseToPay.select(PromiseToPay.customer)
            .where(
                (PromiseToPay.status == "broken")
                & (PromiseToPay.resolved_at >= clock.day_bounds(today - dt.timedelta(days=RECENT_DAYS))[0])
            )
            .distinct()
        ),
        "promise_broken",
    )
    latest_note = CollectionNote.select(
        CollectionNote.customer, pw.fn.MAX(CollectionNote.id).alias("last")
    ).group_by(CollectionNote.customer)
    due_follow_ups = (
        CollectionNote.select(CollectionNote.customer)
        .join(latest_note, on=(CollectionNote.id == latest_note.c.last))
        .where(CollectionNote.follow_up_on <= today)
    )
    flag(tuples(due_follow_ups), "follow_up")
    if not reasons:
        return []
    overdue = _overdue_by_customer(today, list(reasons))
    ids = sorted(overdue, key=lambda c: (-overdue[c][0], c))
    customers = {c.id: c for c in Customer.select().where(Customer.id.in_(ids))}
    promises = {
        p.customer_id: p
        for p in PromiseToPay.select().where(PromiseToPay.customer.in_(ids)).order_by(PromiseToPay.id)
    }
    notes = {
        n.customer_id: n
        for n in CollectionNote.select().where(CollectionNote.customer.in_(ids)).order_by(CollectionNote.id)
    }
    return [
        Worklist(
            customer_id=c,
            name=customers[c].name,
            phone=customers[c].phone,
            overdue_fen=overdue[c][0],
            open_fen=overdue[c][1],
            oldest_due_on=overdue[c][2],
            reasons=sorted(set(reasons[c])),
            promise=promises.get(c),
            last_note=notes.get(c),
        )
        for c in ids
    ]


def history(customer_id: int, limit: int = 50) -> dict[str, list[Any]]:
    """A customer's collection history, newest first: notes, promises and dunning steps."""
    return {
        "notes": list(
            CollectionNote.select(CollectionNote, User)
            .join(User)
            .where(CollectionNote.customer == customer_id)
            .order_by(CollectionNote.id.desc())
            .limit(limit)
        ),
        "promises": list(
            PromiseToPay.select()
            .where(PromiseToPay.customer == customer_id)
            .order_by(PromiseToPay.id.desc())
            .limit(limit)
        ),
        "dunning": list(
            DunningStep.select()
            .where(DunningStep.customer == customer_id)
            .order_by(DunningStep.id.desc())
            .limit(limit)
        ),
    }
