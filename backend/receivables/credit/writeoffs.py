"""Bad debt under 小企业会计准则: no allowance; a receivable actually lost is written off directly
(Dr 5711 营业外支出 / Cr 1122), naming the 第十条 condition it meets, once per invoice and never for
more than is open. Staff ask and the owner approves (the owner's own write-off is their decision and
applies at once). A written-off debt paid later is recovered: the amount is put back on the invoice
against 5301 营业外收入 (Dr 1122 / Cr 5301) and collected like any payment (Dr money / Cr 1122).
"""

from __future__ import annotations

from typing import Any

from backend import audit
from backend.approvals import services as approvals
from backend.approvals.models import ApprovalRequest
from backend.auth.models import User
from backend.db import locked, transaction
from backend.errors import PermissionDenied
from backend.kernel.models import Customer
from backend.ledger import chart
from backend.ledger.services import Cr, Dr, post_entry
from backend.receivables.credit.errors import (
    AlreadyWrittenOff,
    InvalidWriteOff,
    RecoveryExceedsWrittenOff,
    WriteOffExceedsOpen,
)
from backend.receivables.credit.models import WRITE_OFF_CONDITIONS, WriteOff
from backend.receivables.errors import InvalidAmount
from backend.receivables.models import ArEntry, Invoice

WRITE_OFF = "write_off"
MAX_EVIDENCE = 2000


def _invoice(invoice_id: int) -> Invoice:
    invoice = locked(Invoice.select().where(Invoice.id == invoice_id)).first()
    if invoice is None:
        raise InvalidWriteOff("No such invoice", "发票不存在", code="unknown_invoice", status=404)
    return invoice


def _check(invoice: Invoice, amount_fen: Any, condition: str, evidence: str) -> int:
    if condition not in WRITE_OFF_CONDITIONS:
        raise InvalidWriteOff(details={"condition": condition, "allowed": sorted(WRITE_OFF_CONDITIONS)})
    if len(evidence) > MAX_EVIDENCE or not evidence.strip():
        raise InvalidWriteOff(
            "Say what evidence shows the debt is lost",
            "请写明证明坏账的依据",
            details={"evidence": "1 to 2000 characters"},
        )
    if not isinstance(amount_fen, int) or isinstance(amount_fen, bool) or amount_fen <= 0:
        raise InvalidAmount(details={"amount_fen": str(amount_fen)})
    if WriteOff.select().where(WriteOff.invoice == invoice.id).exists():
        raise AlreadyWrittenOff(details={"invoice_id": invoice.id})
    if amount_fen > invoice.open_fen:
        raise WriteOffExceedsOpen(
            details={"invoice_id": invoice.id, "open_fen": invoice.open_fen, "amount_fen": amount_fen}
        )
    return amount_fen


def _write_off(
    invoice: Invoice,
    amount_fen: int,
    condition: str,
    evidence: str,
    *,
    actor_id: int,
    approval_id: int | None,
) -> WriteOff:
    Invoice.update(open_fen=Invoice.open_fen - amount_fen).where(Invoice.id == invoice.id).execute()
    ArEntry.insert(
        customer=invoice.customer_id, invoice=invoice.id, kind="write_off", amount_fen=-amount_fen
    ).execute()
    Customer.update(balance_fen=Customer.balance_fen - amount_fen).where(
        Customer.id == invoice.customer_id
    ).execute()
    row = WriteOff.create(
        invoice=invoice.id,
        customer=invoice.customer_id,
        amount_fen=amount_fen,
        condition=condition,
        evidence=evidence.strip(),
        approval_id=approval_id or 0,
    )
    post_entry(
        "credit.write_off",
        [Dr(chart.BAD_DEBT, amount_fen), Cr(chart.RECEIVABLES, amount_fen, invoice.customer_id)],
        memo=f"坏账核销 发票 {invoice.id} ({condition})",
        source_type="write_off",
        source_id=row.id,
    )
    audit.record(
        actor_id,
        "credit.write_off",
        "invoice",
        invoice.id,
        write_off_id=row.id,
        amount_fen=amount_fen,
        condition=condition,
        condition_text=WRITE_OFF_CONDITIONS[condition],
        approval_id=approval_id,
    )
    return row


