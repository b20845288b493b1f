"""What the sale spine's events mean for member benefits, called by `store.services` inside each
event's own transaction (explicit calls, no signals), so a payment and its points, a cancel and its
returned coupon, a refund and its reversed points commit together or not at all.
"""

from __future__ import annotations

from backend.kernel.models import Customer, Order
from store import members, promotions


def on_paid(order: Order, amount_fen: int, customer: Customer) -> None:
    """Points for the payment to the order's customer."""
    members.earn_for_payment(customer, order.id, amount_fen)


def on_cancelled(order: Order) -> None:
    members.return_redeemed(order.customer_id, order.id)
    promotions.give_back(order.id)


def on_refunded(order: Order, amount_fen: int, method: str, reference: str, *, everything: bool) -> None:
    members.reverse_for_refund(
        order.customer_id,
        order.id,
        amount_fen,
        order.paid_fen,
        everything=everything,
        reference=reference,
    )
    if method == "stored_value":  # paid from the balance: the money goes back to the balance
        members.credit_stored_value(order.customer_id, "refund", amount_fen, f"refund:{reference}", order.id)
