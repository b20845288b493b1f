"""银行流水导入 Bank statement CSV import (staff): upload, see what matched per row, assign or dismiss
what did not."""

from __future__ import annotations

import base64
import binascii
from typing import Any

import marshmallow as ma

from backend.receivables import advances, bank_import
from backend.receivables import services as receivables
from backend.receivables.models import BankImport, BankLine
from miniprogram_api.api import Blueprint
from miniprogram_api.idempotency import idempotent
from miniprogram_api.receivables import AllocationIn, _pairs
from miniprogram_api.security import STAFF, access, current_user
from miniprogram_api.timestamps import Timestamp
from store import on_account

blp = Blueprint("bank_import", __name__, url_prefix="/api", description="银行流水 Bank statements")


class BankImportIn(ma.Schema):
    filename = ma.fields.String(load_default="", validate=ma.validate.Length(max=128))
    account = ma.fields.String(
        load_default="", validate=ma.validate.Length(max=32), metadata={"description": "which bank account"}
    )
    content_base64 = ma.fields.String(
        required=True,
        validate=ma.validate.Length(min=1, max=2_700_000),
        metadata={
            "description": "the CSV file, base64 (UTF-8 or GBK); layout in backend/receivables/bank_import.py"
        },
    )


class BankLineOut(ma.Schema):
    id = ma.fields.Integer()
    bank_import_id = ma.fields.Integer()
    row_no = ma.fields.Integer()
    booked_on = ma.fields.Date()
    amount_fen = ma.fields.Integer()
    payer_name = ma.fields.String()
    memo = ma.fields.String()
    bank_reference = ma.fields.String()
    status = ma.fields.String(metadata={"description": "collected | queued | assigned | dismissed"})
    matched_by = ma.fields.String(metadata={"description": "invoice_number | payer_name | staff"})
    customer_id = ma.fields.Integer(allow_none=True)
    payment_id = ma.fields.Integer(allow_none=True)
    note = ma.fields.String()
    suggested_customer_id = ma.fields.Integer(
        allow_none=True,
        metadata={"description": "the one customer with an invoice open for exactly this amount"},
    )


class BankImportOut(ma.Schema):
    id = ma.fields.Integer()
    filename = ma.fields.String()
    account = ma.fields.String()
    encoding = ma.fields.String()
    rows = ma.fields.Integer()
    credits = ma.fields.Integer()
    duplicates = ma.fields.Integer(
        metadata={"description": "credit rows imported before: not collected again"}
    )
    collected = ma.fields.Integer()
    queued = ma.fields.Integer()
    created_at = Timestamp()
    lines = ma.fields.List(ma.fields.Nested(BankLineOut))


class AssignIn(ma.Schema):
    customer_id = ma.fields.Integer(required=True, strict=True)
    allocations = ma.fields.List(
        ma.fields.Nested(AllocationIn), load_default=None, validate=ma.validate.Length(min=1, max=200)
    )


class AssignOut(ma.Schema):
    line = ma.fields.Nested(BankLineOut)
    unapplied_fen = ma.fields.Integer()
    balance_fen = ma.fields.Integer()
    advance_fen = ma.fields.Integer()


class DismissIn(ma.Schema):
    note = ma.fields.String(load_default="", validate=ma.validate.Length(max=255))


class QueueOut(ma.Schema):
    lines = ma.fields.List(ma.fields.Nested(BankLineOut))


@blp.route("/bank-imports", methods=["POST"])
@access(*STAFF)
@idempotent
@blp.arguments(BankImportIn)
@blp.response(201, BankImportOut)
def upload(data: dict[str, Any]) -> Any:
    """导入银行流水 Import a bank statement CSV: every row is checked first (a broken row fails the whole
    file, each broken row named, nothing written); each credit line matched by an invoice number in
    its memo or the payer's name becomes a collection, the rest wait in the queue. Lines imported
    before are skipped (by the bank's reference, or the line itself)."""
    try:
        content = base64.b64decode(data["content_base64"], validate=True)
    except (binascii.Error, ValueError) as exc:
        raise bank_import.InvalidBankStatement(
            "The file is not valid base64", "文件内容不是有效的 base64", details={"rows": []}
        ) from exc
    made = on_account.import_bank_statement(
        content, filename=data["filename"], account=data["account"], actor_id=current_user().id
    )
    return bank_import.import_view(made)


@blp.route("/bank-imports/<int:bank_import_id>", methods=["GET"])
@access(*STAFF)
@blp.response(200, BankImportOut)
def read(bank_import_id: int) -> Any:
    """银行流水导入结果 One import, row by row: collected (with the customer and payment), queued, assigned, dismissed."""
    found = BankImport.get_or_none(BankImport.id == bank_import_id)
    if found is None:
        raise bank_import.BankLineNotFound(
            "No such bank import",
            "银行流水导入不存在",
            code="bank_import_not_found",
            details={"id": bank_import_id},
        )
    return bank_import.import_view(found)


@blp.route("/bank-lines/queue", methods=["GET"])
@access(*STAFF)
@blp.response(200, QueueOut)
def waiting() -> Any:
    """待认领流水 Credit lines no customer was matched to, oldest first (with a suggestion by amount)."""
    return {"lines": [bank_import.line_view(line) for line in bank_import.queue()]}


@blp.route("/bank-lines/<int:bank_line_id>/assign", methods=["POST"])
@access(*STAFF)
@idempotent
@blp.arguments(AssignIn)
@blp.response(200, AssignOut)
def assign(data: dict[str, Any], bank_line_id: int) -> Any:
    """认领 Name the customer who paid a queued line: a bank-transfer collection to the invoices and
    amounts chosen (or oldest due first); the rest is kept as the customer's credit."""
    collection = on_account.assign_bank_line(
        bank_line_id, data["customer_id"], allocations=_pairs(data["allocations"]), actor_id=current_user().id
    )
    customer_id = data["customer_id"]
    return {
        "line": bank_import.line_view(BankLine.get_by_id(bank_line_id)),
        "unapplied_fen": collection.advance_fen,
        "balance_fen": receivables.balance_of(customer_id),
        "advance_fen": advances.balance_of(customer_id),
    }


@blp.route("/bank-lines/<int:bank_line_id>/dismiss", methods=["POST"])
@access(*STAFF)
@idempotent
@blp.arguments(DismissIn)
@blp.response(200, BankLineOut)
def dismiss(data: dict[str, Any], bank_line_id: int) -> Any:
    """忽略 Not a customer's payment (bank interest, a supplier's refund...): out of the queue, nothing booked."""
    return bank_import.line_view(
        bank_import.dismiss(bank_line_id, note=data["note"], actor_id=current_user().id)
    )
