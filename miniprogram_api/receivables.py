"""Receivables: a customer's balance and open items (staff; a distributor or member sees their own),
and collections on account (staff)."""

from __future__ import annotations

import uuid
from typing import Any

import marshmallow as ma

from backend.errors import NotFound
from backend.kernel.models import Customer
from backend.receivables import advances, batches
from backend.receivables import services as receivables
from backend.receivables.errors import UnknownCustomer
from backend.receivables.models import CollectionBatch
from miniprogram_api.api import Blueprint
from miniprogram_api.idempotency import idempotent
from miniprogram_api.security import STAFF, access, current_user
from miniprogram_api.timestamps import Timestamp
from store import catalog, on_account

blp = Blueprint("receivables", __name__, url_prefix="/api", description="应收 Receivables")


class InvoiceOut(ma.Schema):
    id = ma.fields.Integer()
    order_id = ma.fields.Integer(allow_none=True)
    amount_fen = ma.fields.Integer()
    open_fen = ma.fields.Integer()
    issued_on = ma.fields.Date()
    due_on = ma.fields.Date()


class AccountOut(ma.Schema):
    customer_id = ma.fields.Integer()
    balance_fen = ma.fields.Integer(metadata={"description": "what is open on invoices"})
    advance_fen = ma.fields.Integer(
        metadata={"description": "预收 paid ahead: unapplied credit, applied to new invoices automatically"}
    )
    credit_limit_fen = ma.fields.Integer()
    payment_terms_days = ma.fields.Integer()
    open_items = ma.fields.List(ma.fields.Nested(InvoiceOut))


class CollectionIn(ma.Schema):
    customer_id = ma.fields.Integer(required=True)
    amount_fen = ma.fields.Integer(required=True, strict=True)
    # WeChat money only arrives through WeChat Pay (POST /api/invoices/<id>/wechat-checkout), so that
    # every 1012 receipt has a WeChat transaction behind it that reconciliation can match.
    method = ma.fields.String(required=True, validate=ma.validate.OneOf(["cash", "bank_transfer"]))
    invoice_ids = ma.fields.List(
        ma.fields.Integer(strict=True),
        load_default=None,
        validate=ma.validate.Length(min=1, max=200),
        metadata={"description": "settle these invoices (oldest due first); omit: all open invoices"},
    )
    allocations = ma.fields.List(
        ma.fields.Nested(lambda: AllocationIn()),
        load_default=None,
        validate=ma.validate.Length(min=1, max=200),
        metadata={"description": "exact amounts per invoice (partial allowed); the rest becomes credit"},
    )

    @ma.validates_schema
    def _one_way(self, data: dict[str, Any], **_: Any) -> None:
        if data.get("allocations") is not None and data.get("invoice_ids") is not None:
            raise ma.ValidationError("give invoice_ids or allocations, not both", "allocations")


class AllocationIn(ma.Schema):
    invoice_id = ma.fields.Integer(required=True, strict=True)
    amount_fen = ma.fields.Integer(required=True, strict=True)


def _pairs(allocations: list[dict[str, int]] | None) -> list[tuple[int, int]] | None:
    if allocations is None:
        return None
    return [(a["invoice_id"], a["amount_fen"]) for a in allocations]


class CollectionOut(ma.Schema):
    payment_id = ma.fields.Integer()
    customer_id = ma.fields.Integer()
    amount_fen = ma.fields.Integer()
    balance_fen = ma.fields.Integer()
    unapplied_fen = ma.fields.Integer(
        metadata={"description": "what of this payment no invoice took: kept as the customer's credit"}
    )
    advance_fen = ma.fields.Integer(metadata={"description": "the customer's unapplied credit now"})


def _account(customer: Customer) -> dict[str, Any]:
    return {
        "customer_id": customer.id,
        "balance_fen": receivables.balance_of(customer.id),
        "advance_fen": advances.balance_of(customer.id),
        "credit_limit_fen": customer.credit_limit_fen,
        "payment_terms_days": customer.payment_terms_days,
        "open_items": receivables.open_items(customer.id),
    }


