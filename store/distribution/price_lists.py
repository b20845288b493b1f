"""Keeping price lists: grades, lists and their quantity breaks, bulk changes. Every change is one
transaction and lands in the audit log with who made it.

Refused at save, never discovered at sale:
- two active lists of one target (a customer, a grade or a channel) whose validity overlaps and whose
  priority is equal (pricing could not tell which wins)                  -> price_list_overlap (409)
- a SKU's breaks not rising in minimum quantity, or a price rising with quantity -> breaks_out_of_order
- a negative price                                                            -> negative_price
"""

from __future__ import annotations

import datetime as dt
import zlib
from collections.abc import Sequence
from typing import Any

import peewee as pw

from backend import audit
from backend.db import db, is_postgres, transaction
from backend.kernel.models import CHANNELS, Customer, Order, OrderLine, Sku
from backend.money import round_half_up_div
from backend.receivables.errors import UnknownCustomer
from store.distribution.errors import (
    BreaksOutOfOrder,
    DuplicateGrade,
    InvalidPercent,
    InvalidPriceList,
    NegativePrice,
    PriceListNotFound,
    PriceListOverlap,
    UnknownGrade,
)
from store.distribution.models import (
    PRICE_LIST_SCOPES,
    CustomerGrade,
    CustomerGradeMember,
    PriceList,
    PriceListItem,
)
from store.errors import UnknownSku

MAX_ITEMS = 5000  # one import
MAX_PRICE_FEN = 10**11  # a hundred million yuan a unit: beyond any real price, far from overflow
# Orders whose prices the customer really paid (or owes): the history staff see when billing.
_SOLD = ("on_account", "paid", "shipped", "completed", "partially_refunded")


# ---------------------------------------------------------------- grades


def create_grade(name: str, *, actor_id: int | None = None) -> CustomerGrade:
    with transaction():
        if CustomerGrade.select().where(CustomerGrade.name == name).exists():
            raise DuplicateGrade(details={"name": name})
        grade = CustomerGrade.create(name=name)
        audit.record(actor_id, "customer_grade.create", "customer_grade", grade.id, name=name)
        return grade


def set_grade(customer_id: int, grade_id: int | None, *, actor_id: int | None = None) -> None:
    """Put a customer in a grade (None: in none)."""
    with transaction():
        if not Customer.select().where(Customer.id == customer_id).exists():
            raise UnknownCustomer(details={"customer_id": customer_id})
        CustomerGradeMember.delete().where(CustomerGradeMember.customer == customer_id).execute()
        if grade_id is not None:
            if not CustomerGrade.select().where(CustomerGrade.id == grade_id).exists():
                raise UnknownGrade(details={"grade_id": grade_id})
            CustomerGradeMember.create(customer=customer_id, grade=grade_id)
        audit.record(actor_id, "customer.grade", "customer", customer_id, grade_id=grade_id)


def grade_of(customer_id: int) -> int | None:
    row = CustomerGradeMember.get_or_none(CustomerGradeMember.customer == customer_id)
    return row.grade_id if row is not None else None


# ---------------------------------------------------------------- checks


def check_breaks(items: Sequence[dict[str, int]]) -> dict[int, list[tuple[int, int]]]:
    """Items ({sku_id, min_quantity, price_fen}) as each SKU's breaks, after the save-time rules."""
    if len(items) > MAX_ITEMS:
        raise InvalidPriceList(details={"max_items": MAX_ITEMS})
    by_sku: dict[int, list[tuple[int, int]]] = {}
    for item in items:
        sku_id, min_quantity, price = item["sku_id"], item.get("min_quantity", 1), item["price_fen"]
        if price < 0:
            raise NegativePrice(details={"sku_id": sku_id, "price_fen": price})
        if price > MAX_PRICE_FEN or min_quantity < 1 or min_quantity > 10**9:
            raise InvalidPriceList(
                details={"sku_id": sku_id, "min_quantity": min_quantity, "price_fen": price}
            )
        breaks = by_sku.setdefault(sku_id, [])
        if breaks and (min_quantity <= breaks[-1][0] or price > breaks[-1][1]):
            raise BreaksOutOfOrder(
                details={"sku_id": sku_id, "after": list(breaks[-1]), "given": [min_quantity, price]}
            )
        breaks.append((min_quantity, price))
    known = {sku.id for sku in Sku.select(Sku.id).where(Sku.id.in_(list(by_sku)))} if by_sku else set()
    missing = sorted(set(by_sku) - known)
    if missing:
        raise UnknownSku(details={"sku_ids": missing})
    return by_sku


