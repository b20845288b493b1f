"""Distributors restock: trade terms (minimum order quantity, whole cases), a cart, favourites, quick
reorder from a past order, the catalogue at their own price with stock per warehouse, and the order
placed from the cart -- on account (the spine's `sell_on_account`, with its credit check) or waiting
for WeChat Pay (`place_order`; unpaid, it expires like every channel's pending orders).

The cart is the shop's cart table (one row per customer and SKU); a distributor's lines obey the
trade terms, checked when a line is added or changed and again, authoritatively, when the order
is placed. Every refusal changes nothing.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from backend import audit, clock
from backend.db import transaction
from backend.inventory.models import StockLevel
from backend.inventory.services import check_quantity
from backend.kernel.models import Order, OrderLine, Product, Sku, Warehouse
from store import cart, credit_orders
from store import services as sales
from store.distribution.errors import BelowMinimumOrder, CaseMultiple, InvalidTradeTerms
from store.distribution.models import Favourite, SkuTradeTerms
from store.errors import OrderNotFound, UnknownSku
from store.shop_errors import EmptyCart, NotYours, OffSale
from store.shop_models import CartItem

PAY_WITH = ("on_account", "wechat")
IF_OVER_CREDIT = ("refuse", "ask_owner")


# ---------------------------------------------------------------- trade terms


def set_trade_terms(
    sku_id: int, case_size: int, min_order_quantity: int, *, actor_id: int | None = None
) -> SkuTradeTerms:
    """整箱 and 起订量 for a SKU. The minimum must itself be whole cases."""
    if not 1 <= case_size <= 10_000 or not 1 <= min_order_quantity <= 10**6 or min_order_quantity % case_size:
        raise InvalidTradeTerms(details={"case_size": case_size, "min_order_quantity": min_order_quantity})
    with transaction():
        if not Sku.select().where(Sku.id == sku_id).exists():
            raise UnknownSku(details={"sku_id": sku_id})
        SkuTradeTerms.insert(
            sku=sku_id, case_size=case_size, min_order_quantity=min_order_quantity
        ).on_conflict(
            conflict_target=[SkuTradeTerms.sku],
            update={SkuTradeTerms.case_size: case_size, SkuTradeTerms.min_order_quantity: min_order_quantity},
        ).execute()
        audit.record(
            actor_id,
            "sku.trade_terms",
            "sku",
            sku_id,
            case_size=case_size,
            min_order_quantity=min_order_quantity,
        )
        return SkuTradeTerms.get(SkuTradeTerms.sku == sku_id)


def terms_of(sku_ids: Sequence[int]) -> dict[int, tuple[int, int]]:
    """(case_size, min_order_quantity) by SKU; SKUs without terms sell by the unit from 1."""
    if not sku_ids:
        return {}
    found = {
        t.sku_id: (t.case_size, t.min_order_quantity)
        for t in SkuTradeTerms.select().where(SkuTradeTerms.sku.in_(list(sku_ids)))
    }
    return {s: found.get(s, (1, 1)) for s in sku_ids}


def check_terms(quantities: Mapping[int, int]) -> None:
    """Every quantity in whole cases and at least the minimum order quantity (one query)."""
    terms = terms_of(list(quantities))
    for sku_id, quantity in sorted(quantities.items()):
        case_size, minimum = terms[sku_id]
        if quantity % case_size:
            raise CaseMultiple(details={"sku_id": sku_id, "quantity": quantity, "case_size": case_size})
        if quantity < minimum:
            raise BelowMinimumOrder(
                details={"sku_id": sku_id, "quantity": quantity, "min_order_quantity": minimum}
            )


# ---------------------------------------------------------------- cart


def add_to_cart(customer_id: int, sku_id: int, quantity: int) -> None:
    """Add whole cases to the cart; the line's new quantity must meet the trade terms."""
    check_quantity(quantity)
    with transaction():
        existing = CartItem.get_or_none((CartItem.customer == customer_id) & (CartItem.sku == sku_id))
        check_terms({sku_id: quantity + (existing.quantity if existing else 0)})
        cart.add(customer_id, sku_id, quantity)


