"""Stock: an append-only move ledger, and per (SKU, warehouse) levels that cache its sums.

`on_hand`, `reserved` and `value_fen` (stock valuation in fen at moving-average cost) equal the
sums of the moves for that level; `yecai check` verifies it. The CHECK constraints make negative
stock impossible even for code that forgets the conditional update.
"""

from __future__ import annotations

import peewee as pw

from backend import clock
from backend.db import BaseModel
from backend.kernel.models import Sku, Warehouse

MOVE_KINDS = ("receipt", "reserve", "release", "issue", "return")


class StockLevel(BaseModel):
    sku = pw.ForeignKeyField(Sku, on_delete="RESTRICT")
    warehouse = pw.ForeignKeyField(Warehouse, on_delete="RESTRICT")
    on_hand = pw.IntegerField(default=0)
    reserved = pw.IntegerField(default=0)
    value_fen = pw.BigIntegerField(default=0)

    class Meta:
        indexes = ((("sku", "warehouse"), True),)
        constraints = [
            pw.Check("on_hand >= 0"),
            pw.Check("reserved >= 0"),
            pw.Check("reserved <= on_hand"),
            pw.Check("value_fen >= 0"),
            # Nothing on hand is worth nothing: moving-average issue hands out the remainder last.
            pw.Check("on_hand > 0 OR value_fen = 0"),
        ]


class StockMove(BaseModel):
    """One change to a level. Never updated or deleted; a mistake is fixed by a reversing move."""

    sku = pw.ForeignKeyField(Sku, on_delete="RESTRICT")
    warehouse = pw.ForeignKeyField(Warehouse, on_delete="RESTRICT")
    kind = pw.CharField(max_length=12)
    on_hand_delta = pw.IntegerField(default=0)
    reserved_delta = pw.IntegerField(default=0)
    value_delta_fen = pw.BigIntegerField(default=0)
    order_id = pw.IntegerField(null=True, index=True)
    reference = pw.CharField(max_length=64, default="")
    created_at = pw.DateTimeField(default=clock.now)

    class Meta:
        indexes = ((("sku", "warehouse"), False),)
