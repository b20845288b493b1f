"""Stock verbs: receive, reserve, release, issue, return.

Every verb appends moves and adjusts the cached level in SQL in the same transaction. Availability
is decided by a conditional UPDATE (`on_hand - reserved >= n`) and its row count, never by reading
a number into Python first, so two buyers can never both take the last unit. Levels are touched in
(sku, warehouse) order so two multi-line orders never deadlock on each other.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any, NamedTuple

from backend import audit, clock
from backend.db import Param, Prepared, is_postgres, transaction
from backend.inventory.errors import InsufficientStock, InvalidCost, InvalidQuantity, StockStateBroken
from backend.inventory.models import StockLevel, StockMove
from backend.ledger import chart
from backend.ledger.services import Cr, Dr, post_entry
from backend.money import round_half_up_div

# Far above any real shelf, far below integer overflow of quantity x unit cost in fen.
MAX_QUANTITY = 1_000_000
MAX_UNIT_COST_FEN = 100_000_000  # one million yuan per unit


# Every order reserves (prepared: see backend.db.Prepared). Never reads the level first.
_RESERVE = Prepared(
    lambda: StockLevel.update(reserved=StockLevel.reserved + Param("quantity")).where(
        (StockLevel.sku == Param("sku"))
        & (StockLevel.warehouse == Param("warehouse"))
        & ((StockLevel.on_hand - StockLevel.reserved) >= Param("quantity"))
    )
)
_INSERT_RESERVATION_MOVES = Prepared(
    lambda count: StockMove.insert_many(
        [
            {
                "sku": Param((n, "sku")),
                "warehouse": Param((n, "warehouse")),
                "kind": Param("kind"),
                "on_hand_delta": 0,
                "reserved_delta": Param((n, "reserved")),
                "value_delta_fen": 0,
                "order_id": Param("order_id"),
                "reference": Param("reference"),
                "created_at": Param("now"),
            }
            for n in range(count)
        ]
    )
)


class Want(NamedTuple):
    sku_id: int
    warehouse_id: int
    quantity: int


def check_quantity(quantity: object) -> int:
    if not isinstance(quantity, int) or isinstance(quantity, bool) or not 0 < quantity <= MAX_QUANTITY:
        raise InvalidQuantity(
            f"Quantity must be a whole number from 1 to {MAX_QUANTITY}",
            f"数量必须是 1 到 {MAX_QUANTITY} 的整数",
            details={"quantity": quantity if isinstance(quantity, int) else str(quantity)},
        )
    return quantity


def _merged_in_lock_order(wants: Iterable[Want]) -> list[Want]:
    totals: dict[tuple[int, int], int] = {}
    for want in wants:
        check_quantity(want.quantity)
        key = (want.sku_id, want.warehouse_id)
        totals[key] = totals.get(key, 0) + want.quantity
    return [Want(sku, wh, check_quantity(qty)) for (sku, wh), qty in sorted(totals.items())]


def _level_where(sku_id: int, warehouse_id: int) -> Any:
    return (StockLevel.sku == sku_id) & (StockLevel.warehouse == warehouse_id)


def _ensure_level(sku_id: int, warehouse_id: int) -> None:
    StockLevel.insert(sku=sku_id, warehouse=warehouse_id).on_conflict_ignore().execute()


def available(sku_id: int, warehouse_id: int) -> int:
    level = StockLevel.get_or_none(_level_where(sku_id, warehouse_id))
    return 0 if level is None else level.on_hand - level.reserved


def reserve(wants: Iterable[Want], *, order_id: int | None, reference: str = "") -> None:
    """Hold stock for an order; raises InsufficientStock (and changes nothing) if any line is short."""
    merged = _merged_in_lock_order(wants)
    with transaction():
        for want in merged:
            values = {"sku": want.sku_id, "warehouse": want.warehouse_id, "quantity": want.quantity}
            if _RESERVE.execute(values).rowcount != 1:
                raise _short(want, available(want.sku_id, want.warehouse_id))
        _append_moves("reserve", merged, order_id, reference, reserved_sign=1)


def release(wants: Iterable[Want], *, order_id: int | None, reference: str = "") -> None:
    """Give back reserved stock (cancel, refund before shipping)."""
    merged = _merged_in_lock_order(wants)
    with transaction():
        for want in merged:
            updated = (
                StockLevel.update(reserved=StockLevel.reserved - want.quantity)
                .where(_level_where(want.sku_id, want.warehouse_id) & (StockLevel.reserved >= want.quantity))
                .execute()
            )
            if updated != 1:
                raise StockStateBroken(details={"sku_id": want.sku_id, "order_id": order_id})
        _append_moves("release", merged, order_id, reference, reserved_sign=-1)


def issue(
    wants: Iterable[Want], *, order_id: int | None, reference: str = "", reserved: bool = True
) -> dict[int, int]:
    """Take stock out of the warehouse at moving-average cost.

    `reserved=True` (an order handed over after its reservation) takes reserved units; a shortage
    there is a broken state. `reserved=False` (goods handed over the counter as they are sold) takes
    available units in the same conditional way `reserve` does: InsufficientStock if short.
    Returns the cost in fen per SKU. The cost is value x quantity / on_hand rounded half up, so the
    last unit out carries the remainder and the level's value reaches exactly zero with its stock.
    """
    merged = _merged_in_lock_order(wants)
    costs: dict[int, int] = {}
    with transaction():
        for want in merged:
            query = StockLevel.select().where(_level_where(want.sku_id, want.warehouse_id))
            if is_postgres():  # SQLite's IMMEDIATE transaction already holds the write lock
                query = query.for_update()
            level = query.first()
            if reserved and (level is None or level.reserved < want.quantity):
                raise StockStateBroken(details={"sku_id": want.sku_id, "order_id": order_id})
            if not reserved and (level is None or level.on_hand - level.reserved < want.quantity):
                raise _short(want, 0 if level is None else level.on_hand - level.reserved)
            taken = want.quantity if reserved else 0
            cost = round_half_up_div(level.value_fen * want.quantity, level.on_hand)
            StockLevel.update(
                on_hand=StockLevel.on_hand - want.quantity,
                reserved=StockLevel.reserved - taken,
                value_fen=StockLevel.value_fen - cost,
            ).where(StockLevel.id == level.id).execute()
            StockMove.insert(
                sku=want.sku_id,
                warehouse=want.warehouse_id,
                kind="issue",
                on_hand_delta=-want.quantity,
                reserved_delta=-taken,
                value_delta_fen=-cost,
                order_id=order_id,
                reference=reference,
            ).execute()
            costs[want.sku_id] = costs.get(want.sku_id, 0) + cost
    return costs


def _short(want: Want, available_now: int) -> InsufficientStock:
    return InsufficientStock(
        details={
            "sku_id": want.sku_id,
            "warehouse_id": want.warehouse_id,
            "requested": want.quantity,
            "available": available_now,
        }
    )


def return_to_stock(
    sku_id: int,
    warehouse_id: int,
    quantity: int,
    value_fen: int,
    *,
    order_id: int | None,
    reference: str = "",
) -> None:
    """Goods come back (refund after shipping) at the value they left with."""
    check_quantity(quantity)
    with transaction():
        _ensure_level(sku_id, warehouse_id)
        StockLevel.update(
            on_hand=StockLevel.on_hand + quantity, value_fen=StockLevel.value_fen + value_fen
        ).where(_level_where(sku_id, warehouse_id)).execute()
        StockMove.insert(
            sku=sku_id,
            warehouse=warehouse_id,
            kind="return",
            on_hand_delta=quantity,
            value_delta_fen=value_fen,
            order_id=order_id,
            reference=reference,
        ).execute()


def receive_purchase(
    sku_id: int,
    warehouse_id: int,
    quantity: int,
    unit_cost_fen: int,
    *,
    reference: str = "",
    actor_id: int | None = None,
) -> int:
    """A purchase receipt: stock in at a unit cost (moving average updates), Dr 1405 / Cr 2202.

    Returns the journal entry id.
    """
    check_quantity(quantity)
    if (
        not isinstance(unit_cost_fen, int)
        or isinstance(unit_cost_fen, bool)
        or not (0 <= unit_cost_fen <= MAX_UNIT_COST_FEN)
    ):
        raise InvalidCost(details={"unit_cost_fen": str(unit_cost_fen)})
    value = quantity * unit_cost_fen
    with transaction():
        _ensure_level(sku_id, warehouse_id)
        StockLevel.update(
            on_hand=StockLevel.on_hand + quantity, value_fen=StockLevel.value_fen + value
        ).where(_level_where(sku_id, warehouse_id)).execute()
        StockMove.insert(
            sku=sku_id,
            warehouse=warehouse_id,
            kind="receipt",
            on_hand_delta=quantity,
            value_delta_fen=value,
            reference=reference,
        ).execute()
        audit.record(
            actor_id,
            "stock.receive",
            "sku",
            sku_id,
            warehouse_id=warehouse_id,
            quantity=quantity,
            unit_cost_fen=unit_cost_fen,
            reference=reference,
        )
        if value == 0:  # free goods: stock only, no voucher
            return 0
        return post_entry(
            "stock.received",
            [Dr(chart.INVENTORY, value), Cr(chart.PAYABLES, value)],
            memo=f"采购入库 sku {sku_id} x {quantity} @ {unit_cost_fen}",
            source_type="sku",
            source_id=sku_id,
        )


def _append_moves(
    kind: str, wants: list[Want], order_id: int | None, reference: str, *, reserved_sign: int
) -> None:
    values: dict[Any, Any] = {"kind": kind, "order_id": order_id, "reference": reference, "now": clock.now()}
    for n, want in enumerate(wants):
        values[n, "sku"], values[n, "warehouse"] = want.sku_id, want.warehouse_id
        values[n, "reserved"] = reserved_sign * want.quantity
    _INSERT_RESERVATION_MOVES.execute(values, len(wants))
