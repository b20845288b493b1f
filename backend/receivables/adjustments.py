"""Adjustments: what is owed on one invoice lowered, or (a price correction) raised, with a reason.

Kinds: `discount` (a concession after the sale), `rounding` (抹零: the odd fen let go when
collecting), `price_correction` (the wrong price was billed: lower or raise), `dispute_settlement`
(a dispute on a statement settled; the caller names it with `source_type`/`source_id`).

Rules:
- A lowering adjustment never takes more than is open on the invoice (`adjustment_exceeds_open`):
  decided by one conditional UPDATE, so two adjustments racing for the same open amount cannot both
  take it. Raising what is owed goes through the credit check (`credit_check.open_receivable`, the
  path `post_open_invoice` takes), so it is refused on a hold or over the limit like a sale.
- The owner applies at once. Staff apply at once up to the owner's threshold
  (`AdjustmentThreshold`, default ¥100.00); above it their adjustment is an approval request
  (kind `ar_adjustment`) that the owner's approval carries out in the decision's transaction.
- Each one writes an `ArEntry` of kind "adjustment" (the invoice's open amount and the customer's
  balance move with it, in SQL), a voucher, an `Adjustment` row and an audit entry.

How it is booked (小企业会计准则):
- discount / price_correction / dispute_settlement on a sale's invoice are 销售折让 (第六十条: a sales
  allowance after the sale reduces the revenue of the period it happens in), so they reduce revenue
  and its output VAT in the sale's own proportion, like a partial refund: Dr 5001 主营业务收入 (net),
  Dr 2221 应交税费-应交增值税(销项) (VAT) / Cr 1122 应收账款. A raising price correction is the mirror
  image (Dr 1122 / Cr 5001, Cr 2221).
- rounding (收款抹零) is not a concession on the goods: it is the small difference the merchant lets
  go to settle the debt, the same nature as a cash discount (现金折扣), which this standard puts in
  finance costs: Dr 5603 财务费用 / Cr 1122. No red-letter fapiao is issued for it, so output VAT is
  not reduced.
- An invoice without a sale behind it is a late-interest invoice (Cr 5301 when posted): lowering it
  reduces that income, Dr 5301 / Cr 1122 (rounding still goes to 5603).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import peewee as pw

from backend import audit
from backend.approvals import services as approvals
from backend.approvals.models import ApprovalRequest
from backend.auth.models import User
from backend.db import locked, transaction
from backend.errors import PermissionDenied
from backend.kernel.models import Customer, Order
from backend.ledger import chart
from backend.ledger.services import Cr, Dr, Line, post_entry, tuples
from backend.money import round_half_up_div
from backend.receivables.credit import check as credit_check
from backend.receivables.errors import AdjustmentExceedsOpen, InvalidAdjustment, UnknownInvoice
from backend.receivables.models import ADJUSTMENT_KINDS, Adjustment, AdjustmentThreshold, ArEntry, Invoice
from backend.receivables.services import check_amount

AR_ADJUSTMENT = "ar_adjustment"
DEFAULT_THRESHOLD_FEN = 10_000  # ¥100.00 until the owner sets one
MAX_REASON = 500
MAX_SOURCE_TYPE = 32
DIRECTIONS = ("lower", "raise")

KIND_LABELS = {
    "discount": "折让 Discount",
    "rounding": "抹零 Rounding",
    "price_correction": "价格更正 Price correction",
    "dispute_settlement": "争议调整 Dispute settlement",
}


@dataclass(frozen=True)
class Request:
    """What was asked, validated: `signed_fen` is negative to lower, positive to raise."""

    invoice_id: int
    kind: str
    signed_fen: int
    reason: str
    source_type: str | None
    source_id: int | None

    def payload(self) -> dict[str, Any]:
        return {
            "kind": self.kind,
            "kind_label": KIND_LABELS[self.kind],
            "direction": "raise" if self.signed_fen > 0 else "lower",
            "amount_fen": abs(self.signed_fen),
            "reason": self.reason,
            "source_type": self.source_type,
            "source_id": self.source_id,
        }


@dataclass(frozen=True)
class Outcome:
    """Either the adjustment applied, or the request waiting for the owner."""

    adjustment: Adjustment | None = None
    approval: ApprovalRequest | None = None


# ---- the owner's threshold -------------------------------------------------------------------


def threshold() -> AdjustmentThreshold | None:
    """The setting in force (None: never set, the default applies)."""
    return AdjustmentThreshold.select().order_by(AdjustmentThreshold.id.desc()).first()


def threshold_fen() -> int:
    row = threshold()
    return DEFAULT_THRESHOLD_FEN if row is None else int(row.threshold_fen)


def set_threshold(amount_fen: Any, *, actor_id: int, reason: str = "") -> AdjustmentThreshold:
    """The owner sets the amount above which a staff member's adjustment needs approval (0: every one)."""
    actor = User.get_or_none(User.id == actor_id)
    if actor is None or actor.role != "owner":
        raise PermissionDenied()
    if not isinstance(amount_fen, int) or isinstance(amount_fen, bool) or not 0 <= amount_fen <= 10**13:
        raise InvalidAdjustment(
            "The threshold must be a whole number of fen from 0",
            "审批金额必须是不小于 0 的整数（分）",
            details={"threshold_fen": str(amount_fen)},
        )
    reason = _text(reason, "reason", required=False)
    with transaction():
        old = threshold_fen()
        row = AdjustmentThreshold.create(threshold_fen=amount_fen, changed_by=actor_id, reason=reason)
        audit.record(
            actor_id,
            "settings.adjustment_threshold",
            "setting",
            "adjustment_approval_threshold",
            old_fen=old,
            new_fen=amount_fen,
            reason=reason,
        )
    return row


