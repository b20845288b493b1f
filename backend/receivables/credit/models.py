"""Credit profiles: the terms a customer buys on account under, one row per version, never edited.

The newest version is the one in force. `Customer.credit_limit_fen` and `payment_terms_days` are
caches of it (the conditional update that opens a receivable compares against the limit on the
customer row itself, so that one statement decides a race).
"""

from __future__ import annotations

import peewee as pw

from backend import clock
from backend.auth.models import User
from backend.db import BaseModel
from backend.kernel.models import Customer
from backend.receivables.models import Invoice

TERMS_KINDS = ("days", "month_end")  # N days after the invoice, or month-end plus N days (月结)
OVERDUE_ACTIONS = ("hold", "warn")  # overdue beyond grace: hold new orders on account, or only warn


class CreditProfile(BaseModel):
    customer = pw.ForeignKeyField(Customer, on_delete="RESTRICT")
    version = pw.IntegerField()
    limit_fen = pw.BigIntegerField()
    terms_kind = pw.CharField(max_length=12, default="days")
    terms_days = pw.IntegerField()
    grace_days = pw.IntegerField(default=0)
    # Late interest in parts per million of what is overdue, per day: 日万分之五 = 500.
    late_interest_ppm = pw.IntegerField(default=0)
    overdue_action = pw.CharField(max_length=8, default="hold")
    reason = pw.TextField(default="")
    changed_by = pw.ForeignKeyField(User, null=True, on_delete="RESTRICT")
    approval_id = pw.IntegerField(null=True)  # the approved request, for a staff member's change
    created_at = pw.DateTimeField(default=clock.now)

    class Meta:
        indexes = ((("customer", "version"), True),)
        constraints = [
            pw.Check("version > 0"),
            pw.Check("limit_fen >= 0"),
            pw.Check("terms_days >= 0"),
            pw.Check("grace_days >= 0"),
            pw.Check("late_interest_ppm >= 0"),
            pw.Check("terms_kind IN ('days', 'month_end')"),
            pw.Check("overdue_action IN ('hold', 'warn')"),
        ]


class CreditAllowance(BaseModel):
    """A one-off override granted ahead: one sale may pass the limit by up to `amount_fen` until `until`."""

    customer = pw.ForeignKeyField(Customer, on_delete="RESTRICT")
    amount_fen = pw.BigIntegerField()
    until = pw.DateField()
    reason = pw.TextField(default="")
    granted_by = pw.ForeignKeyField(User, on_delete="RESTRICT")
    approval_id = pw.IntegerField(null=True)
    used_at = pw.DateTimeField(null=True)
    used_for = pw.CharField(max_length=64, null=True)  # what used it, e.g. "order 12"
    created_at = pw.DateTimeField(default=clock.now)

    class Meta:
        indexes = ((("customer", "used_at"), False),)
        constraints = [pw.Check("amount_fen > 0")]


# ---------------------------------------------------------------- dunning and collections

DUNNING_STATUSES = (
    "queued",  # written with its outbox row, not sent yet
    "sent",  # WeChat took it
    "not_subscribed",  # WeChat 43101: no grant left; a person follows up
    "quota",  # WeChat 45009: the day's quota is spent; a person follows up
    "no_wechat",  # the customer has no WeChat login to send to
    "stopped_paid",  # paid before it went out: not sent
    "open",  # a person's step (escalation): on the collection list
    "done",  # a person's step someone has acted on
)


class DunningSchedule(BaseModel):
    """Reminder steps in days from the due date (-3 = three days before); after `escalate_days` a
    person takes over. One per customer, one per grade, and the default (both null)."""

    name = pw.CharField(max_length=64)
    customer = pw.ForeignKeyField(Customer, null=True, unique=True, on_delete="RESTRICT")
    grade = pw.CharField(max_length=1, null=True, unique=True)
    steps = pw.TextField(default="[-3, 0, 7, 15, 30]")  # JSON list of day offsets, ascending
    escalate_days = pw.IntegerField(default=31)
    changed_by = pw.ForeignKeyField(User, null=True, on_delete="RESTRICT")
    created_at = pw.DateTimeField(default=clock.now)


