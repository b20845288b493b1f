from __future__ import annotations

import peewee as pw

from backend import clock
from backend.db import BaseModel
from backend.kernel.models import Order

KINDS = ("receipt", "delivery_note")


class PrintJob(BaseModel):
    """One document sent (or to be sent) to a printer, laid out when it was asked for."""

    order = pw.ForeignKeyField(Order, backref="print_jobs", on_delete="RESTRICT")
    kind = pw.CharField(max_length=16)  # receipt | delivery_note
    width_mm = pw.IntegerField()  # 58 | 80
    printer_url = pw.CharField(max_length=255)
    document = pw.TextField()  # JSON: [[style, text], ...] as laid out (layout.py)
    requested_by = pw.IntegerField(null=True)  # user id
    created_at = pw.DateTimeField(default=clock.now)
    printed_at = pw.DateTimeField(null=True)  # the printer took the bytes

    class Meta:
        table_name = "print_job"
        indexes = ((("order",), False),)
        constraints = [
            pw.Check("kind IN ('receipt', 'delivery_note')"),
            pw.Check("width_mm IN (58, 80)"),
        ]
