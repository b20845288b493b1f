"""A customer's unapplied credit (预收账款 2203): money received that no invoice took, kept until it is
applied to invoices, never lost and never refused.

    received  money beyond what it was allocated to        Dr money / Cr 2203 (customer)
    applied   credit applied to an invoice                 Dr 2203 (customer) / Cr 1122 (customer)
    paid back credit returned in money (退预收款; a         Dr 2203 (customer) / Cr money
              "received" movement of minus the amount)

Each movement is an `AdvanceMovement` row; `AdvanceAccount.balance_fen` is their sum, moved in SQL
in the same transaction (applying takes `balance_fen - n WHERE balance_fen >= n`, so two applications
at once can never take more than there is). The 2203 lines of these vouchers carry the customer, so
`yecai check` can tell a customer's advance from members' stored value and late WeChat payments,
which share the account.

`Customer.balance_fen` stays what the customer owes on invoices (the sum of their `ArEntry` rows);
what they have paid ahead is this balance, shown beside it. Applying credit lowers both at once.

Application is automatic: a new on-account invoice of a customer with credit takes it
(`store.services.sell_on_account`); staff may also apply it to invoices they choose.
"""

from __future__ import annotations

from collections.abc import Sequence

from backend import audit
from backend.db import locked, transaction
from backend.kernel.models import Customer
from backend.ledger import chart
from backend.ledger.services import Cr, Dr, post_entry, tuples
from backend.receivables.customer_lock import lock_customer
from backend.receivables.errors import (
    AdvanceInsufficient,
    AllocationExceedsOpen,
    DuplicateAllocation,
    InvalidAmount,
    InvoiceNotOfCustomer,
)
from backend.receivables.models import AdvanceAccount, AdvanceMovement, ArEntry, Invoice, Payment

# The vouchers whose 2203 lines are customers' advances (each line names its customer).
# aftersale.credited: an after-sales claim on an order whose invoice was already paid (store/aftersales.py)
# credits 2203 under the customer; rebate.accrued: a distributor's rebate (store/distribution/rebates.py).
ADVANCE_EVENTS = (
    "advance.received",
    "advance.applied",
    "advance.paid_back",
    "aftersale.credited",
    "rebate.accrued",
)


def balance_of(customer_id: int) -> int:
    value = (
        AdvanceAccount.select(AdvanceAccount.balance_fen)
        .where(AdvanceAccount.customer == customer_id)
        .scalar()
    )
    return int(value or 0)


def balances_of(customer_ids: Sequence[int]) -> dict[int, int]:
    """Each customer's unapplied credit in one query (customers without any are left out)."""
    if not customer_ids:
        return {}
    rows = AdvanceAccount.select(AdvanceAccount.customer, AdvanceAccount.balance_fen).where(
        AdvanceAccount.customer.in_(list(customer_ids)) & (AdvanceAccount.balance_fen != 0)
    )
    return {int(customer_id): int(fen) for customer_id, fen in tuples(rows)}


def _move(customer_id: int, delta_fen: int) -> bool:
    """Move the cache in SQL; a decrease happens only if the credit is there."""
    if delta_fen > 0:
        AdvanceAccount.insert(customer=customer_id, balance_fen=0).on_conflict_ignore().execute()
        query = AdvanceAccount.update(balance_fen=AdvanceAccount.balance_fen + delta_fen).where(
            AdvanceAccount.customer == customer_id
        )
    else:
        query = AdvanceAccount.update(balance_fen=AdvanceAccount.balance_fen + delta_fen).where(
            (AdvanceAccount.customer == customer_id) & (AdvanceAccount.balance_fen >= -delta_fen)
        )
    return int(query.execute()) == 1


def receive(payment: Payment, amount_fen: int, *, actor_id: int | None = None) -> None:
    """Part (or all) of `payment` that no invoice took becomes the customer's credit. Joins the
    caller's transaction (the collection that recorded the payment)."""
    with transaction():
        _move(payment.customer_id, amount_fen)
        AdvanceMovement.insert(
            customer=payment.customer_id,
            kind="received",
            amount_fen=amount_fen,
            payment=payment.id,
            actor_id=actor_id,
        ).execute()
        post_entry(
            "advance.received",
            [
                Dr(chart.MONEY_ACCOUNT[payment.method], amount_fen),
                Cr(chart.PREPAYMENTS, amount_fen, payment.customer_id),
            ],
            memo=f"预收 {payment.reference}",
            source_type="payment",
            source_id=payment.id,
        )


def pay_back(payment: Payment, *, actor_id: int | None = None) -> None:
    """`payment` (money out to the customer) returns that much of their credit: never more than there
    is. Joins the caller's transaction, which holds the customer's lock (receivables.refund_advance)."""
    with transaction():
        if not _move(payment.customer_id, -payment.amount_fen):
            raise AdvanceInsufficient(
                details={"advance_fen": balance_of(payment.customer_id), "amount_fen": payment.amount_fen}
            )
        AdvanceMovement.insert(
            customer=payment.customer_id,
            kind="received",
            amount_fen=-payment.amount_fen,
            payment=payment.id,
            actor_id=actor_id,
        ).execute()
        post_entry(
            "advance.paid_back",
            [
                Dr(chart.PREPAYMENTS, payment.amount_fen, payment.customer_id),
                Cr(chart.MONEY_ACCOUNT[payment.method], payment.amount_fen),
            ],
            memo=f"退预收款 {payment.reference}",
            source_type="payment",
            source_id=payment.id,
        )