@blp.route("/customers/<int:customer_id>/account", methods=["GET"])
@access(*STAFF)
@blp.response(200, AccountOut)
def customer_account(customer_id: int) -> Any:
    """客户应收 A customer's balance and open invoices, oldest due first."""
    customer = Customer.get_or_none(Customer.id == customer_id)
    if customer is None:
        raise UnknownCustomer(details={"customer_id": customer_id})
    return _account(customer)


@blp.route("/my/account", methods=["GET"])
@access("customer", "distributor")
@blp.response(200, AccountOut)
def my_account() -> Any:
    """我的账单 Your own balance and open invoices."""
    return _account(catalog.customer_of_user(current_user().id))


@blp.route("/collections", methods=["POST"])
@access(*STAFF)
@idempotent
@blp.arguments(CollectionIn)
@blp.response(201, CollectionOut)
def collect(data: dict[str, Any]) -> Any:
    """收款 Record money received on account: it settles the chosen open invoices (or all of them),
    oldest due first, or exactly the `allocations` given; what no invoice takes is kept as the
    customer's unapplied credit (预收, account 2203), never refused."""
    collection = on_account.collect_in_full(
        data["customer_id"],
        data["amount_fen"],
        data["method"],
        f"collection:{uuid.uuid4().hex}",
        invoice_ids=data["invoice_ids"],
        allocations=_pairs(data["allocations"]),
        actor_id=current_user().id,
        received_by=current_user().id,  # handed to them: it joins their shift's takings
    )
    payment = collection.payment
    return {
        "payment_id": payment.id,
        "customer_id": payment.customer_id,
        "amount_fen": payment.amount_fen,
        "balance_fen": receivables.balance_of(payment.customer_id),
        "unapplied_fen": collection.advance_fen,
        "advance_fen": advances.balance_of(payment.customer_id),
    }


class ApplyAdvanceIn(ma.Schema):
    allocations = ma.fields.List(
        ma.fields.Nested(AllocationIn),
        load_default=None,
        validate=ma.validate.Length(min=1, max=200),
        metadata={
            "description": "the invoices and amounts to apply; omit: oldest due first, as far as it goes"
        },
    )


class ApplyAdvanceOut(ma.Schema):
    customer_id = ma.fields.Integer()
    applied_fen = ma.fields.Integer()
    advance_fen = ma.fields.Integer()
    balance_fen = ma.fields.Integer()


@blp.route("/customers/<int:customer_id>/advance/applications", methods=["POST"])
@access(*STAFF)
@idempotent
@blp.arguments(ApplyAdvanceIn)
@blp.response(201, ApplyAdvanceOut)
def apply_advance(data: dict[str, Any], customer_id: int) -> Any:
    """预收冲应收 Apply a customer's unapplied credit to the invoices and amounts chosen (or to their
    open invoices, oldest due first): Dr 2203 / Cr 1122."""
    before = advances.balance_of(customer_id)
    on_account.apply_advance(customer_id, _pairs(data["allocations"]), actor_id=current_user().id)
    after = advances.balance_of(customer_id)
    return {
        "customer_id": customer_id,
        "applied_fen": before - after,
        "advance_fen": after,
        "balance_fen": receivables.balance_of(customer_id),
    }


class PayBackIn(ma.Schema):
    amount_fen = ma.fields.Integer(required=True, strict=True, validate=ma.validate.Range(min=1))
    method = ma.fields.String(required=True, validate=ma.validate.OneOf(receivables.PAY_BACK_METHODS))
    reference = ma.fields.String(
        required=True,
        validate=ma.validate.Length(min=1, max=48),
        metadata={"description": "the transfer's or receipt's number: the same one again pays back once"},
    )


class PayBackOut(ma.Schema):
    customer_id = ma.fields.Integer()
    payment_id = ma.fields.Integer()
    paid_back_fen = ma.fields.Integer()
    advance_fen = ma.fields.Integer(metadata={"description": "the credit left"})