def _target(scope: str, customer_id: int | None, grade_id: int | None, channel: str | None) -> dict[str, Any]:
    given = {"customer": customer_id, "grade": grade_id, "channel": channel}
    if (
        scope not in PRICE_LIST_SCOPES
        or given[scope] is None
        or any(v is not None for k, v in given.items() if k != scope)
    ):
        raise InvalidPriceList(
            "A price list targets exactly one customer, grade or channel, as its scope says",
            "价格表必须且只能指定一个客户、等级或渠道，并与范围一致",
            details={"scope": scope},
        )
    if scope == "customer" and not Customer.select().where(Customer.id == customer_id).exists():
        raise UnknownCustomer(details={"customer_id": customer_id})
    if scope == "grade" and not CustomerGrade.select().where(CustomerGrade.id == grade_id).exists():
        raise UnknownGrade(details={"grade_id": grade_id})
    if scope == "channel" and channel not in CHANNELS:
        raise InvalidPriceList(details={"channel": channel, "channels": list(CHANNELS)})
    return {"customer": customer_id, "grade": grade_id, "channel": channel}


def _lock_target(price_list: PriceList) -> None:
    """Serialize saves for one target, so two overlapping lists saved at once cannot both pass the
    check (SQLite's write lock already does)."""
    if is_postgres():
        key = f"price_list:{price_list.scope}:{price_list.customer_id}:{price_list.grade_id}:{price_list.channel}"
        db.execute_sql("SELECT pg_advisory_xact_lock(%s)", (zlib.crc32(key.encode()),))


def _check_overlap(price_list: PriceList) -> None:
    if not price_list.active:
        return
    _lock_target(price_list)
    same_target = {
        "customer": PriceList.customer == price_list.customer_id,
        "grade": PriceList.grade == price_list.grade_id,
        "channel": PriceList.channel == price_list.channel,
    }[price_list.scope]
    query = PriceList.select(PriceList.id).where(
        same_target
        & (PriceList.scope == price_list.scope)
        & (PriceList.active == True)  # noqa: E712
        & (PriceList.priority == price_list.priority)
        & (PriceList.id != (price_list.id or 0))
    )
    if price_list.valid_to is not None:
        query = query.where(PriceList.valid_from.is_null() | (PriceList.valid_from < price_list.valid_to))
    if price_list.valid_from is not None:
        query = query.where(PriceList.valid_to.is_null() | (PriceList.valid_to > price_list.valid_from))
    clash = query.first()
    if clash is not None:
        raise PriceListOverlap(details={"other_price_list_id": clash.id, "priority": price_list.priority})


def _check_validity(valid_from: dt.datetime | None, valid_to: dt.datetime | None) -> None:
    if valid_from is not None and valid_to is not None and valid_to <= valid_from:
        raise InvalidPriceList(
            "valid_to must be after valid_from", "失效时间必须晚于生效时间", details={"field": "valid_to"}
        )


# ---------------------------------------------------------------- lists


def create_price_list(
    name: str,
    scope: str,
    *,
    customer_id: int | None = None,
    grade_id: int | None = None,
    channel: str | None = None,
    priority: int = 0,
    valid_from: dt.datetime | None = None,
    valid_to: dt.datetime | None = None,
    items: Sequence[dict[str, int]] = (),
    actor_id: int | None = None,
) -> PriceList:
    with transaction():
        target = _target(scope, customer_id, grade_id, channel)
        _check_validity(valid_from, valid_to)
        breaks = check_breaks(items)
        price_list = PriceList(
            name=name, scope=scope, priority=priority, valid_from=valid_from, valid_to=valid_to, **target
        )
        _check_overlap(price_list)
        price_list.save()
        _write_breaks(price_list.id, breaks)
        audit.record(
            actor_id,
            "price_list.create",
            "price_list",
            price_list.id,
            name=name,
            scope=scope,
            target=target,
            priority=priority,
            valid_from=valid_from,
            valid_to=valid_to,
            items=len(items),
        )
        return price_list


def get(price_list_id: int) -> PriceList:
    found = PriceList.get_or_none(PriceList.id == price_list_id)
    if found is None:
        raise PriceListNotFound(details={"price_list_id": price_list_id})
    return found


def update_price_list(price_list_id: int, *, actor_id: int | None = None, **fields: Any) -> PriceList:
    """Name, priority, validity, active: the overlap rule is checked again on the result."""
    with transaction():
        price_list = get(price_list_id)
        for name, value in fields.items():
            setattr(price_list, name, value)
        _check_validity(price_list.valid_from, price_list.valid_to)
        _check_overlap(price_list)
        price_list.save()
        audit.record(actor_id, "price_list.update", "price_list", price_list.id, **fields)
        return price_list


def _write_breaks(price_list_id: int, breaks: dict[int, list[tuple[int, int]]]) -> None:
    if not breaks:
        return
    PriceListItem.delete().where(
        (PriceListItem.price_list == price_list_id) & PriceListItem.sku.in_(list(breaks))
    ).execute()
    rows = [
        {"price_list": price_list_id, "sku": sku_id, "min_quantity": q, "price_fen": p}
        for sku_id, sku_breaks in breaks.items()
        for q, p in sku_breaks
    ]
    for start in range(0, len(rows), 500):
        PriceListItem.insert_many(rows[start : start + 500]).execute()