# ---- validation ------------------------------------------------------------------------------


def _text(value: Any, field: str, *, required: bool) -> str:
    text = value.strip() if isinstance(value, str) else ""
    if (required and not text) or len(text) > MAX_REASON or not isinstance(value, str | None):
        raise InvalidAdjustment(
            f"{field}: 1 to {MAX_REASON} characters" if required else f"{field}: at most {MAX_REASON}",
            f"请写明原因（1 至 {MAX_REASON} 字）" if required else f"原因不超过 {MAX_REASON} 字",
            details={field: "required" if required and not text else "too long"},
        )
    return text


def validate(
    invoice_id: int,
    kind: Any,
    amount_fen: Any,
    reason: Any,
    *,
    direction: Any = "lower",
    source_type: Any = None,
    source_id: Any = None,
) -> Request:
    if kind not in ADJUSTMENT_KINDS:
        raise InvalidAdjustment(details={"kind": str(kind), "allowed": list(ADJUSTMENT_KINDS)})
    if direction not in DIRECTIONS:
        raise InvalidAdjustment(details={"direction": str(direction), "allowed": list(DIRECTIONS)})
    if direction == "raise" and kind != "price_correction":
        raise InvalidAdjustment(
            "Only a price correction can raise what is owed",
            "只有价格更正可以调高应收",
            details={"kind": kind, "direction": direction},
        )
    amount = check_amount(amount_fen)
    text = _text(reason, "reason", required=True)
    if (source_type is None) != (source_id is None):
        raise InvalidAdjustment(details={"source": "give both source_type and source_id, or neither"})
    if source_type is not None and (
        not isinstance(source_type, str)
        or not 0 < len(source_type) <= MAX_SOURCE_TYPE
        or not isinstance(source_id, int)
        or isinstance(source_id, bool)
    ):
        raise InvalidAdjustment(details={"source_type": str(source_type), "source_id": str(source_id)})
    return Request(
        invoice_id, kind, amount if direction == "raise" else -amount, text, source_type, source_id
    )


def _locked_invoice(invoice_id: int) -> Invoice:
    invoice = locked(Invoice.select().where(Invoice.id == invoice_id)).first()
    if invoice is None:
        raise UnknownInvoice(details={"invoice_id": invoice_id})
    return invoice


