from __future__ import annotations

import peewee as pw

from backend import clock
from backend.auth.models import User
from backend.db import BaseModel


class ShiftHandover(BaseModel):
    """交班: a staff member hands over the till; what their shift took, by payment method, as it was
    then, the cash they counted and the difference. Never edited."""

    staff = pw.ForeignKeyField(User, on_delete="RESTRICT")
    started_at = pw.DateTimeField()  # the previous handover's end, or the start of that business day
    ended_at = pw.DateTimeField(default=clock.now)
    takings = pw.TextField()  # JSON: [{"method", "count", "amount_fen", "refunded_fen"}, ...]
    expected_cash_fen = pw.BigIntegerField()
    counted_cash_fen = pw.BigIntegerField()
    difference_fen = pw.BigIntegerField()  # counted - expected
    note = pw.CharField(max_length=200, default="")

    class Meta:
        table_name = "shift_handover"
        indexes = ((("staff", "ended_at"), True),)
        constraints = [pw.Check("counted_cash_fen >= 0"), pw.Check("ended_at >= started_at")]
