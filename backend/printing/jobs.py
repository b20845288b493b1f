"""The outbox job that sends a laid-out document to its printer, at most once (see __init__)."""

from __future__ import annotations

from typing import Any

from backend import clock
from backend.db import transaction
from backend.jobs.registry import AT_MOST_ONCE, job
from backend.printing import escpos, transport
from backend.printing.models import PrintJob
from backend.printing.services import SEND_JOB, document_of


@job(SEND_JOB, delivery=AT_MOST_ONCE)
def send(payload: dict[str, Any]) -> None:
    print_job = PrintJob.get_by_id(payload["print_job_id"])
    transport.send(print_job.printer_url, escpos.encode(document_of(print_job)), print_job.id)
    with transaction():
        PrintJob.update(printed_at=clock.now()).where(PrintJob.id == print_job.id).execute()
