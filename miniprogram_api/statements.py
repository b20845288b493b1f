"""Period statements (对账单): staff generate, send and resolve disputes; the customer (mini-program or
console) reads, confirms or disputes their own; anyone holding a statement's signed link does the same
from a phone page without logging in. Someone else's statement is a 404 everywhere."""

from __future__ import annotations

import json
from typing import Any

import marshmallow as ma
from flask import Response

from backend.kernel.models import Customer
from backend.receivables import statements
from backend.receivables.errors import UnknownCustomer
from backend.receivables.statement_models import STATUSES, Statement
from miniprogram_api.api import Blueprint
from miniprogram_api.idempotency import idempotent
from miniprogram_api.pagination import PageArgs, page, page_schema
from miniprogram_api.security import PUBLIC, STAFF, access, current_user
from miniprogram_api.timestamps import Timestamp
from store import catalog

blp = Blueprint("statements", __name__, url_prefix="/api", description="对账单 Period statements")

CUSTOMER = ("customer", "distributor")


class StatementOut(ma.Schema):
    id = ma.fields.Integer()
    customer_id = ma.fields.Integer()
    customer_name = ma.fields.String()
    period_start = ma.fields.Date()
    period_end = ma.fields.Date()
    version = ma.fields.Integer()
    status = ma.fields.String(metadata={"description": "draft | sent | confirmed | disputed | superseded"})
    opening_fen = ma.fields.Integer()
    debit_fen = ma.fields.Integer(metadata={"description": "added in the period (invoices, interest)"})
    credit_fen = ma.fields.Integer(metadata={"description": "taken off in the period (payments, credits)"})
    closing_fen = ma.fields.Integer()
    advance_fen = ma.fields.Integer(
        metadata={"description": "预收余额 credit paid ahead, not yet applied, at the period end"}
    )
    line_count = ma.fields.Integer()
    content_hash = ma.fields.String(allow_none=True, metadata={"description": "sha256, once confirmed"})
    supersedes_id = ma.fields.Integer(allow_none=True)
    created_at = Timestamp()
    sent_at = Timestamp(allow_none=True)
    confirmed_at = Timestamp(allow_none=True)
    confirmed_via = ma.fields.String(allow_none=True, metadata={"description": "api | link"})
    reminders = ma.fields.Integer()


class StatementLineOut(ma.Schema):
    id = ma.fields.Integer()
    seq = ma.fields.Integer()
    on_date = ma.fields.Date()
    kind = ma.fields.String()
    invoice_id = ma.fields.Integer()
    order_id = ma.fields.Integer(allow_none=True)
    description = ma.fields.String()
    amount_fen = ma.fields.Integer(metadata={"description": "signed: + the customer owes more"})
    balance_fen = ma.fields.Integer(metadata={"description": "running balance after this line"})


class StatementDisputeOut(ma.Schema):
    id = ma.fields.Integer()
    statement_id = ma.fields.Integer()
    line_id = ma.fields.Integer()
    note = ma.fields.String()
    raised_via = ma.fields.String()
    status = ma.fields.String(metadata={"description": "open | resolved | rejected"})
    resolution_note = ma.fields.String()
    adjustment_id = ma.fields.Integer(allow_none=True)
    created_at = Timestamp()
    resolved_at = Timestamp(allow_none=True)


class StatementDetailOut(StatementOut):
    lines = ma.fields.List(ma.fields.Nested(StatementLineOut))
    disputes = ma.fields.List(ma.fields.Nested(StatementDisputeOut))
    aging = ma.fields.Raw(
        allow_none=True,
        metadata={"type": "object", "description": "what was open at the period end, by age"},
    )
    newer_statement_id = ma.fields.Integer(allow_none=True)


class StaffStatementOut(StatementDetailOut):
    link_url = ma.fields.String(metadata={"description": "the signed link for the customer's phone"})


StatementPage = page_schema(StatementOut, "StatementPage")


class GenerateIn(ma.Schema):
    period_start = ma.fields.Date(required=True, metadata={"description": "first merchant day"})
    period_end = ma.fields.Date(required=True, metadata={"description": "last merchant day (before today)"})


