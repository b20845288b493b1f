"""What part of an order a refund (or an after-sales credit) gives back, and the output VAT it takes.

An order's invoice may have been adjusted since the sale: a discount or price correction changes what
is owed and, with it, revenue and output VAT (Dr 5001, Dr 2221); 抹零 changes what is owed only (5603).
What can be given back in all is then the total as adjusted, not the order's total. The refund that
reaches it gives back everything (the rest of the VAT, the goods' stock, the order closed); each part
before takes VAT in proportion to the adjusted total and VAT, so the last fen goes with the last part.
"""

from __future__ import annotations

from typing import NamedTuple

from backend.kernel.models import Order
from backend.money import round_half_up_div
from backend.receivables import adjustments
from backend.receivables.models import Invoice


class RefundShare(NamedTuple):
    everything: bool  # this amount gives back the rest of the order
    vat_fen: int  # the output VAT it takes


def share(order: Order, invoice: Invoice | None, amount_fen: int) -> RefundShare:
    adjusted_fen, adjusted_vat = adjustments.totals(invoice.id) if invoice is not None else (0, 0)
    total = order.total_fen + adjusted_fen
    vat_total = order.vat_fen + adjusted_vat
    vat_left = max(0, vat_total - order.refunded_vat_fen)
    if order.refunded_fen + amount_fen >= total:
        return RefundShare(True, vat_left)
    return RefundShare(False, min(vat_left, round_half_up_div(amount_fen * vat_total, total)))
