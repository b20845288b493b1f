"""Bad-debt warnings: rules over each credit customer's standing, raised when a rule starts to fire
and cleared when it stops; the open ones are listed for the owner and pushed in the daily digest.
The owner sets each rule's threshold (`set_thresholds`, audited); until then the defaults hold:

- days_overdue: the oldest overdue invoice is 60 days or more past due
- amount: ¥10,000 or more overdue
- score_falling: the score fell by 15 points or more over 30 days
- utilisation: exposure at 90% of the limit or more
- broken_promises: two or more promises to pay broken in 90 days
"""

from __future__ import annotations

import datetime as dt
import json
from collections import defaultdict
from dataclasses import asdict, dataclass, replace
from typing import Any

import peewee as pw

from backend import audit, clock
from backend.auth.models import User
from backend.db import transaction
from backend.errors import PermissionDenied
from backend.kernel.models import Customer
from backend.ledger.services import tuples
from backend.receivables.credit.errors import InvalidWarningThresholds
from backend.receivables.credit.models import CreditScore, CreditWarning, PromiseToPay, WarningRuleSettings
from backend.receivables.credit.scoring import credit_customers
from backend.receivables.models import AdvanceAccount, Invoice

RULES = ("days_overdue", "amount", "score_falling", "utilisation", "broken_promises")


@dataclass(frozen=True)
class Thresholds:
    days_overdue: int = 60
    overdue_fen: int = 1_000_000
    score_drop: int = 15
    utilisation_pct: int = 90
    broken_promises: int = 2


DEFAULTS = Thresholds()
# Each threshold's allowed range (inclusive): beyond it a rule would never or always fire.
RANGES = {
    "days_overdue": (1, 3650),
    "overdue_fen": (1, 10**13),
    "score_drop": (1, 100),
    "utilisation_pct": (1, 100),
    "broken_promises": (1, 100),
}


def thresholds() -> Thresholds:
    """The thresholds in force: the owner's latest setting, else the defaults."""
    row = WarningRuleSettings.select().order_by(WarningRuleSettings.id.desc()).first()
    if row is None:
        return DEFAULTS
    return Thresholds(**{name: int(getattr(row, name)) for name in RANGES})


def set_thresholds(changes: dict[str, Any], *, actor_id: int) -> Thresholds:
    """The owner changes some thresholds (the others stay); audited with the old and new values."""
    actor = User.get_or_none(User.id == actor_id)
    if actor is None or actor.role != "owner":
        raise PermissionDenied()
    problems = {
        name: f"a whole number from {low} to {high}"
        for name, value in changes.items()
        for low, high in [RANGES.get(name, (1, 0))]
        if name not in RANGES
        or not isinstance(value, int)
        or isinstance(value, bool)
        or not low <= value <= high
    }
    if problems or not changes:
        raise InvalidWarningThresholds(details={"fields": problems or {"": "give at least one threshold"}})
    with transaction():
        old = thresholds()
        new = replace(old, **changes)
        WarningRuleSettings.create(changed_by=actor_id, **asdict(new))
        audit.record(
            actor_id,
            "credit.warning_thresholds",
            "setting",
            "credit_warning_rules",
            old=asdict(old),
            new=asdict(new),
        )
    return new


def _firing(today: dt.date) -> dict[tuple[int, str], dict[str, Any]]:
    limits = thresholds()
    firing: dict[tuple[int, str], dict[str, Any]] = {}
    overdue = tuples(
        Invoice.select(Invoice.customer, pw.fn.SUM(Invoice.open_fen), pw.fn.MIN(Invoice.due_on))
        .where((Invoice.open_fen > 0) & (Invoice.due_on < today))
        .group_by(Invoice.customer)
    )
    for customer_id, fen, oldest in overdue:
        if isinstance(oldest, str):
            oldest = dt.date.fromisoformat(oldest)
        days = (today - oldest).days
        if days >= limits.days_overdue:
            firing[customer_id, "days_overdue"] = {"days": days}
        if int(fen) >= limits.overdue_fen:
            firing[customer_id, "amount"] = {"overdue_fen": int(fen)}
    credit = pw.fn.COALESCE(AdvanceAccount.balance_fen, 0)  # paid ahead, taken by their next invoice
    for customer_id, limit, exposure in tuples(
        credit_customers()
        .select(
            Customer.id,
            Customer.credit_limit_fen,
            Customer.balance_fen + Customer.uninvoiced_fen - credit,
        )
        .join(AdvanceAccount, pw.JOIN.LEFT_OUTER, on=(AdvanceAccount.customer == Customer.id))
        .where(Customer.credit_limit_fen > 0)
    ):
        if exposure * 100 >= limit * limits.utilisation_pct:
            firing[customer_id, "utilisation"] = {"exposure_fen": int(exposure), "limit_fen": limit}
    latest = CreditScore.select(pw.fn.MAX(CreditScore.scored_on)).scalar()
    if latest is not None:
        if isinstance(latest, str):
            latest = dt.date.fromisoformat(latest)
        then = latest - dt.timedelta(days=30)
        scores: dict[int, dict[str, int]] = defaultdict(dict)
        for customer_id, day, score in tuples(
            CreditScore.select(CreditScore.customer, CreditScore.scored_on, CreditScore.score).where(
                CreditScore.scored_on.in_([latest, then])
            )
        ):
            scores[customer_id][str(day)] = score
        for customer_id, pair in scores.items():
            now, before = pair.get(str(latest)), pair.get(str(then))
            if now is not None and before is not None and before - now >= limits.score_drop:
                firing[customer_id, "score_falling"] = {"from": before, "to": now}
    for customer_id, count in tuples(
        PromiseToPay.select(PromiseToPay.customer, pw.fn.COUNT(PromiseToPay.id))
        .where(
            (PromiseToPay.status == "broken") & (PromiseToPay.promised_on >= today - dt.timedelta(days=90))
        )
        .group_by(PromiseToPay.customer)
    ):
        if count >= limits.broken_promises:
            firing[customer_id, "broken_promises"] = {"broken": int(count)}
    return firing


def evaluate(today: dt.date | None = None) -> dict[str, int]:
    """Raise warnings that start firing, clear those that stopped. Safe to run twice a day."""
    today = today or clock.today()
    firing = _firing(today)
    open_rows = {
        (w.customer_id, w.rule): w
        for w in CreditWarning.select().where(CreditWarning.open_key.is_null(False))
    }
    raised = [key for key in firing if key not in open_rows]
    cleared = [w.id for key, w in open_rows.items() if key not in firing]
    with transaction():
        for start in range(0, len(raised), 500):
            CreditWarning.insert_many(
                [
                    {
                        "customer": c,
                        "rule": rule,
                        "detail": json.dumps(firing[c, rule], sort_keys=True),
                        "raised_on": today,
                        "open_key": f"{c}:{rule}",
                    }
                    for c, rule in raised[start : start + 500]
                ]
            ).on_conflict_ignore().execute()
        for start in range(0, len(cleared), 500):
            CreditWarning.update(cleared_on=today, open_key=None).where(
                CreditWarning.id.in_(cleared[start : start + 500])
            ).execute()
    return {"raised": len(raised), "cleared": len(cleared)}


def open_warnings() -> pw.ModelSelect[Any]:
    return CreditWarning.select().where(CreditWarning.open_key.is_null(False))