class ListArgs(PageArgs):
    status = ma.fields.String(load_default=None, validate=ma.validate.OneOf(STATUSES))
    customer_id = ma.fields.Integer(load_default=None)


class MyListArgs(PageArgs):
    status = ma.fields.String(load_default=None, validate=ma.validate.OneOf(statements.VISIBLE_TO_CUSTOMER))


class DisputeIn(ma.Schema):
    line_ids = ma.fields.List(
        ma.fields.Integer(strict=True), required=True, validate=ma.validate.Length(min=1, max=100)
    )
    note = ma.fields.String(required=True, validate=ma.validate.Length(min=1, max=statements.MAX_NOTE))


class ResolveIn(ma.Schema):
    action = ma.fields.String(
        required=True,
        validate=ma.validate.OneOf(["adjust", "reject"]),
        metadata={"description": "adjust: an adjustment on the line's invoice; reject: with a note"},
    )
    amount_fen = ma.fields.Integer(strict=True, load_default=None)
    direction = ma.fields.String(load_default="lower", validate=ma.validate.OneOf(["lower", "raise"]))
    note = ma.fields.String(load_default="", validate=ma.validate.Length(max=statements.MAX_NOTE))


class ResolutionOut(ma.Schema):
    dispute = ma.fields.Nested(StatementDisputeOut)
    approval_id = ma.fields.Integer(allow_none=True, metadata={"description": "waiting for the owner"})
    new_statement_id = ma.fields.Integer(allow_none=True, metadata={"description": "the new version, sent"})


def _raw(statement: Statement) -> dict[str, Any]:
    out = {
        name: getattr(statement, name) for name in StatementOut._declared_fields if name != "customer_name"
    }
    out["customer_name"] = statement.customer.name
    return out


def _raws(rows: list[Statement]) -> list[dict[str, Any]]:
    return [_raw(s) for s in rows]


def _detail(statement: Statement, *, staff: bool = False) -> dict[str, Any]:
    out = _raw(statement)
    out["lines"] = statements.lines_of(statement.id)
    out["disputes"] = statements.disputes_of(statement.id)
    out["aging"] = json.loads(statement.aging) if statement.aging else None
    out["newer_statement_id"] = statements.newer_version(statement)
    if staff:
        out["link_url"] = statements.link_url(statement.id)
    return out


def _me() -> Customer:
    return catalog.customer_of_user(current_user().id)


# ---------------------------------------------------------------- staff


@blp.route("/customers/<int:customer_id>/statements", methods=["POST"])
@access(*STAFF)
@idempotent
@blp.arguments(GenerateIn)
@blp.response(201, StaffStatementOut)
def generate(data: dict[str, Any], customer_id: int) -> Any:
    """生成对账单 A statement of the customer's period on demand (a draft; send it next). A period
    overlapping a confirmed statement is refused (409 statement_frozen)."""
    if Customer.get_or_none(Customer.id == customer_id) is None:
        raise UnknownCustomer(details={"customer_id": customer_id})
    statement = statements.generate(
        customer_id, data["period_start"], data["period_end"], actor_id=current_user().id
    )
    return _detail(statement, staff=True)


@blp.route("/statements", methods=["GET"])
@access(*STAFF)
@blp.arguments(ListArgs, location="query")
@blp.response(200, StatementPage)
def list_statements(args: dict[str, Any]) -> Any:
    """对账单列表 Statements, newest first; filter by `status` and `customer_id`."""
    query = Statement.select(Statement, Customer).join(Customer)
    if args["status"]:
        query = query.where(Statement.status == args["status"])
    if args["customer_id"] is not None:
        query = query.where(Statement.customer == args["customer_id"])
    return page(query, Statement.id, args, _raws)


@blp.route("/statements/<int:statement_id>", methods=["GET"])
@access(*STAFF)
@blp.response(200, StaffStatementOut)
def get_statement(statement_id: int) -> Any:
    """对账单 One statement with its lines, disputes, aging and the signed link for the customer."""
    return _detail(statements.get(statement_id), staff=True)


