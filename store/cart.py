"""The shopper's cart: one row per SKU, quantities merged. Not a ledger: rows are replaced freely,
and checkout empties the cart in the transaction that places the order."""

from __future__ import annotations

from backend import clock
from backend.db import transaction
from backend.inventory.services import check_quantity
from backend.kernel.models import Product, Sku
from store import categories
from store.shop_errors import NotYours, OffSale
from store.shop_models import CartItem

MAX_CART_LINES = 50


def items(customer_id: int) -> list[CartItem]:
    """The cart's lines with their SKU and product, in one query (`item.sku.product` reads nothing more)."""
    return list(
        CartItem.select(CartItem, Sku, Product)
        .join(Sku)
        .join(Product)
        .where(CartItem.customer == customer_id)
        .order_by(CartItem.id)
    )


def on_sale(item: CartItem) -> bool:
    """Whether a line read by `items` may be bought now (as categories.on_sale_sku, without a read)."""
    return bool(item.sku.active and item.sku.product.on_sale)


def add(customer_id: int, sku_id: int, quantity: int) -> CartItem:
    """Add to the cart (merging with a line of the same SKU). Off-sale or unknown SKUs are refused."""
    check_quantity(quantity)
    with transaction():
        if categories.on_sale_sku(sku_id) is None:
            raise OffSale(details={"sku_id": sku_id})
        existing = CartItem.get_or_none((CartItem.customer == customer_id) & (CartItem.sku == sku_id))
        if existing is None:
            if CartItem.select().where(CartItem.customer == customer_id).count() >= MAX_CART_LINES:
                raise OffSale("The cart is full", "购物车已满", code="cart_full", status=409)
            CartItem.insert(customer=customer_id, sku=sku_id, quantity=quantity).on_conflict(
                conflict_target=[CartItem.customer, CartItem.sku],
                update={CartItem.quantity: CartItem.quantity + quantity, CartItem.updated_at: clock.now()},
            ).execute()
        else:
            check_quantity(existing.quantity + quantity)
            CartItem.update(quantity=CartItem.quantity + quantity, updated_at=clock.now()).where(
                CartItem.id == existing.id
            ).execute()
        return CartItem.get((CartItem.customer == customer_id) & (CartItem.sku == sku_id))


def _own(customer_id: int, item_id: int) -> CartItem:
    item = CartItem.get_or_none((CartItem.id == item_id) & (CartItem.customer == customer_id))
    if item is None:
        raise NotYours(details={"cart_item_id": item_id})
    return item


def set_quantity(customer_id: int, item_id: int, quantity: int) -> CartItem:
    check_quantity(quantity)
    with transaction():
        item = _own(customer_id, item_id)
        CartItem.update(quantity=quantity, updated_at=clock.now()).where(CartItem.id == item.id).execute()
        return CartItem.get_by_id(item.id)


def remove(customer_id: int, item_id: int) -> None:
    with transaction():
        item = _own(customer_id, item_id)
        CartItem.delete().where(CartItem.id == item.id).execute()


def clear(customer_id: int) -> None:
    CartItem.delete().where(CartItem.customer == customer_id).execute()
