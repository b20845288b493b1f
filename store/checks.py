"""Invariants of the shop, run by `yecai check`: member balances equal their ledgers, and every
order's lines carry exactly its discount."""

from __future__ import annotations

import peewee as pw

from backend.checks import invariant
from backend.kernel.models import Order, OrderLine
from backend.ledger.services import tuples
from store.shop_models import MemberAccount, PointsEntry, StoredValueEntry


def _sums(model: type[pw.Model], amount: pw.Field) -> dict[int, int]:
    return {
        int(c): int(t)
        for c, t in tuples(model.select(model.customer, pw.fn.SUM(amount)).group_by(model.customer))  # type: ignore[attr-defined]
    }


@invariant("members: points and stored-value balances equal the sums of their ledgers")
def member_balances_match_ledgers() -> list[str]:
    points = _sums(PointsEntry, PointsEntry.points)
    stored = _sums(StoredValueEntry, StoredValueEntry.amount_fen)
    problems = []
    accounts = {a.customer_id: a for a in MemberAccount.select()}
    for customer_id in sorted(set(accounts) | set(points) | set(stored)):
        acc = accounts.get(customer_id)
        held_points = int(acc.points) if acc else 0
        held_fen = int(acc.stored_value_fen) if acc else 0
        if held_points != points.get(customer_id, 0):
            problems.append(
                f"customer {customer_id}: points {held_points} but the ledger sums to {points.get(customer_id, 0)}"
            )
        if held_fen != stored.get(customer_id, 0):
            problems.append(
                f"customer {customer_id}: stored value {held_fen} fen but the ledger sums to "
                f"{stored.get(customer_id, 0)}"
            )
    return problems


@invariant("orders: lines add up to the order, discounts included")
def lines_add_up() -> list[str]:
    query = (
        Order.select(
            Order.id,
            Order.total_fen,
            Order.vat_fen,
            Order.discount_fen,
            pw.fn.SUM(OrderLine.total_fen),
            pw.fn.SUM(OrderLine.vat_fen),
            pw.fn.SUM(OrderLine.discount_fen),
            pw.fn.SUM(
                OrderLine.unit_price_fen * OrderLine.quantity - OrderLine.discount_fen - OrderLine.total_fen
            ),
        )
        .join(OrderLine)
        .group_by(Order.id, Order.total_fen, Order.vat_fen, Order.discount_fen)
    )
    problems = []
    for oid, total, vat, discount, l_total, l_vat, l_discount, off in tuples(query):
        if (int(total), int(vat), int(discount), int(off)) != (int(l_total), int(l_vat), int(l_discount), 0):
            problems.append(
                f"order {oid}: total {total}/vat {vat}/discount {discount} but lines {l_total}/{l_vat}/"
                f"{l_discount} (price x quantity off by {off})"
            )
    return problems


@invariant("orders: returned goods never exceed what was shipped, nor their cost what it cost")
def returns_within_shipped() -> list[str]:
    query = OrderLine.select().where(
        (OrderLine.returned_quantity < 0)
        | (OrderLine.returned_quantity > OrderLine.quantity)
        | (OrderLine.returned_cost_fen < 0)
        | (OrderLine.returned_cost_fen > pw.fn.COALESCE(OrderLine.cost_fen, 0))
    )
    return [
        f"order line {line.id}: returned {line.returned_quantity} of {line.quantity} units, "
        f"{line.returned_cost_fen} of {line.cost_fen} fen cost"
        for line in query
    ]
