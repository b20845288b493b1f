"""Late interest per contract (the profile's daily rate): it accrues day by day on what is actually
outstanding on an invoice after its due date, and is posted as a receivable of its own (an interest
invoice, Dr 1122 / Cr 5301 营业外收入) for a period at a time, normally each calendar month.

What is outstanding on a day is the invoice's entries dated on or before it (business days): a
partial payment stops interest on what it paid from its own date. Interest starts the day after the
due date (grace days only delay a hold, not interest). The rounding rule is `backend.money.
late_interest`: the period's fen-days times the rate, rounded half up once per period. Interest is
not charged on interest, nor on a disputed invoice. A posted charge can be waived, by reversal:
the owner directly, staff with the owner's approval.
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import Any

import peewee as pw

from backend import audit, clock
from backend.approvals import services as approvals
from backend.approvals.models import ApprovalRequest
from backend.auth.models import User
from backend.db import locked, transaction
from backend.errors import PermissionDenied
from backend.kernel.models import Customer
from backend.ledger import chart
from backend.ledger.services import Cr, Dr, post_entry, tuples
from backend.money import late_interest
from backend.receivables.credit.errors import InvoiceDisputed, NothingToCharge, NothingToWaive
from backend.receivables.credit.models import CreditProfile, InterestCharge
from backend.receivables.credit.profiles import Terms, due_date
from backend.receivables.errors import UnknownCustomer
from backend.receivables.models import ArEntry, Invoice

INTEREST_WAIVER = "interest_waiver"

# Who knows which invoices are disputed (statements, for one): each source answers, for a list of
# invoice ids, those under an open dispute. Registered by the domain that owns disputes.
DisputeSource = Callable[[list[int]], set[int]]
_dispute_sources: list[DisputeSource] = []


def register_dispute_source(source: DisputeSource) -> None:
    if source not in _dispute_sources:
        _dispute_sources.append(source)


def disputed(invoice_ids: list[int]) -> set[int]:
    found: set[int] = set()
    for source in _dispute_sources:
        found |= source(invoice_ids)
    return found


def fen_days(entries: Iterable[tuple[dt.date, int]], start: dt.date, end: dt.date) -> int:
    """The sum over the days start..end (inclusive) of what was outstanding at each day's end."""
    by_day: dict[dt.date, int] = defaultdict(int)
    level = 0
    for day, amount in entries:
        if day <= start:
            level += amount
        elif day <= end:
            by_day[day] += amount
    total, current = 0, start
    for day in sorted(by_day):
        total += level * (day - current).days
        level += by_day[day]
        current = day
    return total + level * ((end - current).days + 1)


def _rates(customer_ids: list[int] | None = None) -> dict[int, CreditProfile]:
    """The profile in force of every customer whose contract charges late interest."""
    newest = CreditProfile.select(
        CreditProfile.customer, pw.fn.MAX(CreditProfile.version).alias("v")
    ).group_by(CreditProfile.customer)
    if customer_ids is not None:
        newest = newest.where(CreditProfile.customer.in_(customer_ids))
    rows = (
        CreditProfile.select()
        .join(
            newest,
            on=((CreditProfile.customer == newest.c.customer_id) & (CreditProfile.version == newest.c.v)),
        )
        .where(CreditProfile.late_interest_ppm > 0)
    )
    return {row.customer_id: row for row in rows}


def _interest_invoices() -> pw.ModelSelect[Any]:
    return InterestCharge.select(InterestCharge.interest_invoice).where(
        InterestCharge.interest_invoice.is_null(False)
    )


@dataclass(frozen=True)
class _Due:
    invoice: Invoice
    profile: CreditProfile
    start: dt.date
    through: dt.date
    fen_days: int

    @property
    def amount_fen(self) -> int:
        return late_interest(self.fen_days, self.profile.late_interest_ppm)


