"""Rebates (返利) by volume: the owner sets a rule per distributor or per grade with tiers of a month's
sales; once the month (of merchant days) has ended, one run works out what every distributor earned
and credits it to their account, where it pays their next invoices (the unapplied-credit service).

A month's sales are the distributor's orders placed in it that were sold (not pending, awaiting
approval or cancelled), less what was given back on them (refunds, after-sales credit): VAT included,
as invoiced. The highest tier reached applies: `percent_bp` of those sales (rounded half up) or a
fixed amount. A customer's own active rule wins over their grade's.

Running a month twice accrues it once: the run row is unique per month, and each accrual per
customer and month.

How it is booked (小企业会计准则), and why:
- A volume rebate is a sales allowance (销售折让) on goods already sold: 第六十条 has it reduce the
  revenue of the period in which it is given, so it debits 5001 主营业务收入 (net) and, since the
  merchant gives it with a red-letter fapiao (or as a discount line), 2221 应交增值税(销项) by the
  VAT share of the month's sales (the last fen rounded half up).
- The credit side is 2203 预收账款 under the customer, not a separate rebate liability: the amount is
  known when the month has ended (nothing is estimated — this standard has no 预计负债 to hold an
  estimate anyway) and it is given at once as credit that pays for the distributor's next goods,
  which is what a customer's balance held in advance is. The same credit is the customer's unapplied
  credit (backend/receivables/advances.py), so a new invoice on account takes it and `yecai check`
  ties it to its vouchers; a liability account such as 2241 其他应付款 would only be emptied into 2203
  on the same day.
  Voucher: Dr 5001 (net), Dr 2221 (VAT) / Cr 2203 (customer).
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import peewee as pw

from backend import audit, clock
from backend.db import savepoint, transaction
from backend.kernel.models import Customer, Order
from backend.ledger import chart
from backend.ledger.services import Cr, Dr, post_entry
from backend.money import round_half_up_div
from backend.receivables import advances
from store.distribution.errors import InvalidRebatePeriod, InvalidRebateRule, RebateRuleNotFound, UnknownGrade
from store.distribution.models import (
    CustomerGrade,
    CustomerGradeMember,
    RebateAccrual,
    RebateRule,
    RebateRun,
    RebateTier,
)

MAX_TIERS = 20
MAX_SALES_FEN = 10**15
NOT_SOLD = ("pending_payment", "awaiting_approval", "cancelled")
EVENT = "rebate.accrued"


# ---------------------------------------------------------------- rules


def _whole(value: Any) -> bool:
    return isinstance(value, int) and not isinstance(value, bool)


def create_rule(
    name: str,
    scope: str,
    tiers: Sequence[dict[str, Any]],
    *,
    customer_id: int | None = None,
    grade_id: int | None = None,
    actor_id: int | None = None,
) -> RebateRule:
    """A rule with its tiers: each tier `min_sales_fen` (distinct, from 0) and exactly one of
    `percent_bp` (1..10000) or `fixed_fen` (> 0). Bad input changes nothing."""
    name = (name or "").strip()
    if not name or len(name) > 64:
        raise InvalidRebateRule(details={"name": name})
    if scope not in ("customer", "grade") or (scope == "customer") != (customer_id is not None):
        raise InvalidRebateRule(details={"scope": scope, "customer_id": customer_id, "grade_id": grade_id})
    if (scope == "grade") != (grade_id is not None):
        raise InvalidRebateRule(details={"scope": scope, "customer_id": customer_id, "grade_id": grade_id})
    if not tiers or len(tiers) > MAX_TIERS:
        raise InvalidRebateRule(details={"tiers": len(tiers), "max_tiers": MAX_TIERS})
    seen: set[int] = set()
    for tier in tiers:
        minimum, percent, fixed = tier.get("min_sales_fen"), tier.get("percent_bp"), tier.get("fixed_fen")
        ok = (
            _whole(minimum)
            and isinstance(minimum, int)
            and 0 <= minimum <= MAX_SALES_FEN
            and minimum not in seen
            and ((percent is None) != (fixed is None))
            and (percent is None or (_whole(percent) and isinstance(percent, int) and 0 < percent <= 10_000))
            and (fixed is None or (_whole(fixed) and isinstance(fixed, int) and 0 < fixed <= MAX_SALES_FEN))
        )
        if not ok or not isinstance(minimum, int):
            raise InvalidRebateRule(details={"tier": tier})
        seen.add(minimum)
    with transaction():
        if customer_id is not None and not (
            Customer.select().where((Customer.id == customer_id) & (Customer.kind == "distributor")).exists()
        ):
            raise InvalidRebateRule(
                "A rebate rule is for a distributor",
                "返利规则只能给经销商",
                details={"customer_id": customer_id},
            )
        if grade_id is not None and not CustomerGrade.select().where(CustomerGrade.id == grade_id).exists():
            raise UnknownGrade(details={"grade_id": grade_id})
        rule = RebateRule.create(
            name=name, scope=scope, customer=customer_id, grade=grade_id, created_by=actor_id
        )
        RebateTier.insert_many(
            [
                {
                    "rule": rule.id,
                    "min_sales_fen": t["min_sales_fen"],
                    "percent_bp": t.get("percent_bp"),
                    "fixed_fen": t.get("fixed_fen"),
                }
                for t in sorted(tiers, key=lambda t: t["min_sales_fen"])
            ]
        ).execute()
        audit.record(
            actor_id,
            "rebate.rule_create",
            "rebate_rule",
            rule.id,
            name=name,
            scope=scope,
            customer_id=customer_id,
            grade_id=grade_id,
            tiers=[dict(t) for t in tiers],
        )
        return rule


def set_active(rule_id: int, active: bool, *, actor_id: int | None = None) -> RebateRule:
    with transaction():
        if RebateRule.update(active=active).where(RebateRule.id == rule_id).execute() != 1:
            raise RebateRuleNotFound(details={"rebate_rule_id": rule_id})
        audit.record(actor_id, "rebate.rule_active", "rebate_rule", rule_id, active=active)
        return RebateRule.get_by_id(rule_id)


def tiers_of(rule_ids: Sequence[int]) -> dict[int, list[RebateTier]]:
    found: dict[int, list[RebateTier]] = {r: [] for r in rule_ids}
    if rule_ids:
        for tier in (
            RebateTier.select()
            .where(RebateTier.rule.in_(list(rule_ids)))
            .order_by(RebateTier.rule, RebateTier.min_sales_fen)
        ):
            found[tier.rule_id].append(tier)
    return found


# ---------------------------------------------------------------- a month


def parse_period(text: str) -> tuple[dt.date, dt.date]:
    """'2026-11' -> its first day and the first day of the next month (merchant days)."""
    match = re.fullmatch(r"(\d{4})-(\d{2})", text or "")
    if not match or not 2000 <= int(match[1]) <= 2100 or not 1 <= int(match[2]) <= 12:
        raise InvalidRebatePeriod(details={"period": text})
    first = dt.date(int(match[1]), int(match[2]), 1)
    following = dt.date(first.year + (first.month == 12), first.month % 12 + 1, 1)
    return first, following


def last_closed_period(today: dt.date | None = None) -> str:
    today = today or clock.today()
    last = today.replace(day=1) - dt.timedelta(days=1)
    return f"{last.year:04d}-{last.month:02d}"


@dataclass(frozen=True)
class Earned:
    customer_id: int
    rule: RebateRule
    sales_fen: int
    vat_fen: int
    tier: RebateTier
    amount_fen: int


def _rules_by_customer() -> dict[int, RebateRule]:
    """Each distributor's rule: their own active one, else their grade's (the newest of several)."""
    chosen: dict[int, RebateRule] = {}
    rules = list(RebateRule.select().where(RebateRule.active == True).order_by(RebateRule.id))  # noqa: E712
    by_grade: dict[int, RebateRule] = {}
    for rule in rules:
        if rule.scope == "grade":
            by_grade[rule.grade_id] = rule
    if by_grade:
        for member in CustomerGradeMember.select().where(CustomerGradeMember.grade.in_(list(by_grade))):
            chosen[member.customer_id] = by_grade[member.grade_id]
    for rule in rules:
        if rule.scope == "customer":
            chosen[rule.customer_id] = rule
    return chosen


def _sales(customer_ids: list[int], start: dt.datetime, end: dt.datetime) -> dict[int, tuple[int, int]]:
    """(sales, VAT) of each customer's orders placed in [start, end), less what was given back."""
    if not customer_ids:
        return {}
    rows = (
        Order.select(
            Order.customer,
            pw.fn.SUM(Order.total_fen - Order.refunded_fen),
            pw.fn.SUM(Order.vat_fen - Order.refunded_vat_fen),
        )
        .where(
            Order.customer.in_(customer_ids)
            & (Order.created_at >= start)
            & (Order.created_at < end)
            & Order.status.not_in(NOT_SOLD)
        )
        .group_by(Order.customer)
        .tuples()
    )
    return {int(c): (int(s or 0), int(v or 0)) for c, s, v in rows}  # type: ignore[attr-defined]


