"""Fapiao requests: ask (a customer for their own order, or for the order behind their invoice), issue
after commit through the provider, reverse with a red-letter fapiao when the order is refunded.

Amounts: a blue fapiao is for what the order still comes to (its total less what was refunded before
the request, with the discounts and price corrections on its invoice; 抹零 is a finance cost, not a
change of price, so it stays on the fapiao), with its output VAT. An adjustment after the blue one is
issued does not file a red one by itself yet: that red-letter fapiao is asked for by hand. On a refund after the blue one, `on_refunded` (called by the refund
event, in its transaction) files a red fapiao for the refunded part: a full refund reverses what the
blue one has left (whatever earlier partial reds took), a partial refund reverses just that amount and
its VAT (数电票 allows a partial red-letter fapiao against a blue one for 销售退回/折让). A refund before
any blue request needs no red: the blue one is for what is left.

Delivery: the provider deduplicates by our request id, so the job is REMOTE_DEDUPES (retried freely).
A red one waits (its job retries) until its blue one is issued; if the blue one failed, so does the red.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from typing import Any

import peewee as pw

from backend import audit
from backend.db import transaction
from backend.jobs.outbox import enqueue
from backend.jobs.registry import REMOTE_DEDUPES, job
from backend.kernel.models import Order, OrderLine, Sku
from backend.ledger import chart
from backend.receivables import adjustments
from backend.receivables.errors import UnknownInvoice
from backend.receivables.models import Adjustment, Invoice
from store.errors import OrderNotFound
from store.fapiao import provider as providers
from store.fapiao.errors import (
    FapiaoAlreadyRequested,
    FapiaoNotAvailable,
    FapiaoRefused,
    FapiaoRequestNotFound,
    InvalidBuyer,
)
from store.fapiao.models import FapiaoFile, FapiaoRequest

ISSUE_JOB = "fapiao.issue"
# Orders a fapiao can be asked for: sold (on account or paid), not cancelled or refunded in full.
ELIGIBLE = ("on_account", "paid", "shipped", "completed", "partially_refunded")
MAX_TEXT = {"title": 100, "company_address": 100, "telephone": 40, "bank_name": 100, "bank_account": 40}

# 统一社会信用代码 (GB 32100-2015): 18 characters from this alphabet, the last a check character.
_USCC_ALPHABET = "0123456789ABCDEFGHJKLMNPQRTUWXY"
_USCC_WEIGHTS = (1, 3, 9, 27, 19, 26, 16, 17, 20, 29, 25, 13, 8, 24, 10, 30, 28)


def valid_credit_code(code: str) -> bool:
    """A 统一社会信用代码: 18 characters, check character per GB 32100-2015."""
    if len(code) != 18 or any(c not in _USCC_ALPHABET for c in code):
        return False
    total = sum(_USCC_ALPHABET.index(c) * w for c, w in zip(code[:17], _USCC_WEIGHTS, strict=True))
    return _USCC_ALPHABET[(31 - total % 31) % 31] == code[17]


def buyer_from_wechat(title: dict[str, Any]) -> providers.Buyer:
    """The buyer exactly as wx.chooseInvoiceTitle answers it (type "0" company / "1" person, title,
    taxNumber, companyAddress, telephone, bankName, bankAccount), checked."""
    problems: dict[str, str] = {}
    kind = title.get("type")
    buyer_type = {"0": 0, "1": 1, 0: 0, 1: 1}.get(kind) if type(kind) in (str, int) else None
    if buyer_type is None:
        problems["type"] = "0 (company 单位) or 1 (person 个人)"
    texts = {}
    for wx_name, name in (
        ("title", "title"),
        ("companyAddress", "company_address"),
        ("telephone", "telephone"),
        ("bankName", "bank_name"),
        ("bankAccount", "bank_account"),
    ):
        value = title.get(wx_name) or ""
        if not isinstance(value, str) or len(value.strip()) > MAX_TEXT[name]:
            problems[wx_name] = f"text of at most {MAX_TEXT[name]} characters"
            value = ""
        texts[name] = value.strip()
    if not texts["title"]:
        problems["title"] = "required"
    tax_number = title.get("taxNumber") or ""
    tax_number = tax_number.strip().upper() if isinstance(tax_number, str) else None
    if buyer_type == 0 and (tax_number is None or not valid_credit_code(tax_number)):
        problems["taxNumber"] = "a company needs its 18-character 统一社会信用代码"
    if buyer_type == 1 and tax_number:
        problems["taxNumber"] = "a person has no tax number on a fapiao"
    if problems:
        raise InvalidBuyer(details={"fields": problems})
    return providers.Buyer(buyer_type, tax_number=tax_number or "", **texts)  # type: ignore[arg-type]


def _order_of(customer_id: int, order_id: int | None, invoice_id: int | None) -> tuple[Order, int | None]:
    """The caller's own order (named directly or through its invoice); anyone else's is a 404."""
    if (order_id is None) == (invoice_id is None):
        raise InvalidBuyer("Name either an order or an invoice", "请指定订单或账单", code="validation_failed")
    if invoice_id is not None:
        invoice = Invoice.get_or_none((Invoice.id == invoice_id) & (Invoice.customer == customer_id))
        if invoice is None:
            raise UnknownInvoice(details={"invoice_id": invoice_id})
        if invoice.order_id is None:
            raise FapiaoNotAvailable(details={"invoice_id": invoice_id, "why": "no sale behind this invoice"})
        order_id = invoice.order_id
    order = Order.get_or_none((Order.id == order_id) & (Order.customer == customer_id))
    if order is None:
        raise OrderNotFound(details={"order_id": order_id})
    return order, invoice_id


def request_fapiao(
    customer_id: int,
    title: dict[str, Any],
    *,
    order_id: int | None = None,
    invoice_id: int | None = None,
    actor_id: int | None,
) -> FapiaoRequest:
    """A blue fapiao for the customer's own order, queued for the provider after commit."""
    buyer = buyer_from_wechat(title)
    with transaction():
        order, invoice_id = _order_of(customer_id, order_id, invoice_id)
        if order.status not in ELIGIBLE:
            raise FapiaoNotAvailable(details={"order_id": order.id, "status": order.status})
        amount = order.total_fen - order.refunded_fen
        vat = order.vat_fen - order.refunded_vat_fen
        # Adjustments on its invoice (a discount, a price correction) change what the sale came to.
        adjusted, adjusted_vat = Adjustment.select(
            pw.fn.COALESCE(pw.fn.SUM(Adjustment.amount_fen), 0),
            pw.fn.COALESCE(pw.fn.SUM(Adjustment.vat_fen), 0),
        ).join(Invoice).where(
            (Invoice.order == order.id) & (Adjustment.kind != "rounding")
        ).tuples().first() or (0, 0)
        amount, vat = amount + int(adjusted), vat + int(adjusted_vat)
        if amount <= 0:
            raise FapiaoNotAvailable(details={"order_id": order.id, "why": "nothing left to invoice"})
        if invoice_id is None:
            invoice = Invoice.get_or_none(Invoice.order == order.id)
            invoice_id = invoice.id if invoice is not None else None
        key = f"blue:order:{order.id}"
        inserted = (
            FapiaoRequest.insert(
                customer=customer_id,
                order=order.id,
                invoice=invoice_id,
                kind="blue",
                buyer_type=buyer.buyer_type,
                title=buyer.title,
                tax_number=buyer.tax_number,
                company_address=buyer.company_address,
                telephone=buyer.telephone,
                bank_name=buyer.bank_name,
                bank_account=buyer.bank_account,
                amount_fen=amount,
                vat_fen=vat,
                dedupe_key=key,
                requested_by=actor_id,
            )
            .on_conflict_ignore()
            .returning(FapiaoRequest.id)
            .tuples()
            .execute()
        )
        rows = list(inserted)
        if not rows:
            first = FapiaoRequest.get(FapiaoRequest.dedupe_key == key)
            raise FapiaoAlreadyRequested(details={"fapiao_request_id": first.id})
        request_id = int(rows[0][0])
        enqueue(ISSUE_JOB, {"request_id": request_id}, dedupe_key=f"fapiao:{request_id}")
        audit.record(
            actor_id, "fapiao.request", "order", order.id, fapiao_request_id=request_id, amount_fen=amount
        )
    return FapiaoRequest.get_by_id(request_id)