def _due(
    invoice: Invoice,
    profile: CreditProfile,
    through: dt.date,
    last_to: dt.date | None,
    entries: list[tuple[dt.date, int]],
) -> _Due | None:
    """The period not yet charged (from the day after the due date, or after the last charge)."""
    start = max(invoice.due_on, last_to or invoice.due_on) + dt.timedelta(days=1)
    if start > through:
        return None
    days = fen_days(entries, start, through)
    return _Due(invoice, profile, start, through, days) if days > 0 else None


def _terms(profile: CreditProfile) -> Terms:
    return Terms(
        profile.limit_fen,
        profile.terms_kind,
        profile.terms_days,
        profile.grace_days,
        profile.late_interest_ppm,
        profile.overdue_action,
    )


def _post(dues: list[_Due]) -> list[InterestCharge]:
    """Post a batch of periods: an interest invoice and its entry each, the customers' balances, the
    charge rows, and one voucher for the batch (Dr 1122 per customer / Cr 5301). Inside a transaction."""
    if not dues:
        return []
    today = clock.today()
    billed = [d for d in dues if d.amount_fen > 0]
    invoice_ids: list[int] = []
    if billed:
        invoice_ids = [
            int(row[0])
            for row in Invoice.insert_many(
                [
                    {
                        "customer": d.invoice.customer_id,
                        "order": None,
                        "amount_fen": d.amount_fen,
                        "open_fen": d.amount_fen,
                        "issued_on": today,
                        "due_on": due_date(_terms(d.profile), today),
                        "created_at": clock.now(),
                    }
                    for d in billed
                ]
            )
            .returning(Invoice.id)
            .tuples()
            .execute()
        ]
        ArEntry.insert_many(
            [
                {
                    "customer": d.invoice.customer_id,
                    "invoice": i,
                    "kind": "interest",
                    "amount_fen": d.amount_fen,
                    "created_at": clock.now(),
                }
                for d, i in zip(billed, invoice_ids, strict=True)
            ]
        ).execute()
        by_customer: dict[int, int] = defaultdict(int)
        for d in billed:
            by_customer[d.invoice.customer_id] += d.amount_fen
        Customer.update(
            balance_fen=Customer.balance_fen + pw.Case(Customer.id, list(by_customer.items()), 0)
        ).where(Customer.id.in_(list(by_customer))).execute()
    interest_invoice = dict(zip([id(d) for d in billed], invoice_ids, strict=True))
    rows = (
        InterestCharge.insert_many(
            [
                {
                    "invoice": d.invoice.id,
                    "customer": d.invoice.customer_id,
                    "period_from": d.start,
                    "period_to": d.through,
                    "fen_days": d.fen_days,
                    "rate_ppm": d.profile.late_interest_ppm,
                    "amount_fen": d.amount_fen,
                    "interest_invoice": interest_invoice.get(id(d)),
                    "created_at": clock.now(),
                }
                for d in dues
            ]
        )
        .returning(InterestCharge)
        .objects()
        .execute()
    )
    charges = list(rows)
    if billed:
        total = sum(d.amount_fen for d in billed)
        post_entry(
            "credit.late_interest",
            [
                *(Dr(chart.RECEIVABLES, fen, c) for c, fen in sorted(by_customer.items())),
                Cr(chart.NON_OPERATING_INCOME, total),
            ],
            memo=f"逾期利息 至 {dues[0].through}",
            source_type="interest",
            source_id=min(c.id for c in charges),
        )
    return charges


def _entries_by_invoice(invoice_ids: list[int]) -> dict[int, list[tuple[dt.date, int]]]:
    out: dict[int, list[tuple[dt.date, int]]] = defaultdict(list)
    for invoice_id, created_at, amount in tuples(
        ArEntry.select(ArEntry.invoice, ArEntry.created_at, ArEntry.amount_fen).where(
            ArEntry.invoice.in_(invoice_ids)
        )
    ):
        if isinstance(created_at, str):
            created_at = dt.datetime.fromisoformat(created_at)
        out[invoice_id].append((clock.business_date(created_at), int(amount)))
    return out