def import_items(price_list_id: int, items: Sequence[dict[str, int]], *, actor_id: int | None = None) -> int:
    """Set the breaks of the SKUs given (each SKU's earlier breaks in this list are replaced);
    SKUs not given keep theirs. Returns how many breaks were written."""
    with transaction():
        get(price_list_id)
        breaks = check_breaks(items)
        _write_breaks(price_list_id, breaks)
        audit.record(
            actor_id,
            "price_list.import",
            "price_list",
            price_list_id,
            skus=len(breaks),
            breaks=len(items),
            items=[[i["sku_id"], i.get("min_quantity", 1), i["price_fen"]] for i in items[:200]],
        )
        return len(items)


def remove_sku(price_list_id: int, sku_id: int, *, actor_id: int | None = None) -> int:
    with transaction():
        get(price_list_id)
        removed = int(
            PriceListItem.delete()
            .where((PriceListItem.price_list == price_list_id) & (PriceListItem.sku == sku_id))
            .execute()
        )
        audit.record(
            actor_id, "price_list.remove_sku", "price_list", price_list_id, sku_id=sku_id, breaks=removed
        )
        return removed


def change_by_percent(
    price_list_id: int,
    percent_bp: int,
    *,
    sku_ids: Sequence[int] | None = None,
    actor_id: int | None = None,
) -> int:
    """Raise (or lower, when negative) every break of the list, or of the SKUs given, by
    `percent_bp` basis points (500 = +5%), rounded half up to the fen. Returns the breaks changed.

    Done in Python over the list's rows, then written back, inside one transaction: a break
    changes by a percentage of itself, so the order of breaks (and their prices falling with
    quantity) is kept."""
    if not isinstance(percent_bp, int) or percent_bp <= -10000 or percent_bp > 100000 or percent_bp == 0:
        raise InvalidPercent(details={"percent_bp": percent_bp, "min": -9999, "max": 100000})
    with transaction():
        get(price_list_id)
        query = PriceListItem.select().where(PriceListItem.price_list == price_list_id)
        if sku_ids is not None:
            query = query.where(PriceListItem.sku.in_(list(sku_ids)))
        changed = 0
        for item in query.order_by(PriceListItem.id):
            new = round_half_up_div(item.price_fen * (10000 + percent_bp), 10000)
            if new > MAX_PRICE_FEN:
                raise InvalidPriceList(details={"sku_id": item.sku_id, "price_fen": new})
            if new != item.price_fen:
                PriceListItem.update(price_fen=new).where(PriceListItem.id == item.id).execute()
                changed += 1
        audit.record(
            actor_id,
            "price_list.change_by_percent",
            "price_list",
            price_list_id,
            percent_bp=percent_bp,
            sku_ids=list(sku_ids) if sku_ids is not None else None,
            breaks=changed,
        )
        return changed


def items_of(price_list_ids: Sequence[int]) -> dict[int, list[PriceListItem]]:
    """The breaks of several lists, by list, in one query."""
    found: dict[int, list[PriceListItem]] = {i: [] for i in price_list_ids}
    if price_list_ids:
        for item in (
            PriceListItem.select()
            .where(PriceListItem.price_list.in_(list(price_list_ids)))
            .order_by(PriceListItem.sku, PriceListItem.min_quantity)
        ):
            found[item.price_list_id].append(item)
    return found


def lists_pricing(customer: Customer) -> pw.ModelSelect[Any]:
    """The lists that can price this customer (their own, their grade's, their channel's)."""
    from store.pricing import channel_of

    grade = CustomerGradeMember.select(CustomerGradeMember.grade).where(
        CustomerGradeMember.customer == customer.id
    )
    return PriceList.select().where(
        (PriceList.customer == customer.id)
        | PriceList.grade.in_(grade)
        | (PriceList.channel == channel_of(customer))
    )


def last_paid_prices(customer_id: int, sku_ids: Sequence[int]) -> dict[int, dict[str, Any]]:
    """历史价: the unit price of each SKU on the customer's latest sale of it (not cancelled, not
    awaiting payment), with that order's id and time. One query."""
    if not sku_ids:
        return {}
    latest = (
        OrderLine.select(pw.fn.MAX(OrderLine.id))
        .join(Order)
        .where((Order.customer == customer_id) & OrderLine.sku.in_(list(sku_ids)) & Order.status.in_(_SOLD))
        .group_by(OrderLine.sku)
    )
    rows: Any = (
        OrderLine.select(
            OrderLine.sku, OrderLine.unit_price_fen, OrderLine.quantity, Order.id, Order.created_at
        )
        .join(Order)
        .where(OrderLine.id.in_(latest))
        .tuples()
    )
    return {
        sku: {"unit_price_fen": price, "quantity": quantity, "order_id": order_id, "at": at}
        for sku, price, quantity, order_id, at in rows
    }
