"""Receivable verbs: invoices, money in and out, allocation, credit notes, collections.

All amounts are positive fen in the signatures; the sign lives in `ArEntry.amount_fen` (+ the
customer owes more). Caches (`Invoice.open_fen`, `Customer.balance_fen`) move in SQL with the entry.
A sale settled on the spot nets to zero on the customer, so it leaves the balance row alone: busy
walk-in counters must not serialize on one cached row.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field

from backend import audit, clock
from backend.db import Param, Prepared, locked, transaction
from backend.kernel.models import Customer
from backend.ledger import chart
from backend.ledger.services import Cr, Dr, post_entry
from backend.receivables import advances
from backend.receivables.credit import check as credit_check
from backend.receivables.credit.profiles import due_date
from backend.receivables.customer_lock import lock_customer
from backend.receivables.errors import (
    AllocationExceedsPayment,
    InvalidAmount,
    InvalidPaymentMethod,
    PaymentExceedsOpen,
    PaymentReferenceReused,
    UnknownCustomer,
)
from backend.receivables.models import PAYMENT_METHODS, ArEntry, Invoice, Payment

MAX_AMOUNT_FEN = 10**13  # a hundred billion yuan: anything above is a typo or an attack


# Every sale paid on the spot writes these (prepared: see backend.db.Prepared).
_INSERT_PAYMENT = Prepared(
    lambda: (
        Payment.insert(
            customer=Param("customer"),
            order=Param("order"),
            direction=Param("direction"),
            method=Param("method"),
            amount_fen=Param("amount"),
            reference=Param("reference"),
            created_at=Param("now"),
            received_by=Param("received_by"),
        )
        .on_conflict_ignore()
        .returning(Payment)
        .objects()
    )
)
_INSERT_SETTLED_INVOICE = Prepared(
    lambda: Invoice.insert(
        customer=Param("customer"),
        order=Param("order"),
        amount_fen=Param("amount"),
        open_fen=0,
        issued_on=Param("today"),
        due_on=Param("today"),
        created_at=Param("now"),
    ).returning(Invoice.id)
)
_SETTLE_INVOICE = Prepared(
    lambda: ArEntry.insert_many(
        [
            {
                "customer": Param("customer"),
                "invoice": Param("invoice"),
                "payment": None,
                "kind": "invoice",
                "amount_fen": Param("amount"),
                "created_at": Param("now"),
            },
            {
                "customer": Param("customer"),
                "invoice": Param("invoice"),
                "payment": Param("payment"),
                "kind": "payment",
                "amount_fen": Param("paid"),
                "created_at": Param("now"),
            },
        ]
    )
)


def check_amount(amount_fen: object) -> int:
    if (
        not isinstance(amount_fen, int)
        or isinstance(amount_fen, bool)
        or not 0 < amount_fen <= MAX_AMOUNT_FEN
    ):
        raise InvalidAmount(details={"amount_fen": str(amount_fen)})
    return amount_fen


def check_method(method: str) -> str:
    if method not in PAYMENT_METHODS:
        raise InvalidPaymentMethod(details={"method": method, "allowed": list(PAYMENT_METHODS)})
    return method


def _add_to_balance(customer_id: int, delta_fen: int) -> None:
    Customer.update(balance_fen=Customer.balance_fen + delta_fen).where(Customer.id == customer_id).execute()


def _entry(
    customer_id: int, invoice_id: int, kind: str, amount_fen: int, payment_id: int | None = None
) -> None:
    ArEntry.insert(
        customer=customer_id, invoice=invoice_id, payment=payment_id, kind=kind, amount_fen=amount_fen
    ).execute()


def record_money(
    customer_id: int,
    amount_fen: int,
    method: str,
    reference: str,
    *,
    direction: str,
    order_id: int | None,
    received_by: int | None = None,
) -> tuple[Payment, bool]:
    """Insert a payment row unique by reference. Returns (payment, created); a twin returns the first.

    The insert comes first (ON CONFLICT DO NOTHING: no savepoint, no read in the common case); only
    a reference already taken is read back, to tell the same payment from a reused reference.
    """
    check_amount(amount_fen)
    check_method(method)
    rows = _INSERT_PAYMENT.rows(
        {
            "customer": customer_id,
            "order": order_id,
            "direction": direction,
            "method": method,
            "amount": amount_fen,
            "reference": reference,
            "now": clock.now(),
            "received_by": received_by,
        }
    )
    if rows:
        return rows[0], True
    existing = Payment.get(Payment.reference == reference)
    same = (
        existing.customer_id == customer_id
        and existing.order_id == order_id
        and existing.amount_fen == amount_fen
        and existing.method == method
        and existing.direction == direction
    )
    if not same:
        raise PaymentReferenceReused(details={"reference": reference})
    return existing, False


def post_settled_invoice(customer_id: int, order_id: int, amount_fen: int, payment_id: int) -> int:
    """An invoice paid in full on the spot: posted and settled by `payment_id` at once."""
    values = {
        "customer": customer_id,
        "order": order_id,
        "amount": amount_fen,
        "paid": -amount_fen,  # the payment's entry brings the invoice back to nothing open
        "payment": payment_id,
        "today": clock.today(),
        "now": clock.now(),
    }
    with transaction():
        values["invoice"] = invoice_id = int(_INSERT_SETTLED_INVOICE.execute(values).fetchone()[0])
        _SETTLE_INVOICE.execute(values)
    return invoice_id


def post_open_invoice(customer: Customer, order_id: int | None, amount_fen: int) -> Invoice:
    """An invoice on account, after the credit check (held? over the limit? decided in SQL), due on the
    customer's terms (N days, or month-end plus N days)."""
    check_amount(amount_fen)
    today = clock.today()
    with transaction():
        what = f"order {order_id}" if order_id is not None else "invoice"
        terms = credit_check.open_receivable(customer.id, amount_fen, what)
        invoice_id = Invoice.insert(
            customer=customer.id,
            order=order_id,
            amount_fen=amount_fen,
            open_fen=amount_fen,
            issued_on=today,
            due_on=due_date(terms, today),
        ).execute()
        _entry(customer.id, invoice_id, "invoice", amount_fen)
    return Invoice.get_by_id(invoice_id)


