"""Invariants of price lists, run by `yecai check`: what is refused at save still holds in the
tables (no two active lists of one target overlap at the same priority; each SKU's breaks rise in
quantity while the price does not rise), and every order line's price rule is a known one."""

from __future__ import annotations

from typing import Any

from peewee import fn

from backend.checks import invariant
from backend.kernel.models import OrderLine
from store.distribution.models import CampaignStock, CampaignTake, PriceList, PriceListItem
from store.pricing import RULES


def _overlaps(a: Any, b: Any) -> bool:
    return (a.valid_to is None or b.valid_from is None or b.valid_from < a.valid_to) and (
        b.valid_to is None or a.valid_from is None or a.valid_from < b.valid_to
    )


@invariant("price lists: no two active lists of one target overlap at the same priority")
def no_equal_priority_overlaps() -> list[str]:
    groups: dict[tuple[Any, ...], list[Any]] = {}
    for pl in PriceList.select().where(PriceList.active == True).order_by(PriceList.id):  # noqa: E712
        key = (pl.scope, pl.customer_id, pl.grade_id, pl.channel, pl.priority)
        groups.setdefault(key, []).append(pl)
    problems = []
    for lists in groups.values():
        for i, a in enumerate(lists):
            problems += [
                f"price lists {a.id} and {b.id}: same target and priority, overlapping validity"
                for b in lists[i + 1 :]
                if _overlaps(a, b)
            ]
    return problems


@invariant("price lists: each SKU's breaks rise in quantity and never rise in price")
def breaks_in_order() -> list[str]:
    problems = []
    last: dict[tuple[int, int], int] = {}
    query = PriceListItem.select().order_by(
        PriceListItem.price_list, PriceListItem.sku, PriceListItem.min_quantity
    )
    for item in query:
        key = (item.price_list_id, item.sku_id)
        if key in last and item.price_fen > last[key]:
            problems.append(
                f"price list {item.price_list_id} SKU {item.sku_id}: {item.price_fen} fen from "
                f"{item.min_quantity} units is above the smaller break's {last[key]}"
            )
        last[key] = item.price_fen
    return problems


@invariant("orders: every line's price rule is a known pricing rule")
def known_price_rules() -> list[str]:
    query = OrderLine.select(OrderLine.id, OrderLine.price_rule).where(
        OrderLine.price_rule.is_null(False) & OrderLine.price_rule.not_in(list(RULES))
    )
    return [f"order line {line.id}: unknown price rule {line.price_rule!r}" for line in query]


@invariant("campaigns: each SKU's taken campaign stock equals its ledger of takes, within the quota")
def campaign_stock_matches_takes() -> list[str]:
    sums = {
        row.stock_id: int(row.total)
        for row in CampaignTake.select(
            CampaignTake.stock, fn.SUM(CampaignTake.quantity).alias("total")
        ).group_by(CampaignTake.stock)
    }
    return [
        f"campaign stock {s.id} (campaign {s.campaign_id}, SKU {s.sku_id}): taken {s.taken} but the takes "
        f"sum to {sums.get(s.id, 0)} (quota {s.quota})"
        for s in CampaignStock.select().order_by(CampaignStock.id)
        if s.taken != sums.get(s.id, 0) or s.taken > s.quota
    ]