def earned(period: str) -> list[Earned]:
    """What each distributor with a rule earned in the month (those who earned nothing left out)."""
    first, following = parse_period(period)
    start, _ = clock.day_bounds(first)
    end, _ = clock.day_bounds(following)
    rules = _rules_by_customer()
    tiers = tiers_of(sorted({r.id for r in rules.values()}))
    sales = _sales(sorted(rules), start, end)
    out = []
    for customer_id in sorted(rules):
        rule = rules[customer_id]
        total, vat = sales.get(customer_id, (0, 0))
        reached = [t for t in tiers[rule.id] if t.min_sales_fen <= total]
        if total <= 0 or not reached:
            continue
        tier = reached[-1]
        amount = (
            round_half_up_div(total * tier.percent_bp, 10_000)
            if tier.percent_bp is not None
            else int(tier.fixed_fen or 0)
        )
        if amount > 0:
            out.append(Earned(customer_id, rule, total, vat, tier, amount))
    return out


def run_period(period: str, *, actor_id: int | None = None) -> RebateRun:
    """Work out and credit one ended month's rebates, once: a second run of the month returns the
    first's result and changes nothing."""
    _, following = parse_period(period)
    if following > clock.today():
        raise InvalidRebatePeriod(details={"period": period, "today": clock.today().isoformat()})
    with transaction():
        done = RebateRun.get_or_none(RebateRun.period == period)
        if done is not None:
            return done
        try:  # the unique period: a twin run (two workers, a retried job) waits here, then sees it done
            with savepoint():
                run = RebateRun.create(period=period, run_by=actor_id)
        except pw.IntegrityError:
            return RebateRun.get(RebateRun.period == period)
        count = total = 0
        for e in earned(period):
            vat = min(e.vat_fen, round_half_up_div(e.amount_fen * e.vat_fen, e.sales_fen))
            accrual = RebateAccrual.create(
                run=run.id,
                period=period,
                customer=e.customer_id,
                rule=e.rule.id,
                sales_fen=e.sales_fen,
                tier_min_sales_fen=e.tier.min_sales_fen,
                amount_fen=e.amount_fen,
                vat_fen=vat,
            )
            advances.grant(e.customer_id, e.amount_fen, actor_id=actor_id)
            post_entry(
                EVENT,
                [
                    Dr(chart.REVENUE, e.amount_fen - vat),
                    Dr(chart.OUTPUT_VAT, vat),
                    Cr(chart.PREPAYMENTS, e.amount_fen, e.customer_id),
                ],
                memo=f"销售返利 {period} 客户 {e.customer_id}",
                source_type="rebate",
                source_id=accrual.id,
            )
            count += 1
            total += e.amount_fen
        RebateRun.update(accrued_count=count, accrued_fen=total).where(RebateRun.id == run.id).execute()
        audit.record(
            actor_id, "rebate.run", "rebate_run", run.id, period=period, count=count, amount_fen=total
        )
        return RebateRun.get_by_id(run.id)


def run_due() -> RebateRun | None:
    """Periodic: the month that ended last, once (a no-op once it has run)."""
    period = last_closed_period()
    if RebateRun.select().where(RebateRun.period == period).exists():
        return None
    return run_period(period)
