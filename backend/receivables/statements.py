"""Period statements (对账单) the customer confirms or disputes.

A statement covers a period of merchant days [period_start, period_end] for one customer: the
opening balance (every receivable entry posted before the period, summed in SQL), one line per
entry posted in the period (its day, kind, invoice, a description, the amount and the running
balance), the closing balance, and what was open at the period end by age. It is a snapshot: the
lines are copied, so what the customer saw and confirmed never moves.

Life of a statement:
- `generate` (staff, on demand) or `generate_period` (the monthly job, every customer with activity
  or an open balance, in a few set-based queries) writes it as a draft; `send` makes it visible to
  the customer (mini-program, console, or a signed link) and messages them through the outbox.
- The customer `confirm`s it (frozen: the sha256 of its content is stored; `yecai check` proves it
  unchanged) or `dispute`s lines with a note. Confirming twice, or a superseded or disputed one, is
  a 409; someone else's statement is a 404; nothing changes.
- Staff `resolve` each dispute: with an adjustment (backend.receivables.adjustments, kind
  `dispute_settlement`, naming the dispute), or rejecting it with a note. Once no dispute is open,
  a new version of the same period is generated and sent; the old one is kept as `superseded`. The
  new version shows the adjustments that settled its disputes after the period's own lines, on the
  day they were made, and its closing includes them.
- A period overlapping a confirmed statement cannot be generated again (`statement_frozen`): later
  corrections are entries of a later day, so they fall in the next period. Entries already shown on
  an earlier period's statement (a settlement made after that period) are part of the next period's
  opening balance, never shown twice.
- Unconfirmed statements are reminded every `statement_remind_days` days, at most MAX_REMINDERS times.

Signed links: `link_token(statement)` is `<id>.<expires>.<hmac>` under a key derived from the app's
secret key; a tampered token is a 404, an expired one a 403, and neither changes anything.
"""

from __future__ import annotations

import base64
import datetime as dt
import hashlib
import hmac
import json
import logging
from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from typing import Any

import peewee as pw

from backend import audit, clock, runtime, subscribe_messages
from backend.auth.models import User
from backend.checks import invariant
from backend.db import db, is_postgres, locked, transaction
from backend.jobs.outbox import enqueue
from backend.jobs.registry import AT_MOST_ONCE, job
from backend.kernel.models import Customer
from backend.ledger.services import tuples
from backend.money import format_yuan
from backend.receivables import adjustments
from backend.receivables.models import Adjustment, AdvanceAccount, AdvanceMovement, ArEntry, Invoice
from backend.receivables.statement_errors import (
    DisputeAlreadyDecided,
    DisputeNotFound,
    InvalidDispute,
    InvalidPeriod,
    StatementAlreadyConfirmed,
    StatementFrozen,
    StatementLinkExpired,
    StatementLinkInvalid,
    StatementNotFound,
    StatementNotOpen,
    StatementSuperseded,
)
from backend.receivables.statement_models import (
    Statement,
    StatementDispute,
    StatementLine,
    StatementNotice,
)

log = logging.getLogger("yecai.statements")

# What each kind of receivable entry is called on a statement.
KIND_LABELS = {
    "invoice": "销售",
    "payment": "收款",
    "credit_note": "冲减",
    "refund": "退款",
    "interest": "逾期利息",
    "waiver": "利息减免",
    "write_off": "坏账核销",
    "recovery": "坏账收回",
    "adjustment": "调整",
    "advance": "预收冲抵",
}
KIND_LABELS_EN = {
    "invoice": "Sale",
    "payment": "Payment",
    "credit_note": "Credit note",
    "refund": "Refund",
    "interest": "Late interest",
    "waiver": "Interest waived",
    "write_off": "Written off",
    "recovery": "Recovered",
    "advance": "Paid from credit",
    "adjustment": "Adjustment",
}
VISIBLE_TO_CUSTOMER = ("sent", "confirmed", "disputed", "superseded")
MAX_PERIOD_DAYS = 366
MAX_REMINDERS = 3
MAX_NOTE = 500
DEFAULT_REMIND_DAYS = 7
DEFAULT_LINK_DAYS = 60
BATCH = 500


# ---------------------------------------------------------------- periods


def month_of(day: dt.date) -> tuple[dt.date, dt.date]:
    """The calendar month holding `day`: (first day, last day)."""
    first = day.replace(day=1)
    following = (first + dt.timedelta(days=32)).replace(day=1)
    return first, following - dt.timedelta(days=1)


def previous_month(today: dt.date) -> tuple[dt.date, dt.date]:
    return month_of(today.replace(day=1) - dt.timedelta(days=1))


def check_period(period_start: dt.date, period_end: dt.date) -> None:
    """A period has ended (so nothing more can be posted in it) and spans 1 to 366 days."""
    if (
        period_end < period_start
        or period_end >= clock.today()
        or (period_end - period_start).days >= MAX_PERIOD_DAYS
    ):
        raise InvalidPeriod(
            details={"period_start": period_start.isoformat(), "period_end": period_end.isoformat()}
        )


def bounds(period_start: dt.date, period_end: dt.date) -> tuple[dt.datetime, dt.datetime]:
    """The period as naive-UTC bounds [from, to) of `created_at`."""
    return clock.day_bounds(period_start)[0], clock.day_bounds(period_end)[1]


