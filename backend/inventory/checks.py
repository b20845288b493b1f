"""Invariants of stock, run by `yecai check`."""

from __future__ import annotations

import peewee as pw

from backend.checks import invariant
from backend.inventory.models import StockLevel, StockMove
from backend.ledger import chart
from backend.ledger.services import account_balance, tuples


@invariant("inventory: levels equal the sums of their moves")
def levels_match_moves() -> list[str]:
    sums = {
        (sku, wh): (int(a), int(b), int(c))
        for sku, wh, a, b, c in tuples(
            StockMove.select(
                StockMove.sku,
                StockMove.warehouse,
                pw.fn.SUM(StockMove.on_hand_delta),
                pw.fn.SUM(StockMove.reserved_delta),
                pw.fn.SUM(StockMove.value_delta_fen),
            ).group_by(StockMove.sku, StockMove.warehouse)
        )
    }
    problems = []
    seen = set()
    for level in StockLevel.select():
        key = (level.sku_id, level.warehouse_id)
        seen.add(key)
        expected = sums.get(key, (0, 0, 0))
        actual = (level.on_hand, level.reserved, level.value_fen)
        if actual != expected:
            problems.append(
                f"stock level sku {key[0]} warehouse {key[1]}: on_hand/reserved/value {actual} "
                f"but moves sum to {expected}"
            )
    problems += [f"moves for sku {sku} warehouse {wh} have no stock level" for sku, wh in set(sums) - seen]
    return problems


@invariant("inventory: nothing negative, reserved within on hand")
def nothing_negative() -> list[str]:
    bad = StockLevel.select().where(
        (StockLevel.on_hand < 0)
        | (StockLevel.reserved < 0)
        | (StockLevel.reserved > StockLevel.on_hand)
        | (StockLevel.value_fen < 0)
        | ((StockLevel.on_hand == 0) & (StockLevel.value_fen != 0))
    )
    return [
        f"stock level sku {lv.sku_id} warehouse {lv.warehouse_id}: on_hand {lv.on_hand}, "
        f"reserved {lv.reserved}, value {lv.value_fen} fen"
        for lv in bad
    ]


@invariant("inventory: account 1405 equals stock valuation")
def inventory_account_matches_valuation() -> list[str]:
    valuation = int(StockLevel.select(pw.fn.COALESCE(pw.fn.SUM(StockLevel.value_fen), 0)).scalar() or 0)
    booked = account_balance(chart.INVENTORY)
    if booked != valuation:
        return [f"account 1405 库存商品 is {booked} fen but stock is valued at {valuation} fen"]
    return []