def on_refunded(order: Order, amount_fen: int, vat_fen: int, *, everything: bool, reference: str) -> None:
    """The refund event's part: a red fapiao for what was refunded, if a blue one was asked for.
    Call inside the refund's transaction (the order row is locked)."""
    _file_red(order.id, amount_fen, vat_fen, everything=everything, reference=reference)


@adjustments.on_applied
def on_adjusted(adjustment: Adjustment) -> None:
    """A sale's revenue lowered after the fact (销售折让: a discount, a price correction, a settled
    dispute) needs a red fapiao for the part lowered, if a blue one was asked for; 抹零 (5603) leaves
    revenue and the fapiao as they are. Runs inside the adjustment's transaction."""
    if adjustment.amount_fen >= 0 or adjustment.account_code != chart.REVENUE:
        return
    order_id = Invoice.get_by_id(adjustment.invoice_id).order_id
    if order_id is not None:
        _file_red(
            order_id,
            -adjustment.amount_fen,
            -adjustment.vat_fen,
            everything=False,
            reference=f"adjustment:{adjustment.id}",
        )


def _file_red(order_id: int, amount_fen: int, vat_fen: int, *, everything: bool, reference: str) -> None:
    """A red fapiao against the order's blue one for `amount_fen` (all that is left of the blue one when
    `everything`), once per `reference`; nothing if no blue one was asked for or nothing of it is left."""
    blue = (
        FapiaoRequest.select()
        .where(
            (FapiaoRequest.order == order_id)
            & (FapiaoRequest.kind == "blue")
            & (FapiaoRequest.status != "failed")
        )
        .first()
    )
    if blue is None:
        return
    taken, taken_vat = FapiaoRequest.select(
        pw.fn.COALESCE(pw.fn.SUM(FapiaoRequest.amount_fen), 0),
        pw.fn.COALESCE(pw.fn.SUM(FapiaoRequest.vat_fen), 0),
    ).where((FapiaoRequest.blue == blue.id) & (FapiaoRequest.status != "failed")).tuples().first() or (0, 0)
    left, left_vat = blue.amount_fen - int(taken), blue.vat_fen - int(taken_vat)
    if left <= 0:
        return
    amount, vat = (
        (left, left_vat) if everything or amount_fen >= left else (amount_fen, min(vat_fen, left_vat))
    )
    key = f"red:{reference}"[:80]
    rows = list(
        FapiaoRequest.insert(
            customer=blue.customer_id,
            order=order_id,
            invoice=blue.invoice_id,
            kind="red",
            blue=blue.id,
            buyer_type=blue.buyer_type,
            title=blue.title,
            tax_number=blue.tax_number,
            company_address=blue.company_address,
            telephone=blue.telephone,
            bank_name=blue.bank_name,
            bank_account=blue.bank_account,
            amount_fen=amount,
            vat_fen=max(0, min(vat, amount)),
            dedupe_key=key,
            refund_reference=reference[:64],
        )
        .on_conflict_ignore()
        .returning(FapiaoRequest.id)
        .tuples()
        .execute()
    )
    if rows:
        request_id = int(rows[0][0])
        enqueue(ISSUE_JOB, {"request_id": request_id}, dedupe_key=f"fapiao:{request_id}")
        audit.record(
            None, "fapiao.red_request", "order", order_id, fapiao_request_id=request_id, amount_fen=amount
        )