def describe(kind: str, invoice_id: int, order_id: int | None) -> str:
    """A line's description: what it was, on which invoice (and order). The benchmark's SQL reference
    builds the same text (bench/statements.py)."""
    text = f"{KIND_LABELS.get(kind, kind)} 发票#{invoice_id}"
    return text + (f" 订单#{order_id}" if order_id is not None else "")


def _date(value: Any) -> dt.date:
    return dt.date.fromisoformat(value[:10]) if isinstance(value, str) else value


def _ts(value: Any) -> dt.datetime:
    return dt.datetime.fromisoformat(value) if isinstance(value, str) else value


# ---------------------------------------------------------------- reading the ledger (set-based)


@dataclass
class Draft:
    """What a statement will say, computed from the ledger before it is written."""

    customer_id: int
    opening_fen: int = 0
    advance_fen: int = 0  # credit paid ahead, not yet applied, at the period end
    lines: list[dict[str, Any]] = field(default_factory=list)

    @property
    def debit_fen(self) -> int:
        return sum(line["amount_fen"] for line in self.lines if line["amount_fen"] > 0)

    @property
    def credit_fen(self) -> int:
        return -sum(line["amount_fen"] for line in self.lines if line["amount_fen"] < 0)

    @property
    def closing_fen(self) -> int:
        return self.opening_fen + self.debit_fen - self.credit_fen


def _chunks(items: Sequence[int], size: int = BATCH) -> Iterable[Sequence[int]]:
    for start in range(0, len(items), size):
        yield items[start : start + size]


def _entry_rows(where: pw.Expression) -> list[tuple[Any, ...]]:
    """(entry id, customer, created_at, kind, invoice, order, amount) in posting order, read through the
    driver's cursor (tens of thousands of rows a month: peewee's per-row processing is not needed)."""
    query = (
        ArEntry.select(
            ArEntry.id,
            ArEntry.customer,
            ArEntry.created_at,
            ArEntry.kind,
            ArEntry.invoice,
            Invoice.order,
            ArEntry.amount_fen,
        )
        .join(Invoice, on=(Invoice.id == ArEntry.invoice))
        .where(where)
        .order_by(ArEntry.customer, ArEntry.created_at, ArEntry.id)
    )
    sql, params = query.sql()
    return [tuple(row) for row in db.execute_sql(sql, params).fetchall()]


def _stated_later(ids: Sequence[int], period_start: dt.date, utc_from: dt.datetime) -> list[tuple[Any, ...]]:
    """Entries posted on or after this period's start that an earlier period's live statement already
    shows (a dispute settled after that period): (customer, entry id, amount). They are part of the
    opening balance and are not shown again."""
    earlier = Statement.alias("earlier")
    return tuples(
        StatementLine.select(earlier.customer, StatementLine.entry, StatementLine.amount_fen)
        .join(earlier, on=(earlier.id == StatementLine.statement))
        .join(ArEntry, on=(ArEntry.id == StatementLine.entry))
        .where(
            earlier.customer.in_(list(ids))
            & (earlier.status != "superseded")
            & (earlier.period_start < period_start)
            & (StatementLine.on_date > earlier.period_end)
            & (ArEntry.created_at >= utc_from)
        )
    )


def _settlements(ids: Sequence[int], period_start: dt.date, utc_to: dt.datetime) -> list[tuple[Any, ...]]:
    """Entries that settled disputes of this period's earlier versions, posted after the period."""
    disputed = Statement.alias("disputed")
    entry_ids = (
        StatementDispute.select(StatementDispute.adjustment_entry)
        .join(disputed, on=(disputed.id == StatementDispute.statement))
        .where(
            disputed.customer.in_(list(ids))
            & (disputed.period_start == period_start)
            & StatementDispute.adjustment_entry.is_null(False)
        )
    )
    return _entry_rows(ArEntry.id.in_(entry_ids) & (ArEntry.created_at >= utc_to))


