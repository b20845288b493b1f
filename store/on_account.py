"""Money received on account (收款): one event. Receivables allocates the money to the customer's
open invoices, oldest due first, and books it; the orders behind those invoices record it as paid.
The order's state is store's to change, so this event lives here and receivables never writes orders.
"""

from __future__ import annotations

from collections.abc import Sequence

from backend.db import transaction
from backend.kernel.models import Order
from backend.receivables import services as receivables
from backend.receivables.models import Payment


def collect(
    customer_id: int,
    amount_fen: int,
    method: str,
    reference: str,
    *,
    invoice_ids: Sequence[int] | None = None,
    actor_id: int | None = None,
) -> Payment:
    """Record a collection and mark what it settled as paid on each order. Idempotent per `reference`."""
    with transaction():
        collection = receivables.collect(
            customer_id, amount_fen, method, reference, invoice_ids=invoice_ids, actor_id=actor_id
        )
        for order_id, settled_fen in collection.allocated_to_orders.items():
            _add_paid(order_id, settled_fen)
    return collection.payment


def _add_paid(order_id: int, amount_fen: int) -> None:
    Order.update(paid_fen=Order.paid_fen + amount_fen).where(Order.id == order_id).execute()