def set_cart_quantity(customer_id: int, item_id: int, quantity: int) -> None:
    check_quantity(quantity)
    with transaction():
        item = CartItem.get_or_none((CartItem.id == item_id) & (CartItem.customer == customer_id))
        if item is None:
            raise NotYours(details={"cart_item_id": item_id})
        check_terms({item.sku_id: quantity})
        cart.set_quantity(customer_id, item_id, quantity)


@dataclass(frozen=True)
class Adjusted:
    """A reordered line whose past quantity breaks today's trade terms, and what went into the cart."""

    sku_id: int
    ordered: int  # the past order's quantity
    added: int  # what the cart got: the line rounded up to whole cases and at least the minimum
    case_size: int
    min_order_quantity: int


@dataclass(frozen=True)
class Reordered:
    skipped: list[int]  # SKUs no longer on sale, left out
    adjusted: list[Adjusted]


def round_up_to_terms(quantity: int, case_size: int, minimum: int) -> int:
    """The smallest quantity of at least `quantity` that today's terms allow (whole cases, the minimum)."""
    return max(minimum, -(-quantity // case_size) * case_size)


def reorder(customer_id: int, order_id: int) -> Reordered:
    """再来一单: a past order's lines go into the cart (added to what is there). Its SKUs no longer on
    sale are left out and returned as skipped; a line whose quantity breaks today's case size or
    minimum (changed since) goes in rounded up to them and is returned as adjusted, so the page can
    say both. Another customer's order is a 404."""
    with transaction():
        order = Order.get_or_none((Order.id == order_id) & (Order.customer == customer_id))
        if order is None:
            raise OrderNotFound(details={"order_id": order_id})
        lines = list(OrderLine.select(OrderLine.sku, OrderLine.quantity).where(OrderLine.order == order.id))
        on_sale = _on_sale([line.sku_id for line in lines])
        skipped = sorted({line.sku_id for line in lines} - on_sale)
        wanted: dict[int, int] = {}
        for line in lines:
            if line.sku_id in on_sale:
                wanted[line.sku_id] = wanted.get(line.sku_id, 0) + line.quantity
        if not wanted:
            raise OffSale(details={"sku_ids": skipped})
        terms = terms_of(list(wanted))
        in_cart = {
            item.sku_id: item.quantity
            for item in CartItem.select().where(
                (CartItem.customer == customer_id) & CartItem.sku.in_(list(wanted))
            )
        }
        adjusted: list[Adjusted] = []
        for sku_id, quantity in sorted(wanted.items()):
            case_size, minimum = terms[sku_id]
            there = in_cart.get(sku_id, 0)
            line_total = round_up_to_terms(there + quantity, case_size, minimum)
            added = line_total - there
            if added != quantity:
                adjusted.append(Adjusted(sku_id, quantity, added, case_size, minimum))
            check_quantity(added)
            check_terms({sku_id: line_total})
            cart.add(customer_id, sku_id, added)
        return Reordered(skipped, adjusted)


def _on_sale(sku_ids: list[int]) -> set[int]:
    if not sku_ids:
        return set()
    query = (
        Sku.select(Sku.id)
        .join(Product)
        .where(
            Sku.id.in_(sku_ids) & (Sku.active == True) & (Product.on_sale == True)  # noqa: E712
        )
    )
    return {sku.id for sku in query}


def place_from_cart(
    customer_id: int,
    *,
    pay_with: str,
    warehouse_id: int | None = None,
    placed_by: int | None = None,
    if_over_credit: str = "refuse",
    credit_reason: str = "",
) -> Order:
    """The cart becomes an order, in one transaction with emptying the cart: on account (an open
    invoice, the credit limit checked by the on-account sale) or pending WeChat payment. On account
    over the limit (or on hold) is refused, or with `if_over_credit="ask_owner"` the order waits for
    the owner's approval (awaiting_approval, its stock held)."""
    if pay_with not in PAY_WITH:
        raise InvalidTradeTerms(
            "pay_with must be on_account or wechat", "付款方式必须是赊账或微信", code="invalid_pay_with"
        )
    if if_over_credit not in IF_OVER_CREDIT or (if_over_credit == "ask_owner" and pay_with != "on_account"):
        raise InvalidTradeTerms(
            "if_over_credit is refuse, or ask_owner for an order on account",
            "超额度处理只能是拒绝，或赊账订单提交老板审批",
            code="invalid_if_over_credit",
        )
    with transaction():
        items = cart.items(customer_id)
        if not items:
            raise EmptyCart()
        off_sale = [i.sku_id for i in items if not cart.on_sale(i)]
        if off_sale:
            raise OffSale(details={"sku_ids": off_sale})
        check_terms({i.sku_id: i.quantity for i in items})
        lines = [(i.sku_id, i.quantity) for i in items]
        if pay_with == "on_account" and if_over_credit == "ask_owner":
            order = credit_orders.sell_on_account_or_hold(
                customer_id,
                lines,
                channel="distributor",
                warehouse_id=warehouse_id,
                placed_by=placed_by,
                reason=credit_reason,
            )
        else:
            place = sales.sell_on_account if pay_with == "on_account" else sales.place_order
            order = place(
                customer_id, lines, channel="distributor", warehouse_id=warehouse_id, placed_by=placed_by
            )
        cart.clear(customer_id)
        return order


# ---------------------------------------------------------------- favourites


def add_favourite(customer_id: int, sku_id: int) -> None:
    with transaction():
        if not _on_sale([sku_id]):
            raise OffSale(details={"sku_id": sku_id})
        Favourite.insert(
            customer=customer_id, sku=sku_id, created_at=clock.now()
        ).on_conflict_ignore().execute()


def remove_favourite(customer_id: int, sku_id: int) -> None:
    with transaction():
        Favourite.delete().where((Favourite.customer == customer_id) & (Favourite.sku == sku_id)).execute()


def favourites_of(customer_id: int, sku_ids: Sequence[int] | None = None) -> set[int]:
    query = Favourite.select(Favourite.sku).where(Favourite.customer == customer_id)
    if sku_ids is not None:
        query = query.where(Favourite.sku.in_(list(sku_ids)))
    return {f.sku_id for f in query}


# ---------------------------------------------------------------- catalogue


def catalogue_skus(*, q: str | None = None, favourites_of_customer: int | None = None) -> Any:
    """Active SKUs on sale with their product (one query per page), optionally a customer's favourites."""
    query = Sku.select(Sku, Product).join(Product).where((Sku.active == True) & (Product.on_sale == True))  # noqa: E712
    if q:
        query = query.where(Product.name.contains(q) | Sku.name.contains(q) | (Sku.barcode == q))
    if favourites_of_customer is not None:
        query = query.where(
            Sku.id.in_(Favourite.select(Favourite.sku).where(Favourite.customer == favourites_of_customer))
        )
    return query


def stock_by_warehouse(sku_ids: Sequence[int]) -> dict[int, list[dict[str, Any]]]:
    """What can still be ordered (on hand minus reserved) of each SKU in each warehouse: one query."""
    found: dict[int, list[dict[str, Any]]] = {s: [] for s in sku_ids}
    if not sku_ids:
        return found
    query = (
        StockLevel.select(
            StockLevel.sku,
            StockLevel.on_hand,
            StockLevel.reserved,
            Warehouse.id,
            Warehouse.code,
            Warehouse.name,
        )
        .join(Warehouse)
        .where(StockLevel.sku.in_(list(sku_ids)))
        .order_by(StockLevel.sku, Warehouse.id)
    )
    for level in query:
        found[level.sku_id].append(
            {
                "warehouse_id": level.warehouse.id,
                "code": level.warehouse.code,
                "name": level.warehouse.name,
                "available": max(level.on_hand - level.reserved, 0),
            }
        )
    return found