def drafts(customer_ids: Sequence[int], period_start: dt.date, period_end: dt.date) -> dict[int, Draft]:
    """Opening, lines, closing and credit paid ahead of each customer's statement for the period, in five
    queries a batch (openings, credit, the period's entries, entries carried from earlier statements,
    settlements)."""
    utc_from, utc_to = bounds(period_start, period_end)
    out: dict[int, Draft] = {c: Draft(c) for c in customer_ids}
    days: dict[dt.datetime, dt.date] = {}

    def day_of(at: dt.datetime) -> dt.date:
        # Every zone's offset is a multiple of 15 minutes: a quarter hour falls on one merchant day.
        quarter = at.replace(minute=at.minute - at.minute % 15, second=0, microsecond=0)
        if quarter not in days:
            days[quarter] = clock.business_date(quarter)
        return days[quarter]

    for ids in _chunks(list(customer_ids)):
        for customer_id, total in tuples(
            ArEntry.select(ArEntry.customer, pw.fn.SUM(ArEntry.amount_fen))
            .where(ArEntry.customer.in_(list(ids)) & (ArEntry.created_at < utc_from))
            .group_by(ArEntry.customer)
        ):
            out[int(customer_id)].opening_fen = int(total or 0)
        carried: dict[int, set[int]] = defaultdict(set)
        for customer_id, entry_id, amount in _stated_later(ids, period_start, utc_from):
            carried[int(customer_id)].add(int(entry_id))
            out[int(customer_id)].opening_fen += int(amount)
        for customer_id, total in tuples(
            AdvanceMovement.select(AdvanceMovement.customer, pw.fn.SUM(AdvanceMovement.amount_fen))
            .where(AdvanceMovement.customer.in_(list(ids)) & (AdvanceMovement.created_at < utc_to))
            .group_by(AdvanceMovement.customer)
        ):
            out[int(customer_id)].advance_fen = int(total or 0)
        rows = _entry_rows(
            ArEntry.customer.in_(list(ids)) & (ArEntry.created_at >= utc_from) & (ArEntry.created_at < utc_to)
        )
        rows += _settlements(ids, period_start, utc_to)
        for entry_id, customer_id, created_at, kind, invoice_id, order_id, amount in rows:
            draft = out[int(customer_id)]
            if int(entry_id) in carried[draft.customer_id]:
                continue
            balance = (draft.lines[-1]["balance_fen"] if draft.lines else draft.opening_fen) + int(amount)
            draft.lines.append(
                {
                    "seq": len(draft.lines) + 1,
                    "entry": int(entry_id),
                    "on_date": day_of(_ts(created_at)),
                    "kind": kind,
                    "invoice_id": int(invoice_id),
                    "order_id": None if order_id is None else int(order_id),
                    "description": describe(kind, int(invoice_id), order_id),
                    "amount_fen": int(amount),
                    "balance_fen": balance,
                }
            )
    return out


def _aging_at(customer_ids: Sequence[int], as_of: dt.date) -> dict[int, str | None]:
    """What was open at the end of the period, by age (backend.receivables.aging rebuilds it from the
    entries written by then), per customer, as the JSON the statement keeps."""
    from backend.receivables import aging

    report = aging.aging(as_of, customer_id=customer_ids[0] if len(customer_ids) == 1 else None)
    found = {row.customer_id: row for row in report.customers}
    out: dict[int, str | None] = {}
    for customer_id in customer_ids:
        row = found.get(customer_id)
        buckets = [
            {"key": b.key, "label": b.label_zh, "amount_fen": row.buckets.get(b.key, 0) if row else 0}
            for b in report.buckets
        ]
        out[customer_id] = json.dumps(
            {
                "as_of": as_of.isoformat(),
                "buckets": buckets,
                "total_fen": row.open_fen if row else 0,
                "overdue_fen": row.overdue_fen if row else 0,
            },
            ensure_ascii=False,
            sort_keys=True,
        )
    return out


def _write(
    batch: Sequence[Draft],
    period_start: dt.date,
    period_end: dt.date,
    *,
    versions: dict[int, tuple[int, int | None]] | None = None,
    actor_id: int | None = None,
    agings: dict[int, str | None] | None = None,
) -> list[int]:
    """Insert the statements and their lines (in the caller's transaction). Returns statement ids."""
    if not batch:
        return []
    versions = versions or {}
    if agings is None:
        agings = _aging_at([d.customer_id for d in batch], period_end)
    now = clock.now()
    rows = [
        {
            "customer": d.customer_id,
            "period_start": period_start,
            "period_end": period_end,
            "version": versions.get(d.customer_id, (1, None))[0],
            "supersedes": versions.get(d.customer_id, (1, None))[1],
            "status": "draft",
            "opening_fen": d.opening_fen,
            "debit_fen": d.debit_fen,
            "credit_fen": d.credit_fen,
            "closing_fen": d.closing_fen,
            "advance_fen": d.advance_fen,
            "line_count": len(d.lines),
            "aging": agings.get(d.customer_id),
            "generated_by": actor_id,
            "created_at": now,
            "reminders": 0,
        }
        for d in batch
    ]
    by_customer = {int(c): int(i) for i, c in _insert(Statement, rows, returning=("id", "customer_id"))}
    ids = [int(by_customer[d.customer_id]) for d in batch]
    _insert(
        StatementLine,
        [{**line, "statement": sid} for sid, d in zip(ids, batch, strict=True) for line in d.lines],
    )
    return ids


_PG_TYPES = {
    pw.AutoField: "bigint",
    pw.IntegerField: "bigint",
    pw.BigIntegerField: "bigint",
    pw.ForeignKeyField: "bigint",
    pw.CharField: "text",
    pw.TextField: "text",
    pw.DateField: "date",
    pw.DateTimeField: "timestamp",
}


def _pg_element(value: Any) -> str:
    if value is None:
        return "NULL"
    if isinstance(value, int):
        return str(value)
    if isinstance(value, dt.datetime):
        value = value.isoformat(sep=" ")
    elif isinstance(value, dt.date):
        value = value.isoformat()
    return '"' + str(value).replace("\\", "\\\\").replace('"', '\\"') + '"'


def _pg_array(values: Iterable[Any]) -> str:
    """A PostgreSQL array literal of plain values: ints bare, everything else quoted and escaped."""
    return "{" + ",".join(_pg_element(v) for v in values) + "}"


