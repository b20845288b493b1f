"""Members: levels, the points ledger and the stored-value ledger.

Points
- Earned when an order is paid: `points_per_yuan` of the member's level for every whole yuan paid
  (no level: 1 point per yuan). Written in the payment's own transaction (the spine calls
  `store.benefits.on_paid`), so a payment and its points commit together or not at all.
- Redeemed at checkout as a discount at a fixed rate: 1 point = 1 fen, i.e. 100 points = 1 yuan.
- Reversed on refund in proportion to the money refunded (all of it on a full refund); points
  redeemed on the order come back in the same proportion, and all of them when an unpaid order is
  cancelled. A reversal may take a balance below zero when the member has spent the points since:
  the debt is kept honestly in the ledger and paid off by later earnings, rather than refused.
- Expiry: points of a member with no points activity for `POINTS_EXPIRE_DAYS` expire, by an
  `expire` entry written by the periodic job `store.points_expiry`.

Stored value (储值)
- Money the customer holds with the shop: a liability, account 2203 预收账款. A top-up through
  WeChat Pay is Dr 1012 / Cr 2203; paying an order from the balance is the spine's
  `capture_payment(method="stored_value")`, Dr 2203 / Cr 5001 + 2221; a refund of such an order goes
  back to the balance (Dr 5001 + 2221 / Cr 2203 in the spine, plus a `refund` entry here).

Both balances are caches moved in SQL (`x = x + n`, spending with `WHERE x >= n` and a row-count
check); every entry has a unique reference, so applying one event twice writes once.
"""

from __future__ import annotations

import datetime as dt

import peewee as pw

from backend import audit, clock
from backend.db import savepoint, transaction
from backend.kernel.models import Customer
from backend.money import round_half_up_div
from backend.receivables.errors import UnknownCustomer
from store.shop_errors import (
    InvalidPoints,
    LevelRankTaken,
    NotEnoughPoints,
    NotEnoughStoredValue,
    UnknownLevel,
)
from store.shop_models import MemberAccount, MemberLevel, PointsEntry, StoredValueEntry

FEN_PER_POINT = 1  # 100 points = 1 yuan
DEFAULT_POINTS_PER_YUAN = 1
POINTS_EXPIRE_DAYS = 365


# ---------------------------------------------------------------- levels and accounts


def create_level(name: str, rank: int, points_per_yuan: int = DEFAULT_POINTS_PER_YUAN) -> MemberLevel:
    try:
        with savepoint():
            return MemberLevel.create(name=name, rank=rank, points_per_yuan=points_per_yuan)
    except pw.IntegrityError:  # the unique rank, also when a concurrent request took it first
        raise LevelRankTaken(details={"rank": rank})


def account(customer_id: int) -> MemberAccount:
    """The member's account, made on first use at the lowest level."""
    found = MemberAccount.get_or_none(MemberAccount.customer == customer_id)
    if found is not None:
        return found
    lowest = MemberLevel.select().order_by(MemberLevel.rank).first()
    with savepoint():
        MemberAccount.insert(
            customer=customer_id, level=lowest.id if lowest else None
        ).on_conflict_ignore().execute()
    return MemberAccount.get(MemberAccount.customer == customer_id)


def set_level(customer_id: int, level_id: int | None, *, actor_id: int | None = None) -> MemberAccount:
    with transaction():
        if not Customer.select().where(Customer.id == customer_id).exists():
            raise UnknownCustomer(details={"customer_id": customer_id})
        if level_id is not None and not MemberLevel.select().where(MemberLevel.id == level_id).exists():
            raise UnknownLevel(details={"level_id": level_id})
        account(customer_id)
        MemberAccount.update(level=level_id).where(MemberAccount.customer == customer_id).execute()
        audit.record(actor_id, "member.level", "customer", customer_id, level_id=level_id)
        return account(customer_id)


def level_of(customer: Customer) -> MemberLevel | None:
    if customer.kind != "member":
        return None
    found = MemberAccount.get_or_none(MemberAccount.customer == customer.id)
    return found.level if found is not None and found.level_id is not None else None


# ---------------------------------------------------------------- points


def _points_entry(customer_id: int, kind: str, points: int, order_id: int | None, reference: str) -> bool:
    """Append one entry and move the cache; False (nothing written) if the reference exists."""
    if points == 0 or PointsEntry.select().where(PointsEntry.reference == reference).exists():
        return False
    account(customer_id)
    PointsEntry.insert(
        customer=customer_id, kind=kind, points=points, order_id=order_id, reference=reference
    ).execute()
    MemberAccount.update(points=MemberAccount.points + points).where(
        MemberAccount.customer == customer_id
    ).execute()
    return True


def check_points(points: object) -> int:
    if not isinstance(points, int) or isinstance(points, bool) or not 0 <= points <= 10**9:
        raise InvalidPoints(details={"points": str(points)})
    return points


def redeem(customer_id: int, points: int, order_id: int) -> int:
    """Spend points on an order; returns their value in fen. NotEnoughPoints changes nothing."""
    check_points(points)
    if points == 0:
        return 0
    with transaction():
        account(customer_id)
        spent = (
            MemberAccount.update(points=MemberAccount.points - points)
            .where((MemberAccount.customer == customer_id) & (MemberAccount.points >= points))
            .execute()
        )
        if spent != 1:
            raise NotEnoughPoints(details={"requested": points, "held": int(account(customer_id).points)})
        PointsEntry.insert(
            customer=customer_id,
            kind="redeem",
            points=-points,
            order_id=order_id,
            reference=f"redeem:order:{order_id}",
        ).execute()
    return points * FEN_PER_POINT