class BlueNotIssuedYet(RuntimeError):
    """A red fapiao's blue one is still with the provider: the job is retried later."""


def _buyer(row: FapiaoRequest) -> providers.Buyer:
    return providers.Buyer(
        row.buyer_type,
        row.title,
        row.tax_number,
        row.company_address,
        row.telephone,
        row.bank_name,
        row.bank_account,
    )


def _items(order_id: int) -> list[providers.Item]:
    lines = (
        OrderLine.select(OrderLine, Sku).join(Sku).where(OrderLine.order == order_id).order_by(OrderLine.id)
    )
    return [
        providers.Item(f"{line.sku.name}", line.quantity, line.total_fen, line.vat_rate_bp) for line in lines
    ]


def _fail(request_id: int, why: str) -> None:
    with transaction():
        FapiaoRequest.update(status="failed", failure=why[:255]).where(
            (FapiaoRequest.id == request_id) & (FapiaoRequest.status == "queued")
        ).execute()
        audit.record(None, "fapiao.failed", "fapiao_request", request_id, why=why)


def issue(request_id: int) -> str:
    """Ask the provider for a queued request's fapiao (no transaction open) and record what it issued.
    Returns the request's status afterwards."""
    row = FapiaoRequest.get_or_none(FapiaoRequest.id == request_id)
    if row is None or row.status != "queued":
        return row.status if row is not None else "missing"
    provider = providers.current()
    ours = f"yecai-fapiao-{row.id}"
    try:
        if row.kind == "blue":
            issued = provider.issue_blue(ours, _buyer(row), _items(row.order_id), row.amount_fen, row.vat_fen)
        else:
            blue = FapiaoRequest.get_by_id(row.blue_id)
            if blue.status == "failed":
                _fail(row.id, f"blue fapiao request {blue.id} failed")
                return "failed"
            if blue.status != "issued":
                raise BlueNotIssuedYet(f"fapiao request {row.id} waits for blue request {blue.id}")
            issued = provider.issue_red(ours, str(blue.number), _buyer(row), row.amount_fen, row.vat_fen)
    except FapiaoRefused as refused:
        _fail(row.id, str(refused) or "refused by the provider")
        return "failed"
    with transaction():
        updated = (
            FapiaoRequest.update(status="issued", number=issued.number, issued_at=issued.issued_at)
            .where((FapiaoRequest.id == row.id) & (FapiaoRequest.status == "queued"))
            .execute()
        )
        if updated:
            FapiaoFile.insert(
                request=row.id,
                content_type=issued.content_type,
                content=issued.content,
                sha256=hashlib.sha256(issued.content).hexdigest(),
            ).on_conflict_ignore().execute()
            audit.record(None, "fapiao.issued", "fapiao_request", row.id, kind=row.kind, number=issued.number)
    return "issued"