def _insert(
    model: type[pw.Model], rows: list[dict[str, Any]], *, returning: tuple[str, ...] = ()
) -> list[tuple[Any, ...]]:
    """Many rows in one statement, through the driver (peewee builds SQL for tens of thousands of values
    slowly): on PostgreSQL one INSERT ... SELECT FROM unnest() of a typed array per column; on SQLite
    executemany. Values are plain ints, strings, dates and datetimes (no conversion needed)."""
    if not rows:
        return []
    fields = [model._meta.fields[name] for name in rows[0]]
    table = model._meta.table_name
    columns = ", ".join(f'"{f.column_name}"' for f in fields)
    back = f" RETURNING {', '.join(returning)}" if returning else ""
    if is_postgres():
        # Each column goes as one array literal ('{1,2,3}'), parsed once by the server: a list adapted
        # element by element (ARRAY[1,2,3,...]) is tens of thousands of constants to parse and plan.
        arrays = [_pg_array(row[f.name] for row in rows) for f in fields]
        casts = ", ".join(f"%s::{_PG_TYPES[type(f)]}[]" for f in fields)
        cursor = db.execute_sql(
            f'INSERT INTO "{table}" ({columns}) SELECT * FROM unnest({casts}){back}', arrays
        )
        return [tuple(r) for r in cursor.fetchall()] if returning else []
    values = [tuple(row[f.name] for f in fields) for row in rows]
    marks = ", ".join("?" for _ in fields)
    if returning:  # SQLite: one row at a time with its RETURNING (a few hundred statements a month)
        cursor = db.cursor()
        out = []
        for value in values:
            cursor.execute(f'INSERT INTO "{table}" ({columns}) VALUES ({marks}){back}', value)
            out.append(tuple(cursor.fetchone()))
        return out
    db.cursor().executemany(f'INSERT INTO "{table}" ({columns}) VALUES ({marks})', values)
    return []


# ---------------------------------------------------------------- generating


def _live(customer_id: int, period_start: dt.date, period_end: dt.date) -> list[Statement]:
    """The customer's statements not superseded whose period overlaps this one, newest first."""
    return list(
        locked(
            Statement.select().where(
                (Statement.customer == customer_id)
                & (Statement.status != "superseded")
                & (Statement.period_start <= period_end)
                & (Statement.period_end >= period_start)
            )
        ).order_by(Statement.id.desc())
    )


def generate(
    customer_id: int, period_start: dt.date, period_end: dt.date, *, actor_id: int | None = None
) -> Statement:
    """A statement for one customer and period, on demand (a draft to send). A statement of the same
    period not yet confirmed is superseded by this new version; a confirmed one overlapping the
    period refuses (frozen)."""
    check_period(period_start, period_end)
    with transaction():
        customer = locked(Customer.select().where(Customer.id == customer_id)).first()
        if customer is None:
            from backend.receivables.errors import UnknownCustomer

            raise UnknownCustomer(details={"customer_id": customer_id})
        statement_id = _generate_locked(customer_id, period_start, period_end, actor_id=actor_id)
        audit.record(
            actor_id,
            "statement.generate",
            "statement",
            statement_id,
            customer_id=customer_id,
            period=[period_start.isoformat(), period_end.isoformat()],
        )
    return Statement.get_by_id(statement_id)


def _generate_locked(
    customer_id: int, period_start: dt.date, period_end: dt.date, *, actor_id: int | None
) -> int:
    live = _live(customer_id, period_start, period_end)
    frozen = [s for s in live if s.status == "confirmed"]
    if frozen:
        raise StatementFrozen(details={"statement_id": frozen[0].id})
    previous = max(
        (s for s in live if s.period_start == period_start),
        key=lambda s: s.version,
        default=None,
    )
    latest_version = (
        Statement.select(pw.fn.MAX(Statement.version))
        .where((Statement.customer == customer_id) & (Statement.period_start == period_start))
        .scalar()
    )
    version = int(latest_version or 0) + 1
    for old in live:  # overlapping drafts and unconfirmed statements give way to this one
        Statement.update(status="superseded").where(Statement.id == old.id).execute()
    draft = drafts([customer_id], period_start, period_end)[customer_id]
    (statement_id,) = _write(
        [draft],
        period_start,
        period_end,
        versions={customer_id: (version, previous.id if previous else None)},
        actor_id=actor_id,
    )
    return statement_id


def candidates(period_start: dt.date, period_end: dt.date) -> list[int]:
    """Customers a monthly statement goes to: every distributor, and anyone else (not walk-in) who owes
    something or has credit paid ahead; those with nothing open, no credit and no activity in the
    period are then left out."""
    return [
        int(c)
        for (c,) in tuples(
            Customer.select(Customer.id)
            .where(
                (Customer.kind == "distributor")
                | (
                    (Customer.kind != "walk_in")
                    & (
                        (Customer.balance_fen != 0)
                        | Customer.id.in_(
                            AdvanceAccount.select(AdvanceAccount.customer).where(
                                AdvanceAccount.balance_fen != 0
                            )
                        )
                    )
                )
            )
            .order_by(Customer.id)
        )
    ]


