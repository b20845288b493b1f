"""Aging as of any past day: a quarter of trading (sales on account, partial payments, credit notes,
counter sales refunded, late interest and its waivers, write-offs and recoveries, adjustments down and
up), each event on its
own business day and at awkward hours (just after and before midnight in Beijing); then, for every day
of the quarter, the aging as of that day equals a brute-force recomputation in Python from every
entry, per customer, per bucket and per invoice, with the default and with custom buckets."""

from __future__ import annotations

import contextlib
import datetime as dt
import os
import random
from collections import defaultdict
from typing import Any

import pytest

from backend import clock
from backend.errors import DomainError
from backend.inventory.services import receive_purchase
from backend.receivables import adjustments, aging
from backend.receivables.credit import interest, writeoffs
from backend.receivables.credit.models import InterestCharge, WriteOff
from backend.receivables.credit.profiles import change_profile
from backend.receivables.errors import InvalidAgingBuckets
from backend.receivables.models import ArEntry, Invoice
from store import catalog, credit_orders, on_account
from store import services as sales
from tests.credit.conftest import Books, breaks

DAYS = int(os.environ.get("YECAI_AGING_DAYS", "91"))
START = dt.date(2026, 1, 1)
# Local (Beijing) times of day events happen at: just after midnight is the previous UTC date.
HOURS = (dt.time(0, 5), dt.time(9, 30), dt.time(15, 0), dt.time(23, 55))


def at(day: dt.date, time: dt.time) -> dt.datetime:
    """A Beijing wall-clock time as stored (naive UTC)."""
    return clock.from_local(dt.datetime.combine(day, time))


def brute_force(as_of: dt.date, boundaries: tuple[int, ...]) -> dict[str, Any]:
    """Independently, in Python: every entry, its business day, its invoice; nothing from SQL sums."""
    invoices = {i.id: i for i in Invoice.select()}
    open_fen: dict[int, int] = defaultdict(int)
    for entry in ArEntry.select():
        invoice = invoices[entry.invoice_id]
        if clock.business_date(entry.created_at) <= as_of and invoice.issued_on <= as_of:
            open_fen[entry.invoice_id] += entry.amount_fen
    keys = [b.key for b in aging.buckets_of(boundaries)]
    customers: dict[int, dict[str, int]] = {}
    totals = dict.fromkeys(keys, 0)
    rows = {}
    for invoice_id, amount in open_fen.items():
        if amount == 0:
            continue
        invoice = invoices[invoice_id]
        late = (as_of - invoice.due_on).days
        key = keys[0] if late <= 0 else keys[-1]
        for i, last in enumerate(boundaries):
            if 0 < late <= last:
                key = keys[i + 1]
                break
        customers.setdefault(invoice.customer_id, dict.fromkeys(keys, 0))[key] += amount
        totals[key] += amount
        rows[invoice_id] = (invoice.customer_id, amount, late, key)
    return {"totals": totals, "customers": customers, "invoices": rows}


def seen(as_of: dt.date, boundaries: tuple[int, ...], **kw: Any) -> dict[str, Any]:
    report = aging.aging(as_of, boundaries=boundaries, **kw)
    rows = aging.invoice_rows(as_of, boundaries=boundaries)
    assert report.open_fen == sum(report.totals.values()) == sum(c.open_fen for c in report.customers)
    assert report.invoices == len(rows)
    return {
        "totals": report.totals,
        "customers": {c.customer_id: c.buckets for c in report.customers},
        "invoices": {r.invoice_id: (r.customer_id, r.open_fen, r.days_overdue, r.bucket) for r in rows},
    }