def post_interest(through: dt.date, *, since: dt.date | None = None, batch: int = 500) -> dict[str, int]:
    """Charge late interest on every interest-bearing invoice up to `through` (a day already past).
    Safe to run twice: a period already charged is not charged again. `since`: invoices closed
    before this day are not looked at (the nightly run passes the period's first day)."""
    rates = _rates()
    if not rates:
        return {"charges": 0, "posted_fen": 0}
    last_to = dict(
        tuples(
            InterestCharge.select(InterestCharge.invoice, pw.fn.MAX(InterestCharge.period_to)).group_by(
                InterestCharge.invoice
            )
        )
    )
    query = Invoice.select().where(
        (Invoice.due_on < through)
        & Invoice.customer.in_(list(rates))
        & Invoice.id.not_in(_interest_invoices())
    )
    if since is not None:
        recently_changed = ArEntry.select(ArEntry.invoice).where(
            ArEntry.created_at >= clock.day_bounds(since)[0]
        )
        query = query.where((Invoice.open_fen > 0) | Invoice.id.in_(recently_changed))
    invoices = list(query.order_by(Invoice.id))
    counts = {"charges": 0, "posted_fen": 0}
    for start in range(0, len(invoices), batch):
        chunk = invoices[start : start + batch]
        skip = disputed([i.id for i in chunk])
        entries = _entries_by_invoice([i.id for i in chunk])
        dues = []
        for invoice in chunk:
            if invoice.id in skip:
                continue
            previous = last_to.get(invoice.id)
            if isinstance(previous, str):
                previous = dt.date.fromisoformat(previous)
            due = _due(invoice, rates[invoice.customer_id], through, previous, entries[invoice.id])
            if due is not None:
                dues.append(due)
        with transaction():
            for charge in _post(dues):
                counts["charges"] += 1
                counts["posted_fen"] += charge.amount_fen
    return counts


def charge_invoice(invoice_id: int, through: dt.date, *, actor_id: int) -> InterestCharge:
    """Charge one invoice's late interest now, up to `through` (e.g. at settlement with the customer)."""
    with transaction():
        invoice = locked(Invoice.select().where(Invoice.id == invoice_id)).first()
        if invoice is None:
            raise UnknownCustomer(
                "No such invoice", "发票不存在", code="unknown_invoice", details={"invoice_id": invoice_id}
            )
        if invoice_id in disputed([invoice_id]):
            raise InvoiceDisputed(details={"invoice_id": invoice_id})
        if (
            through >= clock.today()
            or InterestCharge.select().where(InterestCharge.interest_invoice == invoice_id).exists()
        ):
            raise NothingToCharge(details={"invoice_id": invoice_id, "through": through.isoformat()})
        profile = _rates([invoice.customer_id]).get(invoice.customer_id)
        previous = (
            InterestCharge.select(pw.fn.MAX(InterestCharge.period_to))
            .where(InterestCharge.invoice == invoice_id)
            .scalar()
        )
        if isinstance(previous, str):
            previous = dt.date.fromisoformat(previous)
        due = None
        if profile is not None:
            due = _due(invoice, profile, through, previous, _entries_by_invoice([invoice_id])[invoice_id])
        if due is None or due.amount_fen == 0:
            raise NothingToCharge(details={"invoice_id": invoice_id, "through": through.isoformat()})
        (charge,) = _post([due])
        audit.record(
            actor_id,
            "credit.interest_charge",
            "invoice",
            invoice_id,
            charge_id=charge.id,
            amount_fen=charge.amount_fen,
        )
    return charge


# ---------------------------------------------------------------- waivers


def _open_interest(charge: InterestCharge) -> Invoice:
    if charge.interest_invoice_id is None or charge.status != "posted":
        raise NothingToWaive(details={"charge_id": charge.id})
    invoice = locked(Invoice.select().where(Invoice.id == charge.interest_invoice_id)).get()
    if invoice.open_fen == 0:
        raise NothingToWaive(details={"charge_id": charge.id})
    return invoice