def generate_period(
    period_start: dt.date,
    period_end: dt.date,
    customer_ids: Sequence[int] | None = None,
    *,
    send_them: bool = False,
) -> list[int]:
    """Statements for every customer (or those given) with activity in the period or an open balance
    at its end who has none for this period yet, set-based. Safe to run twice. Returns the new ids."""
    ids = list(candidates(period_start, period_end) if customer_ids is None else customer_ids)
    made: list[int] = []
    agings: dict[int, str | None] | None = None  # one aging of the period end, for every chunk
    for chunk in _chunks(ids):
        with transaction():
            # Two runs at once (two workers, a retry) wait for each other here, customer by customer in
            # id order, so the second finds the first's statements and makes none.
            list(
                locked(Customer.select(Customer.id).where(Customer.id.in_(list(chunk))).order_by(Customer.id))
            )
            have = {
                int(c)
                for (c,) in tuples(
                    Statement.select(Statement.customer).where(
                        Statement.customer.in_(list(chunk))
                        & (Statement.period_start <= period_end)
                        & (Statement.period_end >= period_start)
                        & (Statement.status != "superseded")
                    )
                )
            }
            wanted = [c for c in chunk if c not in have]
            batch = [
                d
                for d in drafts(wanted, period_start, period_end).values()
                if d.lines or d.opening_fen != 0 or d.advance_fen != 0
            ]
            if batch and agings is None:
                agings = _aging_at(ids, period_end)
            new_ids = _write(batch, period_start, period_end, agings=agings)
            if send_them:
                for statement_id in new_ids:
                    _send_locked(statement_id)
            made += new_ids
    return made


# ---------------------------------------------------------------- content and its hash


def content(statement: Statement) -> dict[str, Any]:
    """Everything the customer is asked to agree with, in a fixed shape (what the hash covers)."""
    lines = list(
        StatementLine.select().where(StatementLine.statement == statement.id).order_by(StatementLine.seq)
    )
    return {
        "statement_id": statement.id,
        "customer_id": statement.customer_id,
        "period_start": _date(statement.period_start).isoformat(),
        "period_end": _date(statement.period_end).isoformat(),
        "version": statement.version,
        "opening_fen": statement.opening_fen,
        "debit_fen": statement.debit_fen,
        "credit_fen": statement.credit_fen,
        "closing_fen": statement.closing_fen,
        "aging": json.loads(statement.aging) if statement.aging else None,
        # Only when there is any: statements confirmed before it was stated keep the hash they had.
        **({"advance_fen": statement.advance_fen} if statement.advance_fen else {}),
        "lines": [
            [
                line.seq,
                line.entry_id,
                _date(line.on_date).isoformat(),
                line.kind,
                line.invoice_id,
                line.order_id,
                line.description,
                line.amount_fen,
                line.balance_fen,
            ]
            for line in lines
        ],
    }


def content_hash(statement: Statement) -> str:
    text = json.dumps(content(statement), ensure_ascii=False, sort_keys=True, separators=(",", ":"))
    return hashlib.sha256(text.encode()).hexdigest()


# ---------------------------------------------------------------- reading


def get(statement_id: int) -> Statement:
    found = Statement.get_or_none(Statement.id == statement_id)
    if found is None:
        raise StatementNotFound(details={"statement_id": statement_id})
    return found


def customer_statement(statement_id: int, customer_id: int) -> Statement:
    """The customer's own statement, once sent; anyone else's (or a draft) is a 404."""
    found = Statement.get_or_none(
        (Statement.id == statement_id)
        & (Statement.customer == customer_id)
        & Statement.status.in_(VISIBLE_TO_CUSTOMER)
    )
    if found is None:
        raise StatementNotFound(details={"statement_id": statement_id})
    return found


def lines_of(statement_id: int) -> list[StatementLine]:
    return list(
        StatementLine.select().where(StatementLine.statement == statement_id).order_by(StatementLine.seq)
    )


def disputes_of(statement_id: int) -> list[StatementDispute]:
    return list(
        StatementDispute.select()
        .where(StatementDispute.statement == statement_id)
        .order_by(StatementDispute.id)
    )


def newer_version(statement: Statement) -> int | None:
    found = Statement.select(Statement.id).where(Statement.supersedes == statement.id).first()
    return found.id if found else None


# ---------------------------------------------------------------- sending and reminding


def send(statement_id: int, *, actor_id: int | None = None) -> Statement:
    """Make a draft visible to the customer and message them (after commit). Sending again a statement
    already sent is a 409; so is sending a confirmed or superseded one."""
    with transaction():
        statement = locked(Statement.select().where(Statement.id == statement_id)).first()
        if statement is None:
            raise StatementNotFound(details={"statement_id": statement_id})
        if statement.status != "draft":
            raise StatementNotOpen(details={"status": statement.status})
        _send_locked(statement_id)
        audit.record(actor_id, "statement.send", "statement", statement_id)
    return Statement.get_by_id(statement_id)


def _send_locked(statement_id: int) -> None:
    Statement.update(status="sent", sent_at=clock.now()).where(
        (Statement.id == statement_id) & (Statement.status == "draft")
    ).execute()
    _notice(statement_id, "send", 1)


def _notice(statement_id: int, purpose: str, number: int) -> None:
    notice_id = (
        StatementNotice.insert(statement=statement_id, purpose=purpose, number=number)
        .on_conflict_ignore()
        .execute()
    )
    if notice_id:
        enqueue(
            "receivables.statement_notice",
            {"notice_id": int(notice_id)},
            dedupe_key=f"statement-notice:{statement_id}:{purpose}:{number}",
        )


