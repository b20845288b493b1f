"""Money received on account (收款): one event. Receivables allocates the money to the customer's
open invoices (the ones chosen, with the amounts chosen, or oldest due first), keeps what no invoice
took as the customer's unapplied credit, and books it; the orders behind those invoices record it as
paid. The order's state is store's to change, so these events live here and receivables never writes
orders.
"""

from __future__ import annotations

from collections.abc import Sequence

from backend.db import transaction
from backend.kernel.models import Order
from backend.receivables import advances, bank_import
from backend.receivables import batches as receivable_batches
from backend.receivables import services as receivables
from backend.receivables.models import Payment


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
) -> Payment:
    """Record a collection and mark what it settled as paid on each order. Idempotent per `reference`."""
    return collect_in_full(
        customer_id,
        amount_fen,
        method,
        reference,
        invoice_ids=invoice_ids,
        allocations=allocations,
        up_to_open=up_to_open,
        actor_id=actor_id,
    ).payment


def collect_in_full(
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
) -> receivables.Collection:
    """`collect`, answering what the money did (allocations, what became credit); `received_by`: the
    staff member handed the money, in whose shift it counts."""
    with transaction():
        collection = receivables.collect(
            customer_id,
            amount_fen,
            method,
            reference,
            invoice_ids=invoice_ids,
            allocations=allocations,
            up_to_open=up_to_open,
            actor_id=actor_id,
            received_by=received_by,
        )
        record_paid(collection.allocated_to_orders)
    return collection


def apply_advance(
    customer_id: int, allocations: Sequence[tuple[int, int]] | None = None, *, actor_id: int | None = None
) -> dict[int, int]:
    """Apply a customer's unapplied credit to invoices (chosen, or oldest due first) and record it as
    paid on their orders."""
    with transaction():
        applied = advances.apply(customer_id, allocations, actor_id=actor_id)
        record_paid(applied)
    return applied


def collect_batch(
    reference: str,
    method: str,
    lines: Sequence[receivable_batches.BatchLine],
    *,
    memo: str = "",
    actor_id: int | None = None,
) -> receivable_batches.BatchResult:
    """批量收款: several customers' payments in one batch, each allocated as chosen; orders record it."""
    with transaction():
        result = receivable_batches.collect_batch(reference, method, lines, memo=memo, actor_id=actor_id)
        record_paid(result.allocated_to_orders)
    return result


def record_paid(allocated_to_orders: dict[int, int]) -> None:
    for order_id, settled_fen in sorted(allocated_to_orders.items()):
        Order.update(paid_fen=Order.paid_fen + settled_fen).where(Order.id == order_id).execute()


def import_bank_statement(
    data: bytes, *, filename: str = "", account: str = "", actor_id: int | None = None
) -> bank_import.BankImport:
    """银行流水导入: matched credit lines become collections (recorded on their orders), the rest wait."""
    with transaction():
        result = bank_import.import_statement(data, filename=filename, account=account, actor_id=actor_id)
        record_paid(result.allocated_to_orders)
    return result.bank_import


def assign_bank_line(
    line_id: int,
    customer_id: int,
    *,
    allocations: Sequence[tuple[int, int]] | None = None,
    actor_id: int | None = None,
) -> receivables.Collection:
    """A queued bank line assigned by staff to a customer: a collection, recorded on the orders."""
    with transaction():
        collection = bank_import.assign(line_id, customer_id, allocations=allocations, actor_id=actor_id)
        record_paid(collection.allocated_to_orders)
    return collection
