"""Collections: today's list of whom to call (staff), notes and promises to pay, a customer's
collection history, dunning schedules (owner), bad-debt warnings and the owner's daily digest."""

from __future__ import annotations

import datetime as dt
import json
from typing import Any

import marshmallow as ma

from backend import clock
from backend.kernel.models import Customer
from backend.receivables.credit import collection_list, digest, dunning, warning_rules
from backend.receivables.credit.models import CreditDigest, CreditWarning
from backend.receivables.errors import UnknownCustomer
from miniprogram_api.api import Blueprint
from miniprogram_api.idempotency import idempotent
from miniprogram_api.pagination import PageArgs, page, page_schema
from miniprogram_api.security import STAFF, access, current_user
from miniprogram_api.timestamps import Timestamp

blp = Blueprint("collections_list", __name__, url_prefix="/api", description="催收 Collections")


class PromiseOut(ma.Schema):
    id = ma.fields.Integer()
    amount_fen = ma.fields.Integer()
    promised_on = ma.fields.Date()
    status = ma.fields.String(metadata={"description": "open | kept | broken"})
    collected_fen = ma.fields.Integer()
    created_at = Timestamp()


class NoteOut(ma.Schema):
    id = ma.fields.Integer()
    outcome = ma.fields.String()
    note = ma.fields.String()
    follow_up_on = ma.fields.Date(allow_none=True)
    author = ma.fields.Integer(attribute="author_id")
    created_at = Timestamp()


class StepOut(ma.Schema):
    id = ma.fields.Integer()
    invoice_id = ma.fields.Integer()
    offset_days = ma.fields.Integer()
    channel = ma.fields.String(metadata={"description": "wechat | person"})
    due_on = ma.fields.Date()
    status = ma.fields.String()
    errcode = ma.fields.Integer(allow_none=True)
    open_fen = ma.fields.Integer()
    sent_at = Timestamp(allow_none=True)


class WorklistOut(ma.Schema):
    customer_id = ma.fields.Integer()
    name = ma.fields.String()
    phone = ma.fields.String(allow_none=True)
    overdue_fen = ma.fields.Integer()
    open_fen = ma.fields.Integer()
    oldest_due_on = ma.fields.Date(allow_none=True)
    reasons = ma.fields.List(
        ma.fields.String(),
        metadata={"description": "escalated | wechat_refused | promise_due | promise_broken | follow_up"},
    )
    promise = ma.fields.Nested(PromiseOut, allow_none=True)
    last_note = ma.fields.Nested(NoteOut, allow_none=True)


class WorklistPage(ma.Schema):
    day = ma.fields.Date()
    total_overdue_fen = ma.fields.Integer()
    items = ma.fields.List(ma.fields.Nested(WorklistOut))


class NoteIn(ma.Schema):
    outcome = ma.fields.String(required=True, validate=ma.validate.OneOf(collection_list.OUTCOMES))
    note = ma.fields.String(load_default="", validate=ma.validate.Length(max=1000))
    follow_up_on = ma.fields.Date(load_default=None)
    promise_fen = ma.fields.Integer(load_default=None, strict=True)
    promised_on = ma.fields.Date(load_default=None)


class HistoryOut(ma.Schema):
    customer_id = ma.fields.Integer()
    notes = ma.fields.List(ma.fields.Nested(NoteOut))
    promises = ma.fields.List(ma.fields.Nested(PromiseOut))
    dunning = ma.fields.List(ma.fields.Nested(StepOut))


class ScheduleIn(ma.Schema):
    steps = ma.fields.List(ma.fields.Integer(strict=True), required=True)
    escalate_days = ma.fields.Integer(required=True, strict=True)
    customer_id = ma.fields.Integer(load_default=None)
    grade = ma.fields.String(load_default=None, validate=ma.validate.OneOf(list("ABCDE")))


class ScheduleOut(ma.Schema):
    id = ma.fields.Integer()
    name = ma.fields.String()
    customer_id = ma.fields.Integer(allow_none=True)
    grade = ma.fields.String(allow_none=True)
    steps = ma.fields.Function(
        lambda s: json.loads(s.steps), metadata={"type": "array", "items": {"type": "integer"}}
    )
    escalate_days = ma.fields.Integer()


class WarningOut(ma.Schema):
    id = ma.fields.Integer()
    customer_id = ma.fields.Integer()
    rule = ma.fields.String()
    detail = ma.fields.Function(lambda w: json.loads(w.detail), metadata={"type": "object"})
    raised_on = ma.fields.Date()


WarningPage = page_schema(WarningOut, "CreditWarningPage")


class DigestArgs(ma.Schema):
    day = ma.fields.Date(load_default=None)


class DigestOut(ma.Schema):
    day = ma.fields.Date()
    body = ma.fields.Function(
        lambda d: json.loads(d["body"] if isinstance(d, dict) else d.body), metadata={"type": "object"}
    )