def remind_days() -> int:
    try:
        return int(runtime.settings().statement_remind_days)
    except RuntimeError:
        return DEFAULT_REMIND_DAYS


def remind(now: dt.datetime | None = None) -> int:
    """Remind each statement sent and still unconfirmed `statement_remind_days` merchant days after it
    was sent (or last reminded), at most MAX_REMINDERS times. Safe to run any number of times a day."""
    now = now or clock.now()
    # Sent (or reminded) on a day at least N days before today.
    cutoff = clock.day_bounds(clock.business_date(now) - dt.timedelta(days=remind_days() - 1))[0]
    due = list(
        Statement.select(Statement.id, Statement.reminders).where(
            (Statement.status == "sent")
            & (Statement.reminders < MAX_REMINDERS)
            & (Statement.sent_at < cutoff)
            & (Statement.last_reminded_at.is_null() | (Statement.last_reminded_at < cutoff))
        )
    )
    done = 0
    for chunk_start in range(0, len(due), BATCH):
        with transaction():
            for row in due[chunk_start : chunk_start + BATCH]:
                moved = (
                    Statement.update(reminders=Statement.reminders + 1, last_reminded_at=now)
                    .where(
                        (Statement.id == row.id)
                        & (Statement.status == "sent")
                        & (Statement.reminders == row.reminders)
                    )
                    .execute()
                )
                if moved:
                    _notice(row.id, "remind", row.reminders + 1)
                    done += 1
    return done


def _finish(notice_id: int, status: str, **values: Any) -> None:
    with transaction():
        StatementNotice.update(status=status, **values).where(
            (StatementNotice.id == notice_id) & (StatementNotice.status == "queued")
        ).execute()


@job("receivables.statement_notice", delivery=AT_MOST_ONCE)
def send_notice(payload: dict[str, Any]) -> None:
    """A WeChat subscribe message: your statement for the period, its closing balance, please confirm.
    Not sent once the statement is confirmed (a reminder) or superseded."""
    notice = StatementNotice.get_or_none(StatementNotice.id == int(payload["notice_id"]))
    if notice is None or notice.status != "queued":
        return
    statement = Statement.get_by_id(notice.statement_id)
    if statement.status not in ("sent", "disputed") or (
        notice.purpose == "remind" and statement.status != "sent"
    ):
        _finish(notice.id, "stopped")
        return
    openid = subscribe_messages.openid_of_user(Customer.get_by_id(statement.customer_id).user_id)
    if openid is None:
        _finish(notice.id, "no_wechat")
        return
    period = f"{_date(statement.period_start).isoformat()}至{_date(statement.period_end).isoformat()}"
    data = {
        "thing1": {"value": ("对账单待确认" if notice.purpose == "send" else "对账单提醒")[:20]},
        "time2": {"value": period[:32]},
        "amount3": {"value": f"{format_yuan(statement.closing_fen)}元"},
        "thing4": {"value": "请核对并确认"},
    }
    answer = subscribe_messages.send(
        openid,
        subscribe_messages.template_id("template_statement", "TPL_STATEMENT"),
        data,
        page=f"pages/statement/detail?id={statement.id}",
    )
    if answer.status != "sent":
        _finish(notice.id, answer.status, errcode=answer.errcode)
        return
    _finish(notice.id, "sent", msgid=answer.msgid, sent_at=clock.now())


# ---------------------------------------------------------------- the customer's answer


def _locked_own(statement_id: int, customer_id: int) -> Statement:
    statement = locked(
        Statement.select().where(
            (Statement.id == statement_id)
            & (Statement.customer == customer_id)
            & Statement.status.in_(VISIBLE_TO_CUSTOMER)
        )
    ).first()
    if statement is None:
        raise StatementNotFound(details={"statement_id": statement_id})
    return statement


def _refuse_closed(statement: Statement) -> None:
    if statement.status == "confirmed":
        raise StatementAlreadyConfirmed(details={"statement_id": statement.id})
    if statement.status == "superseded":
        raise StatementSuperseded(
            details={"statement_id": statement.id, "newer_statement_id": newer_version(statement)}
        )


def confirm(statement_id: int, customer_id: int, *, user_id: int | None, via: str) -> Statement:
    """The customer agrees: the statement is frozen with the hash of its content. Someone else's is a
    404; a confirmed, superseded or disputed one a 409; nothing changes then."""
    with transaction():
        statement = _locked_own(statement_id, customer_id)
        _refuse_closed(statement)
        if statement.status != "sent":
            raise StatementNotOpen(
                "This statement has open disputes; the merchant will send a corrected version",
                "该对账单有未处理的争议，商家处理后会发送新版本",
                details={"status": statement.status},
            )
        digest = content_hash(statement)
        moved = (
            Statement.update(
                status="confirmed",
                content_hash=digest,
                confirmed_at=clock.now(),
                confirmed_by=user_id,
                confirmed_via=via,
            )
            .where((Statement.id == statement_id) & (Statement.status == "sent"))
            .execute()
        )
        if moved != 1:
            raise StatementAlreadyConfirmed(details={"statement_id": statement_id})
        audit.record(user_id, "statement.confirm", "statement", statement_id, via=via, content_hash=digest)
    return Statement.get_by_id(statement_id)


