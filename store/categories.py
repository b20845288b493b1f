"""The shop's catalog as shoppers see it and staff edit it: categories, product pictures and
listing on/off sale, SKU prices, and the shopper's search by name or barcode.

A product is visible to shoppers when it is on sale; a SKU when it is active and its product is on
sale. Stock shown is what can still be bought (on hand minus reserved) in the default warehouse.
"""

from __future__ import annotations

import json
from typing import Any

import peewee as pw

from backend import audit
from backend.db import transaction
from backend.inventory.models import StockLevel
from backend.kernel.models import Category, Product, Sku
from store import catalog
from store.errors import UnknownProduct, UnknownSku
from store.shop_errors import InvalidImage, UnknownCategory
from store.shop_models import MemberLevel, SkuLevelPrice

MAX_IMAGES = 9


def _check_category(category_id: int | None) -> None:
    if category_id is not None and not Category.select().where(Category.id == category_id).exists():
        raise UnknownCategory(details={"category_id": category_id})


def create_category(name: str, *, parent_id: int | None = None, sort: int = 0) -> Category:
    with transaction():
        _check_category(parent_id)
        return Category.create(name=name, parent=parent_id, sort=sort)


def update_category(category_id: int, **fields: Any) -> Category:
    with transaction():
        _check_category(category_id)
        if "parent_id" in fields:
            parent = fields.pop("parent_id")
            _check_category(parent)
            if parent == category_id:
                raise UnknownCategory("A category cannot be its own parent", "分类不能以自己为上级")
            fields["parent"] = parent
        if fields:
            Category.update(**fields).where(Category.id == category_id).execute()
        return Category.get_by_id(category_id)


def image_list(urls: list[str]) -> str:
    if len(urls) > MAX_IMAGES or any(not u.startswith("https://") or len(u) > 500 for u in urls):
        raise InvalidImage(details={"max_images": MAX_IMAGES})
    return json.dumps(urls, ensure_ascii=False)


def update_product(product_id: int, *, actor_id: int | None = None, **fields: Any) -> Product:
    """Name, description, category, pictures and on/off sale; the SKUs keep their own prices."""
    with transaction():
        if not Product.select().where(Product.id == product_id).exists():
            raise UnknownProduct(details={"product_id": product_id})
        audit.record(actor_id, "product.update", "product", product_id, **fields)
        if "category_id" in fields:
            _check_category(fields["category_id"])
            fields["category"] = fields.pop("category_id")
        if "image_urls" in fields:
            fields["image_urls"] = image_list(fields["image_urls"])
        if fields:
            Product.update(**fields).where(Product.id == product_id).execute()
        return Product.get_by_id(product_id)


def update_sku(sku_id: int, *, actor_id: int | None = None, **fields: Any) -> Sku:
    """Prices (retail, member, distributor), name (the specification), unit and on/off sale."""
    with transaction():
        if not Sku.select().where(Sku.id == sku_id).exists():
            raise UnknownSku(details={"sku_id": sku_id})
        if fields:
            Sku.update(**fields).where(Sku.id == sku_id).execute()
        audit.record(actor_id, "sku.update", "sku", sku_id, **fields)
        return Sku.get_by_id(sku_id)


def set_level_price(sku_id: int, level_id: int, price_fen: int, *, actor_id: int | None = None) -> None:
    """The price of a SKU for one member level (set again: replaced)."""
    with transaction():
        if (
            Sku.get_or_none(Sku.id == sku_id) is None
            or MemberLevel.get_or_none(MemberLevel.id == level_id) is None
        ):
            raise UnknownSku(details={"sku_id": sku_id, "level_id": level_id})
        SkuLevelPrice.insert(sku=sku_id, level=level_id, price_fen=price_fen).on_conflict(
            conflict_target=[SkuLevelPrice.sku, SkuLevelPrice.level],
            update={SkuLevelPrice.price_fen: price_fen},
        ).execute()
        audit.record(actor_id, "sku.level_price", "sku", sku_id, level_id=level_id, price_fen=price_fen)


def images(product: Product) -> list[str]:
    return list(json.loads(product.image_urls or "[]"))


def shopper_products(*, q: str | None = None, category_id: int | None = None) -> pw.ModelSelect[Any]:
    """Products on sale with at least one active SKU; `q` matches the name or a SKU's exact barcode."""
    active_skus = Sku.select(Sku.product).where(Sku.active == True)  # noqa: E712
    query = Product.select().where((Product.on_sale == True) & Product.id.in_(active_skus))  # noqa: E712
    if category_id is not None:
        below = [category_id] + [
            c.id for c in Category.select(Category.id).where(Category.parent == category_id)
        ]
        query = query.where(Product.category.in_(below))
    if q:
        by_barcode = Sku.select(Sku.product).where((Sku.barcode == q) & (Sku.active == True))  # noqa: E712
        query = query.where(Product.name.contains(q) | Product.id.in_(by_barcode))
    return query


def shopper_skus(product: Product) -> list[Sku]:
    return shopper_skus_of([product.id])[product.id]


def shopper_skus_of(product_ids: list[int]) -> dict[int, list[Sku]]:
    """The active SKUs of several products, by product: one query for a whole page."""
    found: dict[int, list[Sku]] = {pid: [] for pid in product_ids}
    if product_ids:
        for sku in (
            Sku.select().where(Sku.product.in_(product_ids) & (Sku.active == True)).order_by(Sku.id)  # noqa: E712
        ):
            found[sku.product_id].append(sku)
    return found


def available_by_sku(sku_ids: list[int]) -> dict[int, int]:
    """What shoppers can still buy per SKU in the default warehouse (on hand minus reserved)."""
    warehouse = catalog.default_warehouse()
    if warehouse is None or not sku_ids:
        return {}
    return {
        level.sku_id: level.on_hand - level.reserved
        for level in StockLevel.select().where(
            StockLevel.sku.in_(sku_ids) & (StockLevel.warehouse == warehouse.id)
        )
    }


def on_sale_sku(sku_id: int) -> Sku | None:
    """The SKU if a shopper may buy it now (active and its product on sale), else None."""
    return (
        Sku.select()
        .join(Product)
        .where((Sku.id == sku_id) & (Sku.active == True) & (Product.on_sale == True))  # noqa: E712
        .first()
    )
