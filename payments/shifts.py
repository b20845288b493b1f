"""The shift's takings (交班): what a staff member took, by payment method, since their last handover,
and the handover itself.

A shift starts where the staff member's last handover ended, or, with none yet, at the start of the
current business day in the merchant's time zone. Takings are the payments the staff member took
(cash, transfer, WeChat QR, payment code) that succeeded in the shift, summed in SQL by method, less
what has been refunded of them, and the collections on account handed to them (a distributor paying
what they owe in cash at the counter is money in the drawer too).
"""

from __future__ import annotations

import datetime as dt
import json
from dataclasses import dataclass
from typing import Any

import peewee as pw

from backend import audit, clock
from backend.auth.models import User
from backend.db import locked, transaction
from backend.errors import ValidationFailed
from backend.receivables.models import Payment as ArPayment
from payments.models import PaymentRecord
from payments.shift_models import ShiftHandover

CASH = "cash"


@dataclass(frozen=True)
class Takings:
    method: str
    count: int
    amount_fen: int
    refunded_fen: int

    @property
    def net_fen(self) -> int:
        return self.amount_fen - self.refunded_fen

    def as_json(self) -> dict[str, object]:
        return {
            "method": self.method,
            "count": self.count,
            "amount_fen": self.amount_fen,
            "refunded_fen": self.refunded_fen,
        }


@dataclass(frozen=True)
class Shift:
    staff_id: int
    started_at: dt.datetime
    ended_at: dt.datetime
    takings: list[Takings]

    @property
    def total_fen(self) -> int:
        return sum(t.net_fen for t in self.takings)

    @property
    def expected_cash_fen(self) -> int:
        return sum(t.net_fen for t in self.takings if t.method == CASH)


def shift_start(staff_id: int) -> dt.datetime:
    last = (
        ShiftHandover.select(pw.fn.MAX(ShiftHandover.ended_at))
        .where(ShiftHandover.staff == staff_id)
        .scalar()
    )
    if last is not None:
        return last if isinstance(last, dt.datetime) else dt.datetime.fromisoformat(str(last))
    return clock.day_bounds(clock.today())[0]


def takings_between(staff_id: int, start: dt.datetime, end: dt.datetime) -> list[Takings]:
    rows = (
        PaymentRecord.select(
            PaymentRecord.method,
            pw.fn.COUNT(PaymentRecord.id),
            pw.fn.SUM(PaymentRecord.amount_fen),
            pw.fn.SUM(PaymentRecord.refunded_fen),
        )
        .where(
            (PaymentRecord.created_by == staff_id)
            & (PaymentRecord.succeeded_at >= start)
            & (PaymentRecord.succeeded_at < end)
            & PaymentRecord.status.in_(("succeeded", "reversed"))
        )
        .group_by(PaymentRecord.method)
        .order_by(PaymentRecord.method)
        .tuples()
    )
    totals: list[tuple[str, int, int | None, int | None]] = list(rows)  # type: ignore[arg-type]
    collected: list[tuple[str, int, int | None]] = list(
        ArPayment.select(ArPayment.method, pw.fn.COUNT(ArPayment.id), pw.fn.SUM(ArPayment.amount_fen))
        .where(
            (ArPayment.received_by == staff_id)
            & (ArPayment.created_at >= start)
            & (ArPayment.created_at < end)
            & (ArPayment.direction == "in")
        )
        .group_by(ArPayment.method)
        .tuples()  # type: ignore[arg-type]
    )
    by_method: dict[str, list[int]] = {}
    for method, n, amount, refunded in [*totals, *[(m, n, a, 0) for m, n, a in collected]]:
        entry = by_method.setdefault(str(method), [0, 0, 0])
        entry[0] += int(n)
        entry[1] += int(amount or 0)
        entry[2] += int(refunded or 0)
    return [Takings(m, n, amount, refunded) for m, (n, amount, refunded) in sorted(by_method.items())]


def current_shift(staff_id: int) -> Shift:
    start, now = shift_start(staff_id), clock.now()
    return Shift(staff_id, start, now, takings_between(staff_id, start, now))


def hand_over(staff_id: int, counted_cash_fen: int, note: str = "") -> ShiftHandover:
    """交班: close the staff member's shift now with the cash they counted (audited)."""
    if not isinstance(counted_cash_fen, int) or isinstance(counted_cash_fen, bool) or counted_cash_fen < 0:
        raise ValidationFailed(
            "The counted cash must be a whole number of fen, 0 or more",
            "清点现金金额无效",
            code="invalid_amount",
        )
    with transaction():
        # One handover at a time per staff member: the shift's start is read under their user row's lock.
        locked(User.select().where(User.id == staff_id)).first()
        shift = current_shift(staff_id)
        handover = ShiftHandover.create(
            staff=staff_id,
            started_at=shift.started_at,
            ended_at=shift.ended_at,
            takings=json.dumps([t.as_json() for t in shift.takings]),
            expected_cash_fen=shift.expected_cash_fen,
            counted_cash_fen=counted_cash_fen,
            difference_fen=counted_cash_fen - shift.expected_cash_fen,
            note=note,
        )
        audit.record(
            staff_id,
            "shift.handover",
            "shift_handover",
            handover.id,
            expected_cash_fen=shift.expected_cash_fen,
            counted_cash_fen=counted_cash_fen,
        )
        return handover


def takings_of(handover: ShiftHandover) -> list[Takings]:
    return [Takings(**row) for row in json.loads(handover.takings)]


def handovers(staff_id: int | None) -> pw.ModelSelect[Any]:
    query = ShiftHandover.select()
    return query.where(ShiftHandover.staff == staff_id) if staff_id is not None else query
