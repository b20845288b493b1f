"""Rebates (返利) to distributors: the owner's rules (per distributor or grade, tiers of a month's
sales), each month's run (the periodic job, or the owner for an ended month: once either way) and what
every distributor earned; a distributor sees their own rebates."""

from __future__ import annotations

from typing import Any

import marshmallow as ma

from backend.kernel.models import Customer
from miniprogram_api.api import Blueprint
from miniprogram_api.idempotency import idempotent
from miniprogram_api.security import access, current_user
from miniprogram_api.timestamps import Timestamp
from store import catalog
from store.distribution import rebates
from store.distribution.models import RebateAccrual, RebateRule, RebateRun

blp = Blueprint("rebates", __name__, url_prefix="/api", description="返利 Rebates to distributors")


class TierIn(ma.Schema):
    min_sales_fen = ma.fields.Integer(required=True, strict=True)
    percent_bp = ma.fields.Integer(strict=True, metadata={"description": "basis points of the month's sales"})
    fixed_fen = ma.fields.Integer(strict=True)


class TierOut(ma.Schema):
    min_sales_fen = ma.fields.Integer()
    percent_bp = ma.fields.Integer(allow_none=True)
    fixed_fen = ma.fields.Integer(allow_none=True)


class RuleIn(ma.Schema):
    name = ma.fields.String(required=True, validate=ma.validate.Length(min=1, max=64))
    scope = ma.fields.String(required=True, validate=ma.validate.OneOf(["customer", "grade"]))
    customer_id = ma.fields.Integer(load_default=None, strict=True)
    grade_id = ma.fields.Integer(load_default=None, strict=True)
    tiers = ma.fields.List(
        ma.fields.Nested(TierIn),
        required=True,
        validate=ma.validate.Length(min=1, max=rebates.MAX_TIERS),
        metadata={
            "description": "from `min_sales_fen` of a month's sales, `percent_bp` of them or `fixed_fen`"
        },
    )


class RuleActiveIn(ma.Schema):
    active = ma.fields.Boolean(required=True)


class RuleOut(ma.Schema):
    id = ma.fields.Integer()
    name = ma.fields.String()
    scope = ma.fields.String()
    customer_id = ma.fields.Integer(allow_none=True)
    grade_id = ma.fields.Integer(allow_none=True)
    active = ma.fields.Boolean()
    tiers = ma.fields.List(ma.fields.Nested(TierOut))
    created_at = Timestamp()


class RuleList(ma.Schema):
    items = ma.fields.List(ma.fields.Nested(RuleOut))


class RunIn(ma.Schema):
    period = ma.fields.String(required=True, metadata={"description": "an ended month, YYYY-MM"})


class AccrualOut(ma.Schema):
    id = ma.fields.Integer()
    period = ma.fields.String()
    customer_id = ma.fields.Integer()
    customer_name = ma.fields.String()
    rule_id = ma.fields.Integer()
    sales_fen = ma.fields.Integer()
    tier_min_sales_fen = ma.fields.Integer()
    amount_fen = ma.fields.Integer()
    vat_fen = ma.fields.Integer()


class RunOut(ma.Schema):
    id = ma.fields.Integer()
    period = ma.fields.String()
    accrued_count = ma.fields.Integer()
    accrued_fen = ma.fields.Integer()
    created_at = Timestamp()
    accruals = ma.fields.List(ma.fields.Nested(AccrualOut))


class RunList(ma.Schema):
    items = ma.fields.List(ma.fields.Nested(RunOut))


class MyRebates(ma.Schema):
    items = ma.fields.List(ma.fields.Nested(AccrualOut))


def _rule(rule: RebateRule, tiers: list[Any]) -> dict[str, Any]:
    return {**rule.__data__, "customer_id": rule.customer_id, "grade_id": rule.grade_id, "tiers": tiers}


def _accruals(query: Any) -> list[dict[str, Any]]:
    rows = list(query.order_by(RebateAccrual.period.desc(), RebateAccrual.customer))
    ids = sorted({r.customer_id for r in rows})
    names = (
        {c.id: c.name for c in Customer.select(Customer.id, Customer.name).where(Customer.id.in_(ids))}
        if ids
        else {}
    )
    return [
        {
            **r.__data__,
            "customer_id": r.customer_id,
            "rule_id": r.rule_id,
            "customer_name": names.get(r.customer_id, ""),
        }
        for r in rows
    ]


def _run(run: RebateRun) -> dict[str, Any]:
    return {**run.__data__, "accruals": _accruals(RebateAccrual.select().where(RebateAccrual.run == run.id))}


@blp.route("/rebate-rules", methods=["POST"])
@access("owner")
@idempotent
@blp.arguments(RuleIn)
@blp.response(201, RuleOut)
def create_rule(data: dict[str, Any]) -> Any:
    """新建返利规则 A rule for one distributor or a grade: tiers of a month's sales -> percent or fixed."""
    rule = rebates.create_rule(
        data["name"],
        data["scope"],
        data["tiers"],
        customer_id=data["customer_id"],
        grade_id=data["grade_id"],
        actor_id=current_user().id,
    )
    return _rule(rule, rebates.tiers_of([rule.id])[rule.id])


@blp.route("/rebate-rules", methods=["GET"])
@access("owner")
@blp.response(200, RuleList)
def list_rules() -> Any:
    """返利规则 Every rule with its tiers, newest first."""
    rules = list(RebateRule.select().order_by(RebateRule.id.desc()))
    tiers = rebates.tiers_of([r.id for r in rules])
    return {"items": [_rule(r, tiers[r.id]) for r in rules]}


@blp.route("/rebate-rules/<int:rule_id>", methods=["PATCH"])
@access("owner")
@blp.arguments(RuleActiveIn)
@blp.response(200, RuleOut)
def set_rule_active(data: dict[str, Any], rule_id: int) -> Any:
    """停用/启用 Switch a rule off or on (rules are not edited: make a new one)."""
    rule = rebates.set_active(rule_id, data["active"], actor_id=current_user().id)
    return _rule(rule, rebates.tiers_of([rule.id])[rule.id])


@blp.route("/rebate-runs", methods=["POST"])
@access("owner")
@idempotent
@blp.arguments(RunIn)
@blp.response(201, RunOut)
def run_period(data: dict[str, Any]) -> Any:
    """结算返利 Work out and credit an ended month's rebates now (once: the periodic job or this)."""
    return _run(rebates.run_period(data["period"], actor_id=current_user().id))


@blp.route("/rebate-runs", methods=["GET"])
@access("owner")
@blp.response(200, RunList)
def list_runs() -> Any:
    """返利结算 Every month's run with what each distributor earned, newest first."""
    return {"items": [_run(r) for r in RebateRun.select().order_by(RebateRun.period.desc()).limit(36)]}


@blp.route("/my/rebates", methods=["GET"])
@access("distributor")
@blp.response(200, MyRebates)
def my_rebates() -> Any:
    """我的返利 What you earned each month, credited to your account."""
    me = catalog.customer_of_user(current_user().id)
    return {"items": _accruals(RebateAccrual.select().where(RebateAccrual.customer == me.id))}