def dispute(
    statement_id: int, customer_id: int, line_ids: Sequence[int], note: str, *, user_id: int | None, via: str
) -> list[StatementDispute]:
    """The customer disagrees with some lines, saying why. Lines of another statement, a line already
    disputed, an empty note: 422; a confirmed or superseded statement: 409; nothing changes then."""
    note = (note or "").strip()
    wanted = list(dict.fromkeys(int(i) for i in line_ids))
    if not wanted or len(wanted) > 100 or not note or len(note) > MAX_NOTE:
        raise InvalidDispute(details={"lines": len(wanted), "note_length": len(note)})
    with transaction():
        statement = _locked_own(statement_id, customer_id)
        _refuse_closed(statement)
        found = {
            int(i)
            for (i,) in tuples(
                StatementLine.select(StatementLine.id).where(
                    (StatementLine.statement == statement_id) & StatementLine.id.in_(wanted)
                )
            )
        }
        already = {
            int(i)
            for (i,) in tuples(
                StatementDispute.select(StatementDispute.line).where(
                    (StatementDispute.statement == statement_id) & StatementDispute.line.in_(wanted)
                )
            )
        }
        if found != set(wanted) or already:
            raise InvalidDispute(
                details={"unknown_lines": sorted(set(wanted) - found), "already_disputed": sorted(already)}
            )
        now = clock.now()
        for line_id in wanted:
            StatementDispute.insert(
                statement=statement_id,
                line=line_id,
                note=note,
                raised_by=user_id,
                raised_via=via,
                created_at=now,
            ).execute()
        Statement.update(status="disputed").where(Statement.id == statement_id).execute()
        audit.record(
            user_id, "statement.dispute", "statement", statement_id, lines=wanted, note=note, via=via
        )
    return disputes_of(statement_id)


# ---------------------------------------------------------------- staff resolve


@dataclass(frozen=True)
class Resolution:
    dispute: StatementDispute
    approval_id: int | None = None  # the adjustment waits for the owner's approval
    new_statement: Statement | None = None  # every dispute decided: the new version, sent


def _adjustment_entry(adjustment: Adjustment) -> int | None:
    """The receivable entry an adjustment posted (written just before its row)."""
    found = (
        ArEntry.select(ArEntry.id)
        .where(
            (ArEntry.invoice == adjustment.invoice_id)
            & (ArEntry.kind == "adjustment")
            & (ArEntry.amount_fen == adjustment.amount_fen)
            & (ArEntry.created_at <= adjustment.created_at)
        )
        .order_by(ArEntry.id.desc())
        .first()
    )
    return found.id if found else None


def resolve(
    dispute_id: int,
    *,
    actor_id: int,
    action: str,
    amount_fen: int | None = None,
    direction: str = "lower",
    note: str = "",
) -> Resolution:
    """Staff decide a dispute: `adjust` (an adjustment of `amount_fen` on the disputed line's invoice,
    kind dispute_settlement, through the adjustments service and its approval threshold) or `reject`
    (with a note). When no dispute of the statement is left open, its new version is made and sent."""
    note = (note or "").strip()
    if (
        action not in ("adjust", "reject")
        or len(note) > MAX_NOTE
        or (action == "reject" and not note)
        or (action == "adjust" and amount_fen is None)
    ):
        raise InvalidDispute(details={"action": action, "amount_fen": amount_fen})
    with transaction():
        row = locked(StatementDispute.select().where(StatementDispute.id == dispute_id)).first()
        if row is None:
            raise DisputeNotFound(details={"dispute_id": dispute_id})
        statement = locked(Statement.select().where(Statement.id == row.statement_id)).first()
        if row.status != "open" or statement.status != "disputed":
            raise DisputeAlreadyDecided(details={"dispute_id": dispute_id, "status": row.status})
        line = StatementLine.get_by_id(row.line_id)
        approval_id = None
        if action == "adjust":
            outcome = adjustments.adjust(
                line.invoice_id,
                "dispute_settlement",
                int(amount_fen or 0),
                note or f"对账争议 #{row.id}: {row.note}"[:MAX_NOTE],
                actor_id=actor_id,
                direction=direction,
                source_type="statement_dispute",
                source_id=row.id,
            )
            if outcome.adjustment is None:
                approval_id = outcome.approval.id if outcome.approval is not None else None
                audit.record(
                    actor_id,
                    "statement.dispute_pending",
                    "statement_dispute",
                    row.id,
                    approval_id=approval_id,
                )
                return Resolution(row, approval_id=approval_id)
            StatementDispute.update(
                status="resolved",
                resolved_by=actor_id,
                resolved_at=clock.now(),
                resolution_note=note,
                adjustment_id=outcome.adjustment.id,
                adjustment_entry=_adjustment_entry(outcome.adjustment),
            ).where(StatementDispute.id == row.id).execute()
        else:
            StatementDispute.update(
                status="rejected", resolved_by=actor_id, resolved_at=clock.now(), resolution_note=note
            ).where(StatementDispute.id == row.id).execute()
        audit.record(actor_id, "statement.dispute_" + action, "statement_dispute", row.id, note=note)
        new_statement = _next_version_if_decided(statement, actor_id)
    return Resolution(StatementDispute.get_by_id(row.id), new_statement=new_statement)