def credit_open_invoice(invoice: Invoice, amount_fen: int) -> None:
    """A credit note against what is still open (an on-account sale cancelled before payment)."""
    with transaction():
        lowered = (
            Invoice.update(open_fen=Invoice.open_fen - amount_fen)
            .where((Invoice.id == invoice.id) & (Invoice.open_fen >= amount_fen))
            .execute()
        )
        if lowered != 1:
            raise PaymentExceedsOpen(details={"invoice_id": invoice.id, "amount_fen": amount_fen})
        _entry(invoice.customer_id, invoice.id, "credit_note", -amount_fen)
        _add_to_balance(invoice.customer_id, -amount_fen)


def refund_settled(invoice: Invoice, amount_fen: int, payment_out_id: int) -> None:
    """Money paid back on a settled invoice: a credit note and the payout cancel out on the balance."""
    with transaction():
        ArEntry.insert_many(
            [
                {
                    "customer": invoice.customer_id,
                    "invoice": invoice.id,
                    "payment": payment_out_id,
                    "kind": "refund",
                    "amount_fen": amount_fen,
                },
                {
                    "customer": invoice.customer_id,
                    "invoice": invoice.id,
                    "kind": "credit_note",
                    "amount_fen": -amount_fen,
                },
            ]
        ).execute()


# Credit is paid back in cash or by bank transfer; money that came by WeChat goes back as a WeChat
# refund of its own payment, which is not this.
PAY_BACK_METHODS = ("cash", "bank_transfer")


def refund_advance(
    customer_id: int, amount_fen: int, method: str, reference: str, *, actor_id: int | None = None
) -> Payment:
    """退预收款: give a customer back, in money, credit they paid ahead and have not applied (Dr 2203 /
    Cr money). Never more than their credit; idempotent per `reference` (the same call again returns
    the same payment; the reference with other figures is refused)."""
    check_amount(amount_fen)
    if method not in PAY_BACK_METHODS:
        raise InvalidPaymentMethod(details={"method": method, "allowed": list(PAY_BACK_METHODS)})
    with transaction():
        lock_customer(customer_id)  # before the credit, as the credit check does
        payment, created = record_money(
            customer_id, amount_fen, method, reference, direction="out", order_id=None
        )
        if created:
            advances.pay_back(payment, actor_id=actor_id)
            audit.record(
                actor_id,
                "receivable.pay_back_advance",
                "customer",
                customer_id,
                amount_fen=amount_fen,
                method=method,
                reference=reference,
            )
        return payment