def write_off(
    invoice_id: int, amount_fen: int, condition: str, evidence: str, *, actor_id: int
) -> WriteOff | ApprovalRequest:
    """The owner writes off at once; a staff member's write-off waits for the owner's approval."""
    actor = User.get_or_none(User.id == actor_id)
    if actor is None or actor.role not in ("owner", "staff"):
        raise PermissionDenied()
    with transaction():
        invoice = _invoice(invoice_id)
        amount_fen = _check(invoice, amount_fen, condition, evidence)
        if actor.role == "owner":
            return _write_off(invoice, amount_fen, condition, evidence, actor_id=actor_id, approval_id=None)
        return approvals.request(
            WRITE_OFF,
            subject_type="invoice",
            subject_id=invoice.id,
            payload={
                "condition": condition,
                "evidence": evidence.strip(),
                "customer_id": invoice.customer_id,
            },
            amount_fen=amount_fen,
            reason=WRITE_OFF_CONDITIONS[condition],
            requested_by=actor_id,
        )


def _approve(request: ApprovalRequest, decider_id: int) -> dict[str, Any]:
    wanted = approvals.payload_of(request)
    invoice = _invoice(int(request.subject_id))
    amount = _check(invoice, request.amount_fen, wanted["condition"], wanted["evidence"])
    row = _write_off(
        invoice, amount, wanted["condition"], wanted["evidence"], actor_id=decider_id, approval_id=request.id
    )
    return {"write_off_id": row.id}


approvals.register(
    approvals.Kind(WRITE_OFF, "坏账核销", "Bad debt write-off", approve=_approve, one_open_per_subject=True)
)


def reinstate_for_recovery(write_off_id: int, amount_fen: int, *, actor_id: int) -> WriteOff:
    """Put `amount_fen` of a written-off debt back on its invoice against 5301, so the money that
    came in can be collected against it. Call in the recovery's transaction, then collect."""
    with transaction():
        row = locked(WriteOff.select().where(WriteOff.id == write_off_id)).first()
        if row is None:
            raise InvalidWriteOff("No such write-off", "没有这笔核销", code="unknown_write_off", status=404)
        if not isinstance(amount_fen, int) or isinstance(amount_fen, bool) or amount_fen <= 0:
            raise InvalidAmount(details={"amount_fen": str(amount_fen)})
        if amount_fen > row.amount_fen - row.recovered_fen:
            raise RecoveryExceedsWrittenOff(
                details={
                    "write_off_id": row.id,
                    "left_fen": row.amount_fen - row.recovered_fen,
                    "amount_fen": amount_fen,
                }
            )
        WriteOff.update(recovered_fen=WriteOff.recovered_fen + amount_fen).where(
            WriteOff.id == row.id
        ).execute()
        Invoice.update(open_fen=Invoice.open_fen + amount_fen).where(Invoice.id == row.invoice_id).execute()
        ArEntry.insert(
            customer=row.customer_id, invoice=row.invoice_id, kind="recovery", amount_fen=amount_fen
        ).execute()
        Customer.update(balance_fen=Customer.balance_fen + amount_fen).where(
            Customer.id == row.customer_id
        ).execute()
        post_entry(
            "credit.bad_debt_recovered",
            [Dr(chart.RECEIVABLES, amount_fen, row.customer_id), Cr(chart.NON_OPERATING_INCOME, amount_fen)],
            memo=f"已核销坏账收回 {row.id}",
            source_type="write_off",
            source_id=row.id,
        )
        audit.record(actor_id, "credit.bad_debt_recover", "write_off", row.id, amount_fen=amount_fen)
        return WriteOff.get_by_id(row.id)
