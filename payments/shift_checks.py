"""Invariants of shift handovers (交班), run by `yecai check`."""

from __future__ import annotations

import datetime as dt

from backend.checks import invariant
from payments import shifts
from payments.shift_models import ShiftHandover


@invariant("shifts: each handover's difference is the cash counted less the cash its takings expect")
def handover_figures_agree() -> list[str]:
    problems = []
    for h in ShiftHandover.select().order_by(ShiftHandover.id):
        expected = sum(t.net_fen for t in shifts.takings_of(h) if t.method == shifts.CASH)
        if h.expected_cash_fen != expected or h.difference_fen != h.counted_cash_fen - h.expected_cash_fen:
            problems.append(
                f"handover {h.id}: expected {h.expected_cash_fen} (takings say {expected}), counted "
                f"{h.counted_cash_fen}, difference {h.difference_fen}"
            )
    return problems


@invariant("shifts: a staff member's shifts follow one another without overlapping")
def shifts_do_not_overlap() -> list[str]:
    problems = []
    last_end: dict[int, dt.datetime] = {}
    for h in ShiftHandover.select().order_by(ShiftHandover.staff, ShiftHandover.ended_at):
        previous = last_end.get(h.staff_id)
        if previous is not None and h.started_at < previous:
            problems.append(f"handover {h.id} of staff {h.staff_id} starts before the previous one ended")
        last_end[h.staff_id] = h.ended_at
    return problems
