"""What a customer pays for a SKU, decided on the server at order time (a client's price is never used).

Distributors get the SKU's distributor price when one is set. Members get the price of their level
for the SKU when one is set, else the SKU's member price when set; everyone else the retail price.
"""

from __future__ import annotations

from backend.kernel.models import Customer, Sku
from store import members
from store.shop_models import SkuLevelPrice


def unit_price_fen(sku: Sku, customer: Customer) -> int:
    if customer.kind == "distributor" and sku.distributor_price_fen is not None:
        return int(sku.distributor_price_fen)
    if customer.kind == "member":
        level = members.level_of(customer)
        if level is not None:
            price = SkuLevelPrice.get_or_none(
                (SkuLevelPrice.sku == sku.id) & (SkuLevelPrice.level == level.id)
            )
            if price is not None:
                return int(price.price_fen)
        if sku.member_price_fen is not None:
            return int(sku.member_price_fen)
    return int(sku.price_fen)
