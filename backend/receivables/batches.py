"""批量收款 Batch collections: one user's batch of money received, several customers' lines, each line
its own payment allocated to the invoices and amounts chosen (partial payments allowed); what a line
does not allocate becomes that customer's unapplied credit.

One transaction for the whole batch: an error on any line (more allocated than the line's amount,
more than an invoice has open, another customer's invoice) changes nothing. Idempotent per
`reference`: the same batch sent again answers the batch already recorded; the same reference with
other content is a 409. Every invoice the batch touches is locked first, in id order, so two batches
racing for one invoice apply one after the other and the second sees what the first left open.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

from backend.db import locked, transaction
from backend.kernel.models import Customer
from backend.receivables import services
from backend.receivables.errors import BatchReferenceReused, InvalidBatch, UnknownCustomer
from backend.receivables.models import ArEntry, CollectionBatch, CollectionBatchLine, Invoice, Payment

MAX_LINES = 200
MAX_ALLOCATIONS = 200


@dataclass(frozen=True)
class BatchLine:
    customer_id: int
    amount_fen: int
    allocations: tuple[tuple[int, int], ...] = ()  # (invoice id, fen)


@dataclass(frozen=True)
class BatchResult:
    batch: CollectionBatch
    created: bool
    allocated_to_orders: dict[int, int] = field(default_factory=dict)


def content_hash(method: str, lines: Sequence[BatchLine]) -> str:
    canonical = json.dumps(
        {
            "method": method,
            "lines": [[ln.customer_id, ln.amount_fen, [list(a) for a in ln.allocations]] for ln in lines],
        },
        separators=(",", ":"),
    )
    return hashlib.sha256(canonical.encode()).hexdigest()


def _validate(reference: str, method: str, lines: Sequence[BatchLine]) -> None:
    if not reference or len(reference) > 48:
        raise InvalidBatch(
            "The batch needs a reference of 1 to 48 characters",
            "批次号须为 1 至 48 个字符",
            details={"reference": reference},
        )
    services.check_method(method)
    if not 0 < len(lines) <= MAX_LINES:
        raise InvalidBatch(details={"lines": len(lines), "max": MAX_LINES})
    for n, line in enumerate(lines, start=1):
        services.check_amount(line.amount_fen)
        if len(line.allocations) > MAX_ALLOCATIONS:
            raise InvalidBatch(
                details={"line": n, "allocations": len(line.allocations), "max": MAX_ALLOCATIONS}
            )


def collect_batch(
    reference: str, method: str, lines: Sequence[BatchLine], *, memo: str = "", actor_id: int | None = None
) -> BatchResult:
    _validate(reference, method, lines)
    digest = content_hash(method, lines)
    with transaction():
        rows = list(
            CollectionBatch.insert(
                reference=reference,
                content_hash=digest,
                method=method,
                total_fen=sum(line.amount_fen for line in lines),
                memo=memo[:255],
                created_by=actor_id,
            )
            .on_conflict_ignore()
            .returning(CollectionBatch)
            .objects()
        )
        if not rows:
            existing = CollectionBatch.get(CollectionBatch.reference == reference)
            if existing.content_hash != digest:
                raise BatchReferenceReused(details={"reference": reference})
            return BatchResult(existing, created=False)
        batch = rows[0]
        customers = {line.customer_id for line in lines}
        known = {c.id for c in Customer.select(Customer.id).where(Customer.id.in_(sorted(customers)))}
        for customer_id in sorted(customers - known):
            raise UnknownCustomer(details={"customer_id": customer_id})
        invoice_ids = sorted({invoice_id for line in lines for invoice_id, _ in line.allocations})
        if invoice_ids:  # locked up front in one order: racing batches never deadlock
            list(locked(Invoice.select(Invoice.id).where(Invoice.id.in_(invoice_ids)).order_by(Invoice.id)))
        allocated: dict[int, int] = {}
        for n, line in enumerate(lines, start=1):
            collection = services.collect(
                line.customer_id,
                line.amount_fen,
                method,
                f"batch:{batch.id}:{n}",
                allocations=list(line.allocations),
                actor_id=actor_id,
            )
            CollectionBatchLine.insert(
                batch=batch.id,
                line_no=n,
                customer=line.customer_id,
                payment=collection.payment.id,
                amount_fen=line.amount_fen,
                advance_fen=collection.advance_fen,
            ).execute()
            for order_id, part in collection.allocated_to_orders.items():
                allocated[order_id] = allocated.get(order_id, 0) + part
        return BatchResult(batch, created=True, allocated_to_orders=allocated)


def describe(batch: CollectionBatch) -> dict[str, Any]:
    """A batch read back: each line's payment, what each invoice took, and what became credit."""
    lines = list(
        CollectionBatchLine.select()
        .where(CollectionBatchLine.batch == batch.id)
        .order_by(CollectionBatchLine.line_no)
    )
    payment_ids = [line.payment_id for line in lines]
    taken: dict[int, list[dict[str, int]]] = {}
    for entry in (
        ArEntry.select()
        .where(ArEntry.payment.in_(payment_ids) & (ArEntry.kind == "payment"))
        .order_by(ArEntry.id)
    ):
        taken.setdefault(entry.payment_id, []).append(
            {"invoice_id": entry.invoice_id, "amount_fen": -entry.amount_fen}
        )
    references = {
        p.id: p.reference
        for p in Payment.select(Payment.id, Payment.reference).where(Payment.id.in_(payment_ids))
    }
    return {
        "id": batch.id,
        "reference": batch.reference,
        "method": batch.method,
        "total_fen": batch.total_fen,
        "memo": batch.memo,
        "created_by": batch.created_by,
        "created_at": batch.created_at,
        "lines": [
            {
                "line_no": line.line_no,
                "customer_id": line.customer_id,
                "payment_id": line.payment_id,
                "payment_reference": references.get(line.payment_id, ""),
                "amount_fen": line.amount_fen,
                "advance_fen": line.advance_fen,
                "allocations": taken.get(line.payment_id, []),
            }
            for line in lines
        ],
    }
