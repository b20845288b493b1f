"""What a customer pays for a SKU, decided on the server at order time (a client's price is never used).

Minimal for now: distributors get the SKU's distributor price when one is set, everyone else the
retail price. Price lists belong to a later store issue.
"""

from __future__ import annotations

from store.models import Customer, Sku


def unit_price_fen(sku: Sku, customer: Customer) -> int:
    if customer.kind == "distributor" and sku.distributor_price_fen is not None:
        return int(sku.distributor_price_fen)
    return int(sku.price_fen)
