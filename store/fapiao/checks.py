"""Invariants of fapiao requests, run by `yecai check`."""

from __future__ import annotations

from backend.checks import invariant
from store.fapiao.models import FapiaoFile, FapiaoRequest


@invariant("fapiao: red-letter fapiao never reverse more than their blue one; every issued one has its file")
def reds_within_blue_and_files_kept() -> list[str]:
    problems = []
    blues = {row.id: row for row in FapiaoRequest.select().where(FapiaoRequest.kind == "blue")}
    reversed_by_blue: dict[int, tuple[int, int]] = {}
    for red in FapiaoRequest.select().where(
        (FapiaoRequest.kind == "red") & (FapiaoRequest.status != "failed")
    ):
        amount, vat = reversed_by_blue.get(red.blue_id, (0, 0))
        reversed_by_blue[red.blue_id] = (amount + red.amount_fen, vat + red.vat_fen)
    for blue_id, (amount, vat) in sorted(reversed_by_blue.items()):
        blue = blues.get(blue_id)
        if blue is None or amount > blue.amount_fen or vat > blue.vat_fen:
            problems.append(
                f"fapiao request {blue_id}: red-letter ones reverse {amount} fen ({vat} VAT), more than it"
            )
    with_file = {int(f.request_id) for f in FapiaoFile.select(FapiaoFile.request)}
    for row in FapiaoRequest.select().where(FapiaoRequest.status == "issued"):
        if not row.number or row.id not in with_file:
            problems.append(f"fapiao request {row.id} is issued without its number or file")
    return problems