def grant(customer_id: int, amount_fen: int, *, actor_id: int | None = None) -> None:
    """Credit that comes without money (an after-sales claim on a paid invoice, a rebate) becomes the
    customer's unapplied credit. Joins the caller's transaction; the caller posts the voucher that
    credits 2203 under the customer, with one of ADVANCE_EVENTS."""
    if type(amount_fen) is not int or amount_fen <= 0:
        raise InvalidAmount(details={"amount_fen": str(amount_fen)})
    with transaction():
        _move(customer_id, amount_fen)
        AdvanceMovement.insert(
            customer=customer_id, kind="received", amount_fen=amount_fen, actor_id=actor_id
        ).execute()


def apply(
    customer_id: int,
    allocations: Sequence[tuple[int, int]] | None = None,
    *,
    actor_id: int | None = None,
) -> dict[int, int]:
    """Apply the customer's credit to invoices: the chosen (invoice id, fen) pairs, or (None) as much
    as there is to their open invoices, oldest due first. Returns what each order's invoice took
    (order id -> fen), for store to record on the orders. Nothing to apply is not an error."""
    with transaction():
        lock_customer(customer_id)  # before the credit, as the credit check does
        account = locked(AdvanceAccount.select().where(AdvanceAccount.customer == customer_id)).first()
        available = int(account.balance_fen) if account is not None else 0
        if allocations is None:
            if available == 0:
                return {}
            invoices = list(
                locked(
                    Invoice.select()
                    .where((Invoice.customer == customer_id) & (Invoice.open_fen > 0))
                    .order_by(Invoice.due_on, Invoice.id)
                )
            )
            plan: list[tuple[Invoice, int]] = []
            left = available
            for invoice in invoices:
                if left == 0:
                    break
                part = min(left, invoice.open_fen)
                plan.append((invoice, part))
                left -= part
        else:
            plan = chosen_invoices(customer_id, allocations)
            wanted = sum(part for _, part in plan)
            if wanted > available:
                raise AdvanceInsufficient(details={"advance_fen": available, "amount_fen": wanted})
        applied: dict[int, int] = {}
        total = 0
        for invoice, part in plan:
            take_from_invoice(invoice, part, kind="advance", payment_id=None)
            AdvanceMovement.insert(
                customer=customer_id, kind="applied", amount_fen=-part, invoice=invoice.id, actor_id=actor_id
            ).execute()
            if invoice.order_id is not None:
                applied[invoice.order_id] = applied.get(invoice.order_id, 0) + part
            total += part
        if total == 0:
            return {}
        if not _move(customer_id, -total):
            raise AdvanceInsufficient(details={"advance_fen": balance_of(customer_id), "amount_fen": total})
        Customer.update(balance_fen=Customer.balance_fen - total).where(Customer.id == customer_id).execute()
        post_entry(
            "advance.applied",
            [Dr(chart.PREPAYMENTS, total, customer_id), Cr(chart.RECEIVABLES, total, customer_id)],
            memo="预收冲应收 " + ", ".join(f"#{invoice.id} {part}" for invoice, part in plan)[:200],
            source_type="customer",
            source_id=customer_id,
        )
        audit.record(
            actor_id,
            "receivable.apply_advance",
            "customer",
            customer_id,
            amount_fen=total,
            invoices={str(invoice.id): part for invoice, part in plan},
        )
        return applied


def chosen_invoices(
    customer_id: int, allocations: Sequence[tuple[int, int]], *, up_to_open: bool = False
) -> list[tuple[Invoice, int]]:
    """The customer's invoices the user chose, locked, each with its amount: every amount positive,
    each invoice once, each the customer's own and with at least that much open. Locked in id order,
    so two allocations over the same invoices never deadlock.

    `up_to_open`: money that has already arrived for these amounts (a WeChat payment chosen earlier)
    takes what each invoice still has open, and no more (an invoice settled meanwhile takes nothing)."""
    seen: set[int] = set()
    for invoice_id, part in allocations:
        if type(part) is not int or part <= 0:
            raise InvalidAmount(details={"invoice_id": invoice_id, "amount_fen": str(part)})
        if invoice_id in seen:
            raise DuplicateAllocation(details={"invoice_id": invoice_id})
        seen.add(invoice_id)
    found = {
        invoice.id: invoice
        for invoice in locked(Invoice.select().where(Invoice.id.in_(sorted(seen))).order_by(Invoice.id))
    }
    plan = []
    for invoice_id, part in allocations:
        invoice = found.get(invoice_id)
        if invoice is None or invoice.customer_id != customer_id:
            raise InvoiceNotOfCustomer(details={"invoice_id": invoice_id, "customer_id": customer_id})
        if up_to_open:
            part = min(part, invoice.open_fen)
            if part == 0:
                continue
        elif part > invoice.open_fen:
            raise AllocationExceedsOpen(
                details={"invoice_id": invoice_id, "open_fen": invoice.open_fen, "amount_fen": part}
            )
        plan.append((invoice, part))
    return plan


def take_from_invoice(invoice: Invoice, part: int, *, kind: str, payment_id: int | None) -> None:
    """Lower what is open on an invoice by `part` (in SQL, only if that much is open) with its entry.
    The customer's balance cache is the caller's to move, once for all its invoices."""
    lowered = (
        Invoice.update(open_fen=Invoice.open_fen - part)
        .where((Invoice.id == invoice.id) & (Invoice.open_fen >= part))
        .execute()
    )
    if lowered != 1:
        raise AllocationExceedsOpen(details={"invoice_id": invoice.id, "amount_fen": part})
    ArEntry.insert(
        customer=invoice.customer_id, invoice=invoice.id, payment=payment_id, kind=kind, amount_fen=-part
    ).execute()