class DunningStep(BaseModel):
    """One reminder of one invoice, written once (unique), whatever happens to its send."""

    invoice = pw.ForeignKeyField(Invoice, on_delete="RESTRICT")
    customer = pw.ForeignKeyField(Customer, on_delete="RESTRICT")
    offset_days = pw.IntegerField()
    channel = pw.CharField(max_length=8)  # wechat | person
    due_on = pw.DateField(index=True)  # the day the step fell due
    status = pw.CharField(max_length=16, index=True)
    errcode = pw.IntegerField(null=True)
    msgid = pw.BigIntegerField(null=True)
    open_fen = pw.BigIntegerField()  # what was open when the step was written
    created_at = pw.DateTimeField(default=clock.now)
    sent_at = pw.DateTimeField(null=True)

    class Meta:
        indexes = ((("invoice", "offset_days", "channel"), True), (("customer", "due_on"), False))
        constraints = [pw.Check("channel IN ('wechat', 'person')")]


class CollectionNote(BaseModel):
    """What staff did about a customer's debt: a call, a visit, a promise."""

    customer = pw.ForeignKeyField(Customer, on_delete="RESTRICT")
    author = pw.ForeignKeyField(User, on_delete="RESTRICT")
    outcome = pw.CharField(max_length=12)  # called | no_answer | visited | promise | other
    note = pw.TextField(default="")
    follow_up_on = pw.DateField(null=True, index=True)
    created_at = pw.DateTimeField(default=clock.now)

    class Meta:
        indexes = ((("customer", "created_at"), False),)


class PromiseToPay(BaseModel):
    """承诺付款: the customer says they will pay `amount_fen` by `promised_on`. Kept when collections
    since the promise reach the amount by that day; broken the day after if not."""

    customer = pw.ForeignKeyField(Customer, on_delete="RESTRICT")
    note = pw.ForeignKeyField(CollectionNote, null=True, on_delete="RESTRICT")
    amount_fen = pw.BigIntegerField()
    promised_on = pw.DateField(index=True)
    status = pw.CharField(max_length=10, default="open", index=True)  # open | kept | broken
    collected_fen = pw.BigIntegerField(default=0)  # counted at resolution
    created_at = pw.DateTimeField(default=clock.now)
    resolved_at = pw.DateTimeField(null=True)

    class Meta:
        constraints = [pw.Check("amount_fen > 0"), pw.Check("status IN ('open', 'kept', 'broken')")]


# ---------------------------------------------------------------- late interest


class InterestCharge(BaseModel):
    """Late interest on one invoice over one period, posted as its own receivable (an invoice of its
    own, Dr 1122 / Cr 5301). `fen_days` is the sum over the period's days of what was outstanding."""

    invoice = pw.ForeignKeyField(Invoice, on_delete="RESTRICT")
    customer = pw.ForeignKeyField(Customer, on_delete="RESTRICT")
    period_from = pw.DateField()
    period_to = pw.DateField()
    fen_days = pw.BigIntegerField()
    rate_ppm = pw.IntegerField()
    amount_fen = pw.BigIntegerField()
    # Null when the period's interest rounds to nothing: the row still marks the days as charged.
    interest_invoice = pw.ForeignKeyField(Invoice, null=True, unique=True, backref="+", on_delete="RESTRICT")
    status = pw.CharField(max_length=8, default="posted")  # posted | waived
    waived_fen = pw.BigIntegerField(default=0)
    created_at = pw.DateTimeField(default=clock.now)

    class Meta:
        indexes = ((("invoice", "period_to"), True),)
        constraints = [
            pw.Check("amount_fen >= 0"),
            pw.Check("period_from <= period_to"),
            pw.Check("status IN ('posted', 'waived')"),
        ]


# ---------------------------------------------------------------- bad debt