def trade_a_quarter(books: Books) -> dict[str, int]:
    rng = random.Random(91)
    clock.travel_to(at(START, dt.time(8)))
    receive_purchase(books.sku.id, books.warehouse.id, 10**6, 700, reference="PO-AGING")
    owner = books.owner_user.id
    people = []
    for n, terms in enumerate((10, 30, 45, 30)):
        customer = catalog.create_customer(
            "distributor", f"经销商 {n}", credit_limit_fen=10**9, payment_terms_days=terms
        )
        change_profile(
            customer.id,
            {"limit_fen": 10**9, "late_interest_ppm": 500, "terms_days": terms, "overdue_action": "warn"},
            actor_id=owner,
        )
        people.append(customer.id)
    done: dict[str, int] = defaultdict(int)
    for n in range(DAYS):
        day = START + dt.timedelta(days=n)
        for time in HOURS:
            clock.travel_to(at(day, time))
            for customer_id in people:
                roll = rng.random()
                open_ones = list(
                    Invoice.select()
                    .where((Invoice.customer == customer_id) & (Invoice.open_fen > 0))
                    .order_by(Invoice.id)
                )
                with contextlib.suppress(DomainError):
                    if roll < 0.10:
                        sales.sell_on_account(
                            customer_id, [(books.sku.id, rng.randrange(1, 30))], channel="distributor"
                        )
                        done["sale on account"] += 1
                    elif roll < 0.16 and open_ones:
                        invoice = rng.choice(open_ones)
                        part = rng.choice([invoice.open_fen, max(1, invoice.open_fen // 3)])
                        on_account.collect(
                            customer_id,
                            part,
                            "bank_transfer",
                            f"agepay-{n}-{time}-{invoice.id}",
                            invoice_ids=[invoice.id],
                        )
                        done["payment"] += 1
                    elif roll < 0.17 and open_ones:
                        untouched = [i for i in open_ones if i.open_fen == i.amount_fen and i.order_id]
                        if untouched:
                            sales.cancel_order(rng.choice(untouched).order_id, actor_id=owner)
                            done["credit note (cancelled on account)"] += 1
                    elif roll < 0.18:
                        order = sales.counter_cash_sale(
                            customer_id, [(books.sku.id, 2)], reference=f"agecash-{n}-{time}-{customer_id}"
                        )
                        sales.refund_order(order.id, 1000, reference=f"agerefund-{n}-{time}-{customer_id}")
                        done["counter sale refunded"] += 1
                    elif roll < 0.20 and open_ones:
                        late = [i for i in open_ones if i.due_on < day - dt.timedelta(days=5)]
                        if late:
                            interest.charge_invoice(
                                rng.choice(late).id, day - dt.timedelta(days=1), actor_id=owner
                            )
                            done["interest"] += 1
                    elif roll < 0.205:
                        charge = InterestCharge.select().where(InterestCharge.status != "waived").first()
                        if charge is not None:
                            interest.waive(charge.id, actor_id=owner, reason="老客户")
                            done["interest waived"] += 1
                    elif roll < 0.215 and open_ones:
                        invoice = rng.choice(open_ones)
                        writeoffs.write_off(
                            invoice.id,
                            max(1, invoice.open_fen // 2),
                            rng.choice(["bankrupt", "restructuring"]),
                            "法院裁定书",
                            actor_id=owner,
                        )
                        done["write-off"] += 1
                    elif roll < 0.235 and open_ones:
                        invoice = rng.choice(open_ones)
                        direction = rng.choice(["lower", "raise"])
                        adjustments.adjust(
                            invoice.id,
                            "discount" if direction == "lower" else "price_correction",
                            max(1, invoice.open_fen // 10),
                            "折让" if direction == "lower" else "价格更正",
                            actor_id=owner,
                            direction=direction,
                        )
                        done["adjustment " + direction] += 1
                    elif roll < 0.245:
                        row = WriteOff.select().where(WriteOff.recovered_fen < WriteOff.amount_fen).first()
                        if row is not None:
                            credit_orders.recover_written_off(
                                row.id,
                                max(1, (row.amount_fen - row.recovered_fen) // 2),
                                "cash",
                                f"agerecover-{n}-{time}",
                                actor_id=owner,
                            )
                            done["recovery"] += 1
    return done


def test_aging_as_of_every_day_of_a_quarter_equals_brute_force(books: Books) -> None:
    done = trade_a_quarter(books)
    print(
        f"\n{DAYS} days: {dict(done)}, {Invoice.select().count()} invoices, {ArEntry.select().count()} entries"
    )
    kinds = {k for (k,) in ArEntry.select(ArEntry.kind).distinct().tuples()}
    assert kinds >= {
        "invoice",
        "payment",
        "credit_note",
        "refund",
        "interest",
        "waiver",
        "write_off",
        "recovery",
    }
    assert all(done[k] > 0 for k in ("sale on account", "payment", "write-off", "recovery", "interest")), done
    assert breaks() == []
    last = START + dt.timedelta(days=DAYS - 1)
    checked = 0
    for n in range(-1, DAYS + 1):
        day = START + dt.timedelta(days=n)
        for boundaries in ((30, 60, 90), (7, 14)):
            expected = brute_force(day, boundaries)
            assert seen(day, boundaries) == expected, day
            checked += bool(expected["invoices"])
    assert checked > DAYS  # most days had something open
    # Today: the open_fen cache and the sum of the entries agree (and with the brute force).
    today = clock.today()
    assert today == last
    assert seen(today, (30, 60, 90)) == seen(today, (30, 60, 90), from_entries=True)
    assert seen(today, (30, 60, 90)) == brute_force(today, (30, 60, 90))
    # One customer alone: the same figures as their row among all.
    some = Invoice.select().where(Invoice.open_fen > 0).first().customer_id
    mid = START + dt.timedelta(days=45)
    (alone,) = aging.aging(mid, customer_id=some).customers
    (among,) = [c for c in aging.aging(mid).customers if c.customer_id == some]
    assert alone == among


@pytest.mark.parametrize(
    "text",
    ["0,30", "30,30", "60,30", "-1", "30,,60", "a", "1,2,3,4,5,6,7,8,9", "99999999", "30.5", " , "],
)
def test_bad_buckets_are_refused(text: str) -> None:
    with pytest.raises(InvalidAgingBuckets) as refused:
        aging.parse_boundaries(text)
    assert (refused.value.code, refused.value.status) == ("invalid_buckets", 422)


def test_bucket_names() -> None:
    assert [b.key for b in aging.buckets_of((30, 60, 90))] == ["current", "1_30", "31_60", "61_90", "over_90"]
    assert [b.label_zh for b in aging.buckets_of((7,))] == ["未到期", "1-7天", "7天以上"]
    assert aging.parse_boundaries(None) == aging.parse_boundaries("") == (30, 60, 90)
    assert aging.parse_boundaries(" 15, 45 ") == (15, 45)