@blp.route("/statements/<int:statement_id>/send", methods=["POST"])
@access(*STAFF)
@idempotent
@blp.response(200, StaffStatementOut)
def send_statement(statement_id: int) -> Any:
    """发送对账单 Make a draft visible to the customer and message them (WeChat, after commit)."""
    return _detail(statements.send(statement_id, actor_id=current_user().id), staff=True)


@blp.route("/statement-disputes/<int:dispute_id>/resolve", methods=["POST"])
@access(*STAFF)
@idempotent
@blp.arguments(ResolveIn)
@blp.response(200, ResolutionOut)
def resolve_dispute(data: dict[str, Any], dispute_id: int) -> Any:
    """处理对账争议 Settle a disputed line with an adjustment on its invoice (staff above the owner's
    threshold wait for approval), or reject it with a note. When no dispute is left open, a new version
    of the statement is made and sent; the old one is kept, superseded."""
    done = statements.resolve(
        dispute_id,
        actor_id=current_user().id,
        action=data["action"],
        amount_fen=data["amount_fen"],
        direction=data["direction"],
        note=data["note"],
    )
    return {
        "dispute": done.dispute,
        "approval_id": done.approval_id,
        "new_statement_id": done.new_statement.id if done.new_statement else None,
    }


@blp.route("/statement-disputes/<int:dispute_id>/settle-approved", methods=["POST"])
@access(*STAFF)
@idempotent
@blp.response(200, ResolutionOut)
def settle_approved(dispute_id: int) -> Any:
    """争议调整已批准 Record a dispute whose adjustment the owner has approved (new version when all decided)."""
    done = statements.settle_approved(dispute_id, actor_id=current_user().id)
    return {
        "dispute": done.dispute,
        "approval_id": None,
        "new_statement_id": done.new_statement.id if done.new_statement else None,
    }


# ---------------------------------------------------------------- the customer's own


@blp.route("/my/statements", methods=["GET"])
@access(*CUSTOMER)
@blp.arguments(MyListArgs, location="query")
@blp.response(200, StatementPage)
def my_statements(args: dict[str, Any]) -> Any:
    """我的对账单 Your statements once sent, newest first."""
    query = (
        Statement.select(Statement, Customer)
        .join(Customer)
        .where((Statement.customer == _me().id) & Statement.status.in_(statements.VISIBLE_TO_CUSTOMER))
    )
    if args["status"]:
        query = query.where(Statement.status == args["status"])
    return page(query, Statement.id, args, _raws)


@blp.route("/my/statements/<int:statement_id>", methods=["GET"])
@access(*CUSTOMER)
@blp.response(200, StatementDetailOut)
def my_statement(statement_id: int) -> Any:
    """我的对账单 One of your statements with its lines."""
    return _detail(statements.customer_statement(statement_id, _me().id))


@blp.route("/my/statements/<int:statement_id>/confirm", methods=["POST"])
@access(*CUSTOMER)
@idempotent
@blp.response(200, StatementDetailOut)
def my_confirm(statement_id: int) -> Any:
    """确认对账单 Agree with your statement: it is frozen (409 if already confirmed, superseded or disputed)."""
    me = current_user()
    return _detail(statements.confirm(statement_id, _me().id, user_id=me.id, via="api"))


@blp.route("/my/statements/<int:statement_id>/disputes", methods=["POST"])
@access(*CUSTOMER)
@idempotent
@blp.arguments(DisputeIn)
@blp.response(201, StatementDetailOut)
def my_dispute(data: dict[str, Any], statement_id: int) -> Any:
    """对账有异议 Dispute lines of your statement with a note; the merchant resolves them."""
    me = current_user()
    statements.dispute(statement_id, _me().id, data["line_ids"], data["note"], user_id=me.id, via="api")
    return _detail(statements.get(statement_id))


# ---------------------------------------------------------------- the signed link (no login)


@blp.route("/statement-links/<string:token>", methods=["GET"])
@access(PUBLIC, shared=("token",))
@blp.response(200, StatementDetailOut)
def link_statement(token: str) -> Any:
    """对账单（链接） The statement a signed link names: a tampered link is a 404, an expired one a 403."""
    return _detail(statements.statement_of_link(token))