def _waive(charge: InterestCharge, *, actor_id: int, reason: str, approval_id: int | None = None) -> int:
    invoice = _open_interest(charge)
    amount = invoice.open_fen
    Invoice.update(open_fen=Invoice.open_fen - amount).where(Invoice.id == invoice.id).execute()
    ArEntry.insert(
        customer=invoice.customer_id, invoice=invoice.id, kind="waiver", amount_fen=-amount
    ).execute()
    Customer.update(balance_fen=Customer.balance_fen - amount).where(
        Customer.id == invoice.customer_id
    ).execute()
    InterestCharge.update(status="waived", waived_fen=amount).where(InterestCharge.id == charge.id).execute()
    post_entry(
        "credit.interest_waived",
        [Dr(chart.NON_OPERATING_INCOME, amount), Cr(chart.RECEIVABLES, amount, invoice.customer_id)],
        memo=f"减免逾期利息 {charge.id}",
        source_type="interest",
        source_id=charge.id,
    )
    audit.record(
        actor_id,
        "credit.interest_waive",
        "interest_charge",
        charge.id,
        amount_fen=amount,
        reason=reason,
        approval_id=approval_id,
    )
    return amount


def _charge_row(charge_id: int) -> InterestCharge:
    charge = InterestCharge.get_or_none(InterestCharge.id == charge_id)
    if charge is None:
        raise NothingToWaive(
            "No such interest charge", "没有这笔利息", code="unknown_interest_charge", status=404
        )
    return charge


def waive(charge_id: int, *, actor_id: int, reason: str = "") -> InterestCharge | ApprovalRequest:
    """Waive what is open of a posted charge: the owner at once, staff with the owner's approval."""
    actor = User.get_or_none(User.id == actor_id)
    if actor is None or actor.role not in ("owner", "staff"):
        raise PermissionDenied()
    with transaction():
        charge = _charge_row(charge_id)
        invoice = _open_interest(charge)
        if actor.role == "owner":
            _waive(charge, actor_id=actor_id, reason=reason)
            return InterestCharge.get_by_id(charge_id)
        return approvals.request(
            INTEREST_WAIVER,
            subject_type="interest_charge",
            subject_id=charge.id,
            payload={"invoice_id": charge.invoice_id, "interest_invoice_id": invoice.id},
            amount_fen=invoice.open_fen,
            reason=reason,
            requested_by=actor_id,
        )


def _approve_waiver(request: ApprovalRequest, decider_id: int) -> dict[str, Any]:
    charge = _charge_row(int(request.subject_id))
    waived = _waive(charge, actor_id=decider_id, reason=request.reason, approval_id=request.id)
    return {"waived_fen": waived}


approvals.register(
    approvals.Kind(
        INTEREST_WAIVER,
        "减免逾期利息",
        "Late interest waiver",
        approve=_approve_waiver,
        one_open_per_subject=True,
    )
)


def accrued_unposted(customer_id: int, today: dt.date | None = None) -> int:
    """Interest accrued since the last posting up to yesterday, not yet posted (for the owner's view)."""
    today = today or clock.today()
    profile = _rates([customer_id]).get(customer_id)
    if profile is None:
        return 0
    invoices = list(
        Invoice.select()
        .where(
            (Invoice.customer == customer_id)
            & (Invoice.open_fen > 0)
            & (Invoice.due_on < today - dt.timedelta(days=1))
        )
        .where(Invoice.id.not_in(_interest_invoices()))
    )
    if not invoices:
        return 0
    entries = _entries_by_invoice([i.id for i in invoices])
    last = dict(
        tuples(
            InterestCharge.select(InterestCharge.invoice, pw.fn.MAX(InterestCharge.period_to))
            .where(InterestCharge.invoice.in_([i.id for i in invoices]))
            .group_by(InterestCharge.invoice)
        )
    )
    total = 0
    yesterday = today - dt.timedelta(days=1)
    for invoice in invoices:
        previous = last.get(invoice.id)
        if isinstance(previous, str):
            previous = dt.date.fromisoformat(previous)
        start = max(invoice.due_on, previous or invoice.due_on) + dt.timedelta(days=1)
        if start <= yesterday:
            total += late_interest(fen_days(entries[invoice.id], start, yesterday), profile.late_interest_ppm)
    return total
