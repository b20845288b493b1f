"""Reads for order lists and order details.

A list filters on indexed columns, and whatever a page of orders shows beyond the orders' own
columns (lines, the checkout with its delivery address, the shipment) is read for the whole page at
once: a fixed number of queries per page, never one per order.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from backend import clock
from backend.kernel.models import Order, OrderLine, Sku
from store.shop_models import Checkout, Shipment


def find_orders(
    *,
    customer_id: int | None = None,
    status: str | None = None,
    channel: str | None = None,
    created_from: dt.date | None = None,
    created_to: dt.date | None = None,
) -> Any:
    """Orders matching every filter given; `created_from` and `created_to` are business days (the
    merchant's time zone), both included."""
    query = Order.select()
    if customer_id is not None:
        query = query.where(Order.customer == customer_id)
    if status is not None:
        query = query.where(Order.status == status)
    if channel is not None:
        query = query.where(Order.channel == channel)
    if created_from is not None:
        query = query.where(Order.created_at >= clock.day_bounds(created_from)[0])
    if created_to is not None:
        query = query.where(Order.created_at < clock.day_bounds(created_to)[1])
    return query


def lines_by_order(order_ids: list[int]) -> dict[int, list[OrderLine]]:
    """Each order's lines, with the SKU's name as `sku_name` (one query for the page)."""
    lines: dict[int, list[OrderLine]] = {order_id: [] for order_id in order_ids}
    query = (
        OrderLine.select(OrderLine, Sku.name.alias("sku_name"))
        .join(Sku)
        .where(OrderLine.order.in_(order_ids))
        .order_by(OrderLine.id)
        .objects()
    )
    for line in query:
        lines[line.order_id].append(line)
    return lines


def checkouts_by_order(order_ids: list[int]) -> dict[int, Checkout]:
    """The mini-program checkout of each order that has one (its delivery address, discounts)."""
    return {c.order_id: c for c in Checkout.select().where(Checkout.order.in_(order_ids))}


def shipments_by_order(order_ids: list[int]) -> dict[int, Shipment]:
    return {s.order_id: s for s in Shipment.select().where(Shipment.order.in_(order_ids))}