# 小企业会计准则 第十条: when a receivable may be written off as actually lost.
WRITE_OFF_CONDITIONS = {
    "bankrupt": "债务人依法宣告破产、关闭、解散、被撤销，或者被依法注销、吊销营业执照",
    "deceased": "债务人死亡，或者依法被宣告失踪、死亡",
    "overdue_3_years": "债务人逾期3年以上未清偿，且有确凿证据证明已无力清偿债务",
    "restructuring": "与债务人达成债务重组协议或法院批准破产重整计划后，无法追偿",
    "force_majeure": "因自然灾害、战争等不可抗力导致无法收回",
    "authority": "国务院财政、税务主管部门规定的其他条件",
}


class WriteOff(BaseModel):
    """A receivable written off as lost (Dr 5711 / Cr 1122), once per invoice, with its condition."""

    invoice = pw.ForeignKeyField(Invoice, unique=True, on_delete="RESTRICT")
    customer = pw.ForeignKeyField(Customer, on_delete="RESTRICT")
    amount_fen = pw.BigIntegerField()
    condition = pw.CharField(max_length=20)
    evidence = pw.TextField(default="")
    approval_id = pw.IntegerField()
    recovered_fen = pw.BigIntegerField(default=0)
    created_at = pw.DateTimeField(default=clock.now)

    class Meta:
        constraints = [
            pw.Check("amount_fen > 0"),
            pw.Check("recovered_fen >= 0 AND recovered_fen <= amount_fen"),
        ]


class CreditWarning(BaseModel):
    """A bad-debt warning raised by a rule, open until the rule no longer fires."""

    customer = pw.ForeignKeyField(Customer, on_delete="RESTRICT")
    rule = pw.CharField(max_length=24)
    detail = pw.TextField(default="{}")
    raised_on = pw.DateField()
    cleared_on = pw.DateField(null=True)
    open_key = pw.CharField(max_length=48, null=True, unique=True)  # customer:rule while open

    class Meta:
        indexes = ((("customer", "rule"), False),)


# ---------------------------------------------------------------- scoring


class CreditScore(BaseModel):
    """The nightly score 0-100 and grade A-E of a credit customer, with each factor's contribution."""

    customer = pw.ForeignKeyField(Customer, on_delete="RESTRICT")
    scored_on = pw.DateField()
    score = pw.IntegerField()
    grade = pw.CharField(max_length=1)
    factors = pw.TextField(default="{}")  # JSON: factor -> {value, points}
    proposal = pw.CharField(max_length=8, null=True)  # raise | lower | hold
    proposed_limit_fen = pw.BigIntegerField(null=True)

    class Meta:
        indexes = ((("customer", "scored_on"), True),)
        constraints = [
            pw.Check("score >= 0 AND score <= 100"),
            pw.Check("grade IN ('A', 'B', 'C', 'D', 'E')"),
        ]


class CreditDigest(BaseModel):
    """The owner's daily digest of receivables and collections, one per business day."""

    day = pw.DateField(unique=True)
    body = pw.TextField()
    created_at = pw.DateTimeField(default=clock.now)


class WarningRuleSettings(BaseModel):
    """The owner's thresholds for the bad-debt warning rules, one row per change (the newest is in
    force; none yet: the defaults in backend/receivables/credit/warning_rules.py)."""

    days_overdue = pw.IntegerField()
    overdue_fen = pw.BigIntegerField()
    score_drop = pw.IntegerField()
    utilisation_pct = pw.IntegerField()
    broken_promises = pw.IntegerField()
    changed_by = pw.ForeignKeyField(User, on_delete="RESTRICT")
    created_at = pw.DateTimeField(default=clock.now)

    class Meta:
        table_name = "credit_warning_rule_settings"
        constraints = [
            pw.Check("days_overdue >= 1 AND overdue_fen >= 1 AND score_drop >= 1"),
            pw.Check("utilisation_pct BETWEEN 1 AND 100 AND broken_promises >= 1"),
        ]