@job(ISSUE_JOB, delivery=REMOTE_DEDUPES)
def issue_job(payload: dict[str, Any]) -> None:
    issue(int(payload["request_id"]))


# ---- reading


def mine(customer_id: int) -> pw.ModelSelect[Any]:
    return FapiaoRequest.select().where(FapiaoRequest.customer == customer_id)


def listing(status: str | None = None) -> pw.ModelSelect[Any]:
    query = FapiaoRequest.select()
    if status is not None:
        query = query.where(FapiaoRequest.status == status)
    return query


def get_visible(request_id: int, customer_id: int | None) -> FapiaoRequest:
    """One request: staff (customer_id None) see every one, a customer only their own (else 404)."""
    query = FapiaoRequest.select().where(FapiaoRequest.id == request_id)
    if customer_id is not None:
        query = query.where(FapiaoRequest.customer == customer_id)
    row = query.first()
    if row is None:
        raise FapiaoRequestNotFound(details={"fapiao_request_id": request_id})
    return row


@dataclass(frozen=True)
class File:
    name: str
    content_type: str
    content: bytes


def file_of(request_id: int, customer_id: int | None) -> File:
    row = get_visible(request_id, customer_id)
    stored = FapiaoFile.get_or_none(FapiaoFile.request == row.id)
    if stored is None:
        raise FapiaoRequestNotFound(
            "The fapiao has not been issued yet", "发票尚未开具", code="fapiao_not_issued", status=404
        )
    return File(f"fapiao-{row.number}.pdf", stored.content_type, bytes(stored.content))