@blp.route("/customers/<int:customer_id>/advance/pay-backs", methods=["POST"])
@access("owner")
@idempotent
@blp.arguments(PayBackIn)
@blp.response(201, PayBackOut)
def pay_back_advance(data: dict[str, Any], customer_id: int) -> Any:
    """退预收款 Give a customer back, in cash or by bank transfer, credit they paid ahead and have not
    applied (Dr 2203 / Cr 1001 or 1002); never more than their credit. The owner only: money leaves."""
    payment = receivables.refund_advance(
        customer_id, data["amount_fen"], data["method"], data["reference"], actor_id=current_user().id
    )
    return {
        "customer_id": customer_id,
        "payment_id": payment.id,
        "paid_back_fen": payment.amount_fen,
        "advance_fen": advances.balance_of(customer_id),
    }


class BatchLineIn(ma.Schema):
    customer_id = ma.fields.Integer(required=True, strict=True)
    amount_fen = ma.fields.Integer(required=True, strict=True)
    allocations = ma.fields.List(
        ma.fields.Nested(AllocationIn), load_default=list, validate=ma.validate.Length(max=200)
    )


class BatchIn(ma.Schema):
    reference = ma.fields.String(
        required=True,
        validate=ma.validate.Length(min=1, max=48),
        metadata={"description": "the batch's own number: the same batch sent twice is applied once"},
    )
    method = ma.fields.String(required=True, validate=ma.validate.OneOf(["cash", "bank_transfer"]))
    memo = ma.fields.String(load_default="", validate=ma.validate.Length(max=255))
    lines = ma.fields.List(
        ma.fields.Nested(BatchLineIn), required=True, validate=ma.validate.Length(min=1, max=200)
    )


class BatchAllocationOut(ma.Schema):
    invoice_id = ma.fields.Integer()
    amount_fen = ma.fields.Integer()


class BatchLineOut(ma.Schema):
    line_no = ma.fields.Integer()
    customer_id = ma.fields.Integer()
    payment_id = ma.fields.Integer()
    payment_reference = ma.fields.String()
    amount_fen = ma.fields.Integer()
    advance_fen = ma.fields.Integer(metadata={"description": "what no invoice took: the customer's credit"})
    allocations = ma.fields.List(ma.fields.Nested(BatchAllocationOut))


class BatchOut(ma.Schema):
    id = ma.fields.Integer()
    reference = ma.fields.String()
    method = ma.fields.String()
    total_fen = ma.fields.Integer()
    memo = ma.fields.String()
    created_by = ma.fields.Integer(allow_none=True)
    created_at = Timestamp()
    lines = ma.fields.List(ma.fields.Nested(BatchLineOut))


@blp.route("/collections/batches", methods=["POST"])
@access(*STAFF)
@idempotent
@blp.arguments(BatchIn)
@blp.response(201, BatchOut)
@blp.alt_response(
    200, schema=BatchOut, description="this batch (same reference, same content) was already recorded"
)
def collect_batch(data: dict[str, Any]) -> Any:
    """批量收款 Several payments in one batch: each line is one customer's payment, allocated to the
    invoices and amounts chosen (partial allowed); what a line leaves unallocated becomes that
    customer's credit. All or nothing: one bad line (more allocated than paid, more than an invoice
    has open, another customer's invoice) changes nothing. The same `reference` again with the same
    content answers the recorded batch (200); with other content it is a 409."""
    lines = [
        batches.BatchLine(
            line["customer_id"],
            line["amount_fen"],
            tuple((a["invoice_id"], a["amount_fen"]) for a in line["allocations"]),
        )
        for line in data["lines"]
    ]
    result = on_account.collect_batch(
        data["reference"], data["method"], lines, memo=data["memo"], actor_id=current_user().id
    )
    return batches.describe(result.batch), 201 if result.created else 200


@blp.route("/collections/batches/<int:batch_id>", methods=["GET"])
@access(*STAFF)
@blp.response(200, BatchOut)
def get_batch(batch_id: int) -> Any:
    """批量收款明细 A batch read back: each line's payment, what each invoice took, what became credit."""
    batch = CollectionBatch.get_or_none(CollectionBatch.id == batch_id)
    if batch is None:
        raise NotFound(
            "No such batch", "批量收款不存在", code="batch_not_found", details={"batch_id": batch_id}
        )
    return batches.describe(batch)