@blp.route("/statement-links/<string:token>/confirm", methods=["POST"])
@access(PUBLIC, shared=("token",))
@blp.response(200, StatementDetailOut)
def link_confirm(token: str) -> Any:
    """确认对账单（链接） Confirm through the link (a second confirmation is a 409 and changes nothing)."""
    statement = statements.statement_of_link(token)
    return _detail(statements.confirm(statement.id, statement.customer_id, user_id=None, via="link"))


@blp.route("/statement-links/<string:token>/disputes", methods=["POST"])
@access(PUBLIC, shared=("token",))
@blp.arguments(DisputeIn)
@blp.response(200, StatementDetailOut)
def link_dispute(data: dict[str, Any], token: str) -> Any:
    """对账有异议（链接） Dispute lines through the link. No login, so no Idempotency-Key (a key would be
    shared by every anonymous caller): sending it again is refused as already disputed (422), or as
    confirmed (409), and changes nothing."""
    statement = statements.statement_of_link(token)
    statements.dispute(
        statement.id, statement.customer_id, data["line_ids"], data["note"], user_id=None, via="link"
    )
    return _detail(statements.get(statement.id))


# ---------------------------------------------------------------- exports (PDF with Chinese text, Excel)

PDF = "application/pdf"
XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


def _file(statement: Statement, ext: str) -> Response:
    from backend.receivables import statement_exports

    body = statement_exports.pdf(statement) if ext == "pdf" else statement_exports.xlsx(statement)
    response = Response(body, mimetype=PDF if ext == "pdf" else XLSX)
    response.headers["Content-Disposition"] = (
        f'attachment; filename="{statement_exports.filename(statement, ext)}"'
    )
    return response


@blp.route("/statements/<int:statement_id>.pdf", methods=["GET"])
@access(*STAFF)
@blp.binary_response(PDF, "对账单 PDF (Chinese text)")
def statement_pdf(statement_id: int) -> Response:
    """对账单 PDF The statement as a PDF."""
    return _file(statements.get(statement_id), "pdf")


@blp.route("/statements/<int:statement_id>.xlsx", methods=["GET"])
@access(*STAFF)
@blp.binary_response(XLSX, "对账单 Excel")
def statement_xlsx(statement_id: int) -> Response:
    """对账单 Excel The statement as an Excel workbook."""
    return _file(statements.get(statement_id), "xlsx")


@blp.route("/my/statements/<int:statement_id>.pdf", methods=["GET"])
@access(*CUSTOMER)
@blp.binary_response(PDF, "对账单 PDF (Chinese text)")
def my_statement_pdf(statement_id: int) -> Response:
    """我的对账单 PDF Your statement as a PDF."""
    return _file(statements.customer_statement(statement_id, _me().id), "pdf")


@blp.route("/my/statements/<int:statement_id>.xlsx", methods=["GET"])
@access(*CUSTOMER)
@blp.binary_response(XLSX, "对账单 Excel")
def my_statement_xlsx(statement_id: int) -> Response:
    """我的对账单 Excel Your statement as an Excel workbook."""
    return _file(statements.customer_statement(statement_id, _me().id), "xlsx")


@blp.route("/statement-links/<string:token>.pdf", methods=["GET"])
@access(PUBLIC, shared=("token",))
@blp.binary_response(PDF, "对账单 PDF (Chinese text)")
def link_statement_pdf(token: str) -> Response:
    """对账单 PDF（链接） The statement a signed link names, as a PDF."""
    return _file(statements.statement_of_link(token), "pdf")


@blp.route("/statement-links/<string:token>.xlsx", methods=["GET"])
@access(PUBLIC, shared=("token",))
@blp.binary_response(XLSX, "对账单 Excel")
def link_statement_xlsx(token: str) -> Response:
    """对账单 Excel（链接） The statement a signed link names, as an Excel workbook."""
    return _file(statements.statement_of_link(token), "xlsx")