def _order_points(order_id: int, kind: str) -> int:
    total = (
        PointsEntry.select(pw.fn.COALESCE(pw.fn.SUM(PointsEntry.points), 0))
        .where((PointsEntry.order_id == order_id) & (PointsEntry.kind == kind))
        .scalar()
    )
    return int(total or 0)


def earn_for_payment(customer: Customer, order_id: int, paid_fen: int) -> int:
    """Points for money paid on an order (members only). Returns the points earned."""
    if customer.kind != "member":
        return 0
    level = level_of(customer)
    rate = level.points_per_yuan if level is not None else DEFAULT_POINTS_PER_YUAN
    points = (paid_fen // 100) * rate
    _points_entry(customer.id, "earn", points, order_id, f"earn:order:{order_id}")
    return points


def reverse_for_refund(
    customer_id: int, order_id: int, refunded_fen: int, paid_fen: int, *, everything: bool, reference: str
) -> None:
    """Take back earned points and give back redeemed points in proportion to the money refunded."""
    earned = _order_points(order_id, "earn")
    earned_left = earned + _order_points(order_id, "earn_reversed")
    redeemed = -_order_points(order_id, "redeem")
    redeemed_left = redeemed - _order_points(order_id, "redeem_returned")
    if everything:
        take, give = earned_left, redeemed_left
    else:
        take = min(earned_left, round_half_up_div(earned * refunded_fen, paid_fen))
        give = min(redeemed_left, round_half_up_div(redeemed * refunded_fen, paid_fen))
    _points_entry(customer_id, "earn_reversed", -take, order_id, f"earn_reversed:{reference}")
    _points_entry(customer_id, "redeem_returned", give, order_id, f"redeem_returned:{reference}")


def return_redeemed(customer_id: int, order_id: int) -> None:
    """An unpaid order cancelled: every point it redeemed comes back."""
    left = -_order_points(order_id, "redeem") - _order_points(order_id, "redeem_returned")
    _points_entry(customer_id, "redeem_returned", left, order_id, f"redeem_returned:cancel:{order_id}")


def expire_points() -> int:
    """Periodic: points of members with no points activity for POINTS_EXPIRE_DAYS expire. Returns count."""
    cutoff = clock.now() - dt.timedelta(days=POINTS_EXPIRE_DAYS)
    last = (
        PointsEntry.select(PointsEntry.customer, pw.fn.MAX(PointsEntry.created_at).alias("last"))
        .group_by(PointsEntry.customer)
        .having(pw.fn.MAX(PointsEntry.created_at) <= cutoff)
    )
    expired = 0
    for row in last:
        with transaction():
            held = int(account(row.customer_id).points)
            if held <= 0:
                continue
            # Conditional on the balance read: a concurrent earn makes this a no-op until next run.
            moved = (
                MemberAccount.update(points=MemberAccount.points - held)
                .where((MemberAccount.customer == row.customer_id) & (MemberAccount.points == held))
                .execute()
            )
            if moved == 1:
                PointsEntry.insert(
                    customer=row.customer_id,
                    kind="expire",
                    points=-held,
                    reference=f"expire:{row.customer_id}:{clock.today().isoformat()}",
                ).execute()
                expired += 1
    return expired


def points_history(customer_id: int) -> pw.ModelSelect[PointsEntry]:
    return PointsEntry.select().where(PointsEntry.customer == customer_id)


# ---------------------------------------------------------------- stored value


def credit_stored_value(
    customer_id: int, kind: str, amount_fen: int, reference: str, order_id: int | None = None
) -> bool:
    """Add to the balance (top-up, refund back). False if this reference was already applied."""
    if StoredValueEntry.select().where(StoredValueEntry.reference == reference).exists():
        return False
    with transaction():
        account(customer_id)
        StoredValueEntry.insert(
            customer=customer_id, kind=kind, amount_fen=amount_fen, order_id=order_id, reference=reference
        ).execute()
        MemberAccount.update(stored_value_fen=MemberAccount.stored_value_fen + amount_fen).where(
            MemberAccount.customer == customer_id
        ).execute()
    return True


def debit_stored_value(customer_id: int, amount_fen: int, reference: str, order_id: int) -> None:
    """Pay from the balance; NotEnoughStoredValue (nothing changed) when it is short."""
    with transaction():
        account(customer_id)
        spent = (
            MemberAccount.update(stored_value_fen=MemberAccount.stored_value_fen - amount_fen)
            .where((MemberAccount.customer == customer_id) & (MemberAccount.stored_value_fen >= amount_fen))
            .execute()
        )
        if spent != 1:
            raise NotEnoughStoredValue(
                details={"amount_fen": amount_fen, "balance_fen": int(account(customer_id).stored_value_fen)}
            )
        StoredValueEntry.insert(
            customer=customer_id, kind="pay", amount_fen=-amount_fen, order_id=order_id, reference=reference
        ).execute()


def stored_value_history(customer_id: int) -> pw.ModelSelect[StoredValueEntry]:
    return StoredValueEntry.select().where(StoredValueEntry.customer == customer_id)
