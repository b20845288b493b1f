"""Receivables: a customer's balance and open items (staff; a distributor or member sees their own),
and collections on account (staff)."""

from __future__ import annotations

import uuid
from typing import Any

import marshmallow as ma

from backend.kernel.models import Customer
from backend.receivables import services as receivables
from backend.receivables.errors import UnknownCustomer
from miniprogram_api.api import Blueprint
from miniprogram_api.idempotency import idempotent
from miniprogram_api.security import STAFF, access, current_user
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
    balance_fen = ma.fields.Integer()
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


class CollectionOut(ma.Schema):
    payment_id = ma.fields.Integer()
    customer_id = ma.fields.Integer()
    amount_fen = ma.fields.Integer()
    balance_fen = ma.fields.Integer()


def _account(customer: Customer) -> dict[str, Any]:
    return {
        "customer_id": customer.id,
        "balance_fen": receivables.balance_of(customer.id),
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
    """收款 Record money received on account; it settles the chosen open invoices (or all of them),
    oldest due first."""
    payment = on_account.collect(
        data["customer_id"],
        data["amount_fen"],
        data["method"],
        f"collection:{uuid.uuid4().hex}",
        invoice_ids=data["invoice_ids"],
        actor_id=current_user().id,
    )
    return {
        "payment_id": payment.id,
        "customer_id": payment.customer_id,
        "amount_fen": payment.amount_fen,
        "balance_fen": receivables.balance_of(payment.customer_id),
    }
