"""What a customer pays for a SKU, decided on the server at order time (a client's price is never used).

One function prices lines and says which rule won: `price_lines` (a whole cart or order, in a fixed
number of queries however many lines), `price_line` for one. The resolution order, first match wins:

    1. customer_list      a price list of this customer's own
    2. grade_list         a price list of the customer's grade (一级/二级经销商 ...)
    3. channel_list       a price list of the channel the sale goes through (distributor, counter, ...)
    4. member_level       a member's level price for the SKU
    5. member_price       the SKU's member price, for members
    6. distributor_price  the SKU's distributor price, for distributors
    7. retail             the SKU's retail price

Within 1-3 only lists that are active and valid at the moment of pricing count (valid_from
inclusive, valid_to exclusive). Lists of one target are tried by priority, highest first (equal
priorities cannot overlap in time: refused at save). In a list, the quantity break with the highest
`min_quantity` not above the line's quantity gives the price; a list that has the SKU only in
breaks above the quantity does not apply, and the next list (or the next step) is tried.

The order line keeps the rule and the list (`price_rule`, `price_list_id`) next to its price.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from backend import clock
from backend.kernel.models import Customer, Sku
from store.distribution.models import PriceList
from store.shop_models import MemberAccount, SkuLevelPrice

RULES = (
    "customer_list",
    "grade_list",
    "channel_list",
    "member_level",
    "member_price",
    "distributor_price",
    "retail",
)
_LIST_RULES = {"customer": "customer_list", "grade": "grade_list", "channel": "channel_list"}


@dataclass(frozen=True)
class Price:
    unit_price_fen: int
    rule: str  # one of RULES
    price_list_id: int | None = None
    min_quantity: int | None = None  # the quantity break that applied (price lists only)


# The best price-list break for each line, decided in the database so that only the winners come
# back (one row per line at most, however many lists and breaks overlap): each line's candidate
# breaks -- of an active list valid now that targets this customer, their grade or the channel,
# with min_quantity not above the line's quantity -- ranked by the resolution order.
_BEST_BREAKS = """
WITH wanted(n, sku_id, quantity) AS (VALUES {values})
SELECT n, price_fen, price_list_id, scope, min_quantity FROM (
    SELECT w.n, i.price_fen, l.id AS price_list_id, l.scope, i.min_quantity,
           ROW_NUMBER() OVER (
               PARTITION BY w.n
               ORDER BY CASE l.scope WHEN 'customer' THEN 0 WHEN 'grade' THEN 1 ELSE 2 END,
                        l.priority DESC, l.id DESC, i.min_quantity DESC
           ) AS rank
    FROM wanted w
    JOIN price_list_item i ON i.sku_id = w.sku_id AND i.min_quantity <= w.quantity
    JOIN price_list l ON l.id = i.price_list_id
    WHERE l.active = {p}
      AND (l.valid_from IS NULL OR l.valid_from <= {p})
      AND (l.valid_to IS NULL OR l.valid_to > {p})
      AND (l.channel = {p} OR l.customer_id = {p}
           OR l.grade_id IN (SELECT grade_id FROM customer_grade_member WHERE customer_id = {p}))
) ranked WHERE rank = 1
"""


def _best_breaks(
    customer: Customer, channel: str, lines: Sequence[tuple[Sku, int]], at: dt.datetime
) -> dict[int, Price]:
    """The winning price-list break of each line (by its index), one query."""
    if not lines:
        return {}
    database = PriceList._meta.database
    p = database.param
    values = ", ".join(f"({p}, {p}, {p})" for _ in lines)
    params: list[Any] = [x for n, (sku, quantity) in enumerate(lines) for x in (n, sku.id, quantity)]
    # A walk-in customer has no list of their own: -1 matches no customer.
    customer_id = customer.id if customer.kind != "walk_in" else -1
    params += [True, at, at, channel, customer_id, customer_id]
    cursor = database.execute_sql(_BEST_BREAKS.format(values=values, p=p), params)
    return {
        n: Price(int(price_fen), _LIST_RULES[scope], list_id, min_quantity)
        for n, price_fen, list_id, scope, min_quantity in cursor.fetchall()
    }


def _level_prices(customer: Customer, sku_ids: list[int]) -> dict[int, int]:
    if customer.kind != "member" or not sku_ids:
        return {}
    rows: Any = (
        SkuLevelPrice.select(SkuLevelPrice.sku, SkuLevelPrice.price_fen)
        .join(MemberAccount, on=(MemberAccount.level == SkuLevelPrice.level))
        .where((MemberAccount.customer == customer.id) & SkuLevelPrice.sku.in_(sku_ids))
        .tuples()
    )
    return dict(rows)


def _base_price(sku: Sku, customer: Customer, level_price: int | None) -> Price:
    if customer.kind == "member":
        if level_price is not None:
            return Price(int(level_price), "member_level")
        if sku.member_price_fen is not None:
            return Price(int(sku.member_price_fen), "member_price")
    if customer.kind == "distributor" and sku.distributor_price_fen is not None:
        return Price(int(sku.distributor_price_fen), "distributor_price")
    return Price(int(sku.price_fen), "retail")


def price_lines(
    customer: Customer, channel: str, lines: Sequence[tuple[Sku, int]], *, at: dt.datetime | None = None
) -> list[Price]:
    """The unit price of each (sku, quantity) for this customer through this channel, with the rule
    that decided it (see the module's docstring). Two queries at most, whatever the number of lines."""
    at = at or clock.now()
    best = _best_breaks(customer, channel, lines, at)
    level_prices = _level_prices(customer, sorted({sku.id for sku, _ in lines}))
    return [
        best.get(n) or _base_price(sku, customer, level_prices.get(sku.id))
        for n, (sku, _) in enumerate(lines)
    ]


def price_line(
    customer: Customer, channel: str, sku: Sku, quantity: int = 1, *, at: dt.datetime | None = None
) -> Price:
    return price_lines(customer, channel, [(sku, quantity)], at=at)[0]


def channel_of(customer: Customer) -> str:
    """The channel a customer buys through by themselves: distributors restock as distributors,
    everyone else through the mini-program."""
    return "distributor" if customer.kind == "distributor" else "miniprogram"