def _check_against(invoice: Invoice, wanted: Request) -> None:
    if wanted.signed_fen < 0 and -wanted.signed_fen > invoice.open_fen:
        raise AdjustmentExceedsOpen(
            details={"invoice_id": invoice.id, "open_fen": invoice.open_fen, "amount_fen": -wanted.signed_fen}
        )
    if wanted.source_type is not None:
        taken = Adjustment.get_or_none(
            (Adjustment.source_type == wanted.source_type)
            & (Adjustment.source_id == wanted.source_id)
            & (Adjustment.invoice == invoice.id)
        )
        if taken is not None:
            raise InvalidAdjustment(
                "This has already been settled on this invoice",
                "该事项已在此发票上调整过",
                code="adjustment_source_used",
                status=409,
                details={"adjustment_id": taken.id},
            )


# ---- booking ---------------------------------------------------------------------------------


def _booking(invoice: Invoice, kind: str, signed_fen: int) -> tuple[str, int, list[Line]]:
    """(account, vat, lines) for an adjustment; see the module's notes for why."""
    gross = abs(signed_fen)
    customer_id = invoice.customer_id
    vat = 0
    if kind == "rounding":
        account = chart.FINANCE_COSTS
    elif invoice.order_id is None:
        account = chart.NON_OPERATING_INCOME
    else:
        account = chart.REVENUE
        order = Order.get_by_id(invoice.order_id)
        if order.total_fen > 0:
            vat = round_half_up_div(gross * order.vat_fen, order.total_fen)
    if signed_fen < 0:
        lines = [
            Dr(account, gross - vat),
            Dr(chart.OUTPUT_VAT, vat),
            Cr(chart.RECEIVABLES, gross, customer_id),
        ]
    else:
        lines = [
            Dr(chart.RECEIVABLES, gross, customer_id),
            Cr(account, gross - vat),
            Cr(chart.OUTPUT_VAT, vat),
        ]
    return account, vat, lines


# Called with each adjustment written, inside its transaction. Layers above receivables that must act
# on it subscribe here (store's fapiao files a red-letter fapiao for a lowered sale), since this module
# cannot import them.
_listeners: list[Callable[[Adjustment], None]] = []


def on_applied(listener: Callable[[Adjustment], None]) -> Callable[[Adjustment], None]:
    _listeners.append(listener)
    return listener


def _apply(invoice: Invoice, wanted: Request, *, actor_id: int | None, approval_id: int | None) -> Adjustment:
    """Write the adjustment on the locked invoice, in the caller's transaction."""
    _check_against(invoice, wanted)
    delta = wanted.signed_fen
    if delta < 0:
        moved = (
            Invoice.update(open_fen=Invoice.open_fen + delta)
            .where((Invoice.id == invoice.id) & (Invoice.open_fen >= -delta))
            .execute()
        )
        if moved != 1:  # a twin took it first (unreachable under the lock, but say so)
            raise AdjustmentExceedsOpen(details={"invoice_id": invoice.id, "amount_fen": -delta})
        Customer.update(balance_fen=Customer.balance_fen + delta).where(
            Customer.id == invoice.customer_id
        ).execute()
    else:
        # What the customer owes grows: the credit check decides (hold, limit) and raises the balance.
        credit_check.open_receivable(invoice.customer_id, delta, f"price correction on invoice {invoice.id}")
        # The invoice's amount grows with it: `amount_fen` is what was invoiced, corrections included.
        Invoice.update(amount_fen=Invoice.amount_fen + delta, open_fen=Invoice.open_fen + delta).where(
            Invoice.id == invoice.id
        ).execute()
    ArEntry.insert(
        customer=invoice.customer_id, invoice=invoice.id, kind="adjustment", amount_fen=delta
    ).execute()
    account, vat, lines = _booking(invoice, wanted.kind, delta)
    row = Adjustment.create(
        invoice=invoice.id,
        customer=invoice.customer_id,
        kind=wanted.kind,
        amount_fen=delta,
        vat_fen=vat if delta > 0 else -vat,
        account_code=account,
        reason=wanted.reason,
        source_type=wanted.source_type,
        source_id=wanted.source_id,
        approval_id=approval_id,
        created_by=actor_id,
        journal_entry_id=0,
    )
    entry_id = post_entry(
        "receivable.adjusted",
        lines,
        memo=f"应收调整 {KIND_LABELS[wanted.kind].split()[0]} 发票 {invoice.id}: {wanted.reason}",
        source_type="adjustment",
        source_id=row.id,
    )
    Adjustment.update(journal_entry_id=entry_id).where(Adjustment.id == row.id).execute()
    audit.record(
        actor_id,
        "receivable.adjust",
        "invoice",
        invoice.id,
        adjustment_id=row.id,
        kind=wanted.kind,
        amount_fen=delta,
        vat_fen=row.vat_fen,
        account=account,
        reason=wanted.reason,
        source=f"{wanted.source_type}:{wanted.source_id}" if wanted.source_type else None,
        approval_id=approval_id,
    )
    written = Adjustment.get_by_id(row.id)
    for listener in _listeners:
        listener(written)
    return written