@blp.route("/collections/worklist", methods=["GET"])
@access(*STAFF)
@blp.response(200, WorklistPage)
def worklist() -> Any:
    """今日催收 Whom to call today (escalated, WeChat refused, promise due or broken, follow-up), largest overdue first."""
    items = collection_list.worklist()
    return {"day": clock.today(), "total_overdue_fen": sum(i.overdue_fen for i in items), "items": items}


def _customer(customer_id: int) -> Customer:
    customer = Customer.get_or_none(Customer.id == customer_id)
    if customer is None:
        raise UnknownCustomer(details={"customer_id": customer_id})
    return customer


@blp.route("/customers/<int:customer_id>/collection-notes", methods=["POST"])
@access(*STAFF)
@idempotent
@blp.arguments(NoteIn)
@blp.response(201, NoteOut)
def add_note(data: dict[str, Any], customer_id: int) -> Any:
    """记录催收 Note a call or visit; outcome `promise` with `promise_fen` and `promised_on` records a 承诺付款."""
    return collection_list.record_contact(
        customer_id,
        current_user().id,
        data["outcome"],
        data["note"],
        follow_up_on=data["follow_up_on"],
        promise_fen=data["promise_fen"],
        promised_on=data["promised_on"],
    )


@blp.route("/customers/<int:customer_id>/collection-history", methods=["GET"])
@access(*STAFF)
@blp.response(200, HistoryOut)
def history(customer_id: int) -> Any:
    """催收历史 Notes, promises and reminders of one customer, newest first."""
    _customer(customer_id)
    return {"customer_id": customer_id, **collection_list.history(customer_id)}


@blp.route("/dunning-schedules", methods=["POST"])
@access("owner")
@idempotent
@blp.arguments(ScheduleIn)
@blp.response(201, ScheduleOut)
def set_schedule(data: dict[str, Any]) -> Any:
    """催收计划 Set reminder days around the due date (e.g. [-3, 0, 7, 15, 30]) and when a person takes
    over, for one customer, a grade, or everyone else (neither)."""
    if data["customer_id"] is not None:
        _customer(data["customer_id"])
    return dunning.set_schedule(
        data["steps"],
        data["escalate_days"],
        actor_id=current_user().id,
        customer_id=data["customer_id"],
        grade=data["grade"],
    )


@blp.route("/credit/warnings", methods=["GET"])
@access("owner")
@blp.arguments(PageArgs, location="query")
@blp.response(200, WarningPage)
def list_warnings(args: dict[str, Any]) -> Any:
    """坏账预警 Open bad-debt warnings, newest first."""
    return page(warning_rules.open_warnings(), CreditWarning.id, args)


class WarningThresholdsIn(ma.Schema):
    days_overdue = ma.fields.Integer(
        strict=True, metadata={"description": "oldest overdue invoice, days past due"}
    )
    overdue_fen = ma.fields.Integer(strict=True, metadata={"description": "overdue amount"})
    score_drop = ma.fields.Integer(strict=True, metadata={"description": "score points lost over 30 days"})
    utilisation_pct = ma.fields.Integer(
        strict=True, metadata={"description": "exposure as a percentage of the limit"}
    )
    broken_promises = ma.fields.Integer(
        strict=True, metadata={"description": "promises broken within 90 days"}
    )


class WarningThresholdsOut(ma.Schema):
    days_overdue = ma.fields.Integer()
    overdue_fen = ma.fields.Integer()
    score_drop = ma.fields.Integer()
    utilisation_pct = ma.fields.Integer()
    broken_promises = ma.fields.Integer()


@blp.route("/credit/warning-rules", methods=["GET"])
@access("owner")
@blp.response(200, WarningThresholdsOut)
def get_warning_rules() -> Any:
    """预警规则 The bad-debt warning thresholds in force."""
    return warning_rules.thresholds()


@blp.route("/credit/warning-rules", methods=["PUT"])
@access("owner")
@blp.arguments(WarningThresholdsIn)
@blp.response(200, WarningThresholdsOut)
def put_warning_rules(data: dict[str, Any]) -> Any:
    """修改预警规则 Change some thresholds (the others stay); the next nightly run uses them. Audited."""
    return warning_rules.set_thresholds(data, actor_id=current_user().id)


@blp.route("/credit/digest", methods=["GET"])
@access("owner")
@blp.arguments(DigestArgs, location="query")
@blp.response(200, DigestOut)
def get_digest(args: dict[str, Any]) -> Any:
    """每日简报 The day's digest (today's is built now if the night has not written it yet)."""
    day: dt.date = args["day"] or clock.today()
    stored = CreditDigest.get_or_none(CreditDigest.day == day)
    if stored is not None:
        return stored
    return {"day": day, "body": json.dumps(digest.build(day))}