@dataclass(frozen=True)
class Collection:
    payment: Payment
    # What this call allocated to each order's invoice (order id -> fen), for the order's owner (store)
    # to record as paid. Empty when the reference had already been applied, or no invoice has an order.
    allocated_to_orders: dict[int, int] = field(default_factory=dict)
    # What no invoice took: kept as the customer's unapplied credit (2203), never refused.
    advance_fen: int = 0
    created: bool = True


def collect(
    customer_id: int,
    amount_fen: int,
    method: str,
    reference: str,
    *,
    invoice_ids: Sequence[int] | None = None,
    allocations: Sequence[tuple[int, int]] | None = None,
    up_to_open: bool = False,
    actor_id: int | None = None,
    received_by: int | None = None,
) -> Collection:
    """A collection on account: money in, Dr money / Cr 1122 for what invoices take.

    Allocated to the chosen `allocations` ((invoice id, fen) pairs: partial payments allowed, never
    more than an invoice has open nor, together, than the payment), or else to open invoices oldest
    due first (only `invoice_ids`, when given). `up_to_open`: each allocation takes at most what its
    invoice still has open (money that arrived for amounts chosen earlier). Whatever is left becomes the customer's unapplied
    credit (Dr money / Cr 2203, backend/receivables/advances.py).

    Idempotent per `reference`: the same collection twice is applied once. Orders are not touched here:
    `store.on_account.collect` is the event, and records the allocations on the orders. `received_by`:
    the staff member the money was handed to, whose shift takings it joins.
    """
    check_amount(amount_fen)
    check_method(method)
    with transaction():
        customer = Customer.get_or_none(Customer.id == customer_id)
        if customer is None:
            raise UnknownCustomer(details={"customer_id": customer_id})
        payment, created = record_money(
            customer_id, amount_fen, method, reference, direction="in", order_id=None, received_by=received_by
        )
        if not created:
            return Collection(payment, created=False)
        if allocations is not None:
            plan = advances.chosen_invoices(customer_id, allocations, up_to_open=up_to_open)
            wanted = sum(part for _, part in plan)
            if wanted > amount_fen:
                raise AllocationExceedsPayment(details={"amount_fen": amount_fen, "allocated_fen": wanted})
        else:
            query = Invoice.select().where((Invoice.customer == customer_id) & (Invoice.open_fen > 0))
            if invoice_ids is not None:
                query = query.where(Invoice.id.in_(list(invoice_ids)))
            plan = []
            left = amount_fen
            for invoice in locked(query.order_by(Invoice.due_on, Invoice.id)):
                if left == 0:
                    break
                part = min(left, invoice.open_fen)
                plan.append((invoice, part))
                left -= part
        allocated: dict[int, int] = {}
        total = 0
        for invoice, part in plan:
            advances.take_from_invoice(invoice, part, kind="payment", payment_id=payment.id)
            if invoice.order_id is not None:
                allocated[invoice.order_id] = allocated.get(invoice.order_id, 0) + part
            total += part
        if total:
            _add_to_balance(customer_id, -total)
            post_entry(
                "receivable.collected",
                [Dr(chart.MONEY_ACCOUNT[method], total), Cr(chart.RECEIVABLES, total, customer_id)],
                memo=f"收款 {reference}",
                source_type="payment",
                source_id=payment.id,
            )
        advance = amount_fen - total
        if advance:
            advances.receive(payment, advance, actor_id=actor_id)
        audit.record(
            actor_id,
            "receivable.collect",
            "customer",
            customer_id,
            amount_fen=amount_fen,
            method=method,
            reference=reference,
            payment_id=payment.id,
            advance_fen=advance,
        )
    return Collection(payment, allocated, advance)


def invoice_for_order(order_id: int) -> Invoice | None:
    return Invoice.get_or_none(Invoice.order == order_id)


def open_items(customer_id: int) -> list[Invoice]:
    return list(
        Invoice.select()
        .where((Invoice.customer == customer_id) & (Invoice.open_fen > 0))
        .order_by(Invoice.due_on, Invoice.id)
    )


def balance_of(customer_id: int) -> int:
    return int(Customer.select(Customer.balance_fen).where(Customer.id == customer_id).scalar() or 0)