def adjust(
    invoice_id: int,
    kind: str,
    amount_fen: int,
    reason: str,
    *,
    actor_id: int,
    direction: str = "lower",
    source_type: str | None = None,
    source_id: int | None = None,
) -> Outcome:
    """Adjust what is owed on one invoice: applied at once (the owner; staff up to the threshold) or
    filed for the owner's approval (staff above it). `amount_fen` is positive; `direction` says which
    way. `source_type`/`source_id` name what this settles (a statement dispute), at most once per invoice.
    Bad input raises and changes nothing."""
    actor = User.get_or_none(User.id == actor_id)
    if actor is None or actor.role not in ("owner", "staff"):
        raise PermissionDenied()
    wanted = validate(
        invoice_id,
        kind,
        amount_fen,
        reason,
        direction=direction,
        source_type=source_type,
        source_id=source_id,
    )
    with transaction():
        invoice = _locked_invoice(invoice_id)
        _check_against(invoice, wanted)
        if actor.role == "owner" or abs(wanted.signed_fen) <= threshold_fen():
            return Outcome(adjustment=_apply(invoice, wanted, actor_id=actor_id, approval_id=None))
        request = approvals.request(
            AR_ADJUSTMENT,
            subject_type="invoice",
            subject_id=invoice.id,
            payload={**wanted.payload(), "customer_id": invoice.customer_id},
            amount_fen=abs(wanted.signed_fen),
            reason=f"{KIND_LABELS[wanted.kind]}{' 调高 raise' if wanted.signed_fen > 0 else ''}: {wanted.reason}",
            requested_by=actor_id,
        )
        return Outcome(approval=request)


def _approve(request: ApprovalRequest, decider_id: int) -> dict[str, Any]:
    asked = approvals.payload_of(request)
    wanted = validate(
        int(request.subject_id),
        asked["kind"],
        asked["amount_fen"],
        asked["reason"],
        direction=asked["direction"],
        source_type=asked.get("source_type"),
        source_id=asked.get("source_id"),
    )
    invoice = _locked_invoice(wanted.invoice_id)
    row = _apply(invoice, wanted, actor_id=decider_id, approval_id=request.id)
    return {"adjustment_id": row.id}


approvals.register(approvals.Kind(AR_ADJUSTMENT, "应收调整", "Receivable adjustment", approve=_approve))


def for_invoice(invoice_id: int) -> list[Adjustment]:
    if Invoice.get_or_none(Invoice.id == invoice_id) is None:
        raise UnknownInvoice(details={"invoice_id": invoice_id})
    return list(Adjustment.select().where(Adjustment.invoice == invoice_id).order_by(Adjustment.id))


def has_adjustments(invoice_id: int) -> bool:
    return bool(Adjustment.select(pw.SQL("1")).where(Adjustment.invoice == invoice_id).exists())


def totals(invoice_id: int) -> tuple[int, int]:
    """The invoice's adjustments summed: (amount, output VAT), signed (- lowered what is owed)."""
    ((amount, vat),) = tuples(
        Adjustment.select(
            pw.fn.COALESCE(pw.fn.SUM(Adjustment.amount_fen), 0),
            pw.fn.COALESCE(pw.fn.SUM(Adjustment.vat_fen), 0),
        ).where(Adjustment.invoice == invoice_id)
    )
    return int(amount), int(vat)