def settle_approved(dispute_id: int, *, actor_id: int) -> Resolution:
    """A dispute whose adjustment waited for the owner: once approved, record it like `resolve` does."""
    with transaction():
        row = locked(StatementDispute.select().where(StatementDispute.id == dispute_id)).first()
        if row is None:
            raise DisputeNotFound(details={"dispute_id": dispute_id})
        if row.status != "open":
            raise DisputeAlreadyDecided(details={"dispute_id": dispute_id, "status": row.status})
        adjustment = (
            Adjustment.select()
            .where((Adjustment.source_type == "statement_dispute") & (Adjustment.source_id == row.id))
            .first()
        )
        if adjustment is None:
            raise DisputeAlreadyDecided(
                "The adjustment is not approved yet",
                "调整尚未批准",
                code="statement_dispute_pending",
                status=409,
            )
        StatementDispute.update(
            status="resolved",
            resolved_by=actor_id,
            resolved_at=clock.now(),
            adjustment_id=adjustment.id,
            adjustment_entry=_adjustment_entry(adjustment),
        ).where(StatementDispute.id == row.id).execute()
        statement = locked(Statement.select().where(Statement.id == row.statement_id)).first()
        new_statement = _next_version_if_decided(statement, actor_id)
    return Resolution(StatementDispute.get_by_id(row.id), new_statement=new_statement)


def _next_version_if_decided(statement: Statement, actor_id: int | None) -> Statement | None:
    still_open = (
        StatementDispute.select()
        .where((StatementDispute.statement == statement.id) & (StatementDispute.status == "open"))
        .exists()
    )
    if still_open:
        return None
    start, end = _date(statement.period_start), _date(statement.period_end)
    new_id = _generate_locked(statement.customer_id, start, end, actor_id=actor_id)
    _send_locked(new_id)
    audit.record(actor_id, "statement.new_version", "statement", new_id, supersedes=statement.id)
    return Statement.get_by_id(new_id)


# ---------------------------------------------------------------- signed links


def _link_key() -> bytes:
    secret = runtime.settings().secret_key
    return hmac.new(secret.encode(), b"yecai statement link v1", hashlib.sha256).digest()


def _signature(statement_id: int, expires: int) -> str:
    mac = hmac.new(_link_key(), f"{statement_id}.{expires}".encode(), hashlib.sha256).digest()
    return base64.urlsafe_b64encode(mac).decode().rstrip("=")


def link_days() -> int:
    try:
        return int(runtime.settings().statement_link_days)
    except RuntimeError:
        return DEFAULT_LINK_DAYS


def link_token(statement_id: int, *, days: int | None = None) -> str:
    expires = int((clock.now() + dt.timedelta(days=days or link_days())).replace(tzinfo=dt.UTC).timestamp())
    return f"{statement_id}.{expires}.{_signature(statement_id, expires)}"


def link_url(statement_id: int) -> str:
    base = runtime.settings().public_base_url.rstrip("/")
    return f"{base}/m/s/{link_token(statement_id)}"


def statement_of_link(token: str) -> Statement:
    """The statement a signed link names: a tampered token is a 404, an expired one a 403."""
    parts = (token or "").split(".")
    if len(parts) != 3 or not parts[0].isdigit() or not parts[1].isdigit() or len(token) > 200:
        raise StatementLinkInvalid()
    statement_id, expires = int(parts[0]), int(parts[1])
    if statement_id >= 2**63 or not hmac.compare_digest(parts[2], _signature(statement_id, expires)):
        raise StatementLinkInvalid()
    if clock.now().replace(tzinfo=dt.UTC).timestamp() >= expires:
        raise StatementLinkExpired()
    statement = Statement.get_or_none(
        (Statement.id == statement_id) & Statement.status.in_(VISIBLE_TO_CUSTOMER)
    )
    if statement is None:
        raise StatementLinkInvalid()
    return statement


# ---------------------------------------------------------------- the periodic jobs


def monthly(today: dt.date | None = None) -> list[int]:
    """From the 1st (merchant's calendar): last month's statements for every customer with activity or
    an open balance, sent. Runs hourly; a statement already made for that month is not made again."""
    today = today or clock.today()
    start, end = previous_month(today)
    made = generate_period(start, end, send_them=True)
    if made:
        log.info("statements for %s..%s: %d made and sent", start, end, len(made))
    return made


def periodic() -> None:
    """Periodic (hourly): the month's statements (from 02:00 on the 1st, and caught up later), and
    reminders of unconfirmed ones."""
    now = clock.local(clock.now())
    if now.day > 1 or now.hour >= 2:
        monthly(now.date())
    remind()


@invariant("statements: every confirmed statement still matches the hash of what was confirmed")
def confirmed_statements_unchanged() -> list[str]:
    problems = []
    for statement in Statement.select().where(Statement.status == "confirmed"):
        if statement.content_hash != content_hash(statement):
            problems.append(f"confirmed statement {statement.id} no longer matches its hash")
    return problems


def actor_name(user_id: int | None) -> str | None:
    if user_id is None:
        return None
    user = User.get_or_none(User.id == user_id)
    return (user.display_name or user.username) if user else None
