"""Four months of trading on account for the demo, so credit, collections, aging and statements have
something to show: thirteen distributors (the demo login's Hualian Mart among them) restock every
week or two; most pay on their due day, some pay late or in part, two stop paying (their overdue
invoices hold new orders, as the credit check does), and one has promised to pay. The nightly credit
run then scores them, plans the reminders and raises the warnings for today.

Every event goes through the real services at its own date (the clock is moved for the seeding and
put back after), so the books, stock and receivables pass `yecai check`. Runs once, after the
distributors exist.
"""

from __future__ import annotations

import datetime as dt
import random

from backend import clock
from backend.auth.models import User
from backend.errors import DomainError
from backend.kernel.models import Customer
from backend.receivables.credit import collection_list, jobs
from backend.receivables.models import Invoice, Payment
from store import on_account
from store.distribution.models import SkuTradeTerms
from store.services import fulfil_order, sell_on_account

DAYS = 120
SEED = 20261201
# How each distributor pays: on the due day, some days late, half at a time, or not any more.
HABITS = ("on_time", "on_time", "on_time", "late", "on_time", "partial", "late", "on_time", "stopped")
MARKER = "demo-history"


def seed() -> None:
    if Payment.select().where(Payment.reference.startswith(MARKER)).exists():
        return  # written on an earlier start
    dealers = list(
        Customer.select()
        .where((Customer.kind == "distributor") & (Customer.credit_limit_fen > 0))
        .order_by(Customer.id)
        .limit(13)
    )
    # The importer's wines, in whole cases (the shop demo's own drinks and stock are left alone).
    skus = [(t.sku_id, t.case_size) for t in SkuTradeTerms.select().order_by(SkuTradeTerms.sku)]
    if not dealers or not skus:
        return
    rng = random.Random(SEED)
    real_now, today = clock.now(), clock.today()
    start = today - dt.timedelta(days=DAYS)
    events: list[tuple[dt.date, int, str, Customer]] = []
    for n, dealer in enumerate(dealers):
        habit = "stopped" if n in (4, 11) else HABITS[n % len(HABITS)]
        day = start + dt.timedelta(days=rng.randrange(0, 7))
        while day < today:
            events.append((day, 10 + rng.randrange(0, 8), habit, dealer))
            day += dt.timedelta(days=rng.choice((7, 10, 14)))
    events.sort(key=lambda e: (e[0], e[1], e[3].id))
    try:
        for day, hour, _, dealer in events:
            _restock(day, hour, dealer, rng, skus)
        _pay(events, rng, today)
        clock.travel_to(real_now)
        _promise(dealers[3])
        jobs.run_day(clock.today())
    finally:
        clock.reset()


def _at(day: dt.date, hour: int) -> None:
    clock.travel_to(clock.from_local(dt.datetime.combine(day, dt.time(hour, 20))))


def _restock(
    day: dt.date, hour: int, dealer: Customer, rng: random.Random, skus: list[tuple[int, int]]
) -> None:
    _at(day, hour)
    lines = [(sku, case * rng.randrange(1, 4)) for sku, case in rng.sample(skus, 3)]
    try:
        order = sell_on_account(dealer.id, lines, channel="distributor")
    except DomainError:
        return  # held for an overdue invoice, or over the limit: the order is refused, as it would be
    fulfil_order(order.id)


def _pay(events: list[tuple[dt.date, int, str, Customer]], rng: random.Random, today: dt.date) -> None:
    """Each invoice paid as its customer's habit says, in the order the payments arrive."""
    habits = {dealer.id: habit for _, _, habit, dealer in events}
    payments: list[tuple[dt.date, int, int, str]] = []
    for invoice in Invoice.select().where(Invoice.customer.in_(list(habits))).order_by(Invoice.id):
        habit = habits[invoice.customer_id]
        due = invoice.due_on if isinstance(invoice.due_on, dt.date) else dt.date.fromisoformat(invoice.due_on)
        if habit == "stopped" and due >= today - dt.timedelta(days=75):
            continue
        if habit == "on_time":
            payments.append(
                (
                    due - dt.timedelta(days=rng.randrange(0, 3)),
                    invoice.customer_id,
                    invoice.amount_fen,
                    "full",
                )
            )
        elif habit == "late":
            payments.append(
                (
                    due + dt.timedelta(days=rng.randrange(8, 25)),
                    invoice.customer_id,
                    invoice.amount_fen,
                    "full",
                )
            )
        else:  # partial, and the early invoices of those who stopped
            payments.append((due, invoice.customer_id, invoice.amount_fen // 2, "half"))
    payments.sort()
    for n, (day, customer_id, amount, _) in enumerate(payments):
        if day >= today:
            continue
        _at(day, 15)
        owed = Customer.get_by_id(customer_id).balance_fen
        if owed <= 0:
            continue
        method = "bank_transfer" if n % 3 else "cash"
        on_account.collect(customer_id, min(amount, owed), method, f"{MARKER}-{n}")


def _promise(dealer: Customer) -> None:
    """Staff called one customer with something overdue: a promise to pay next week."""
    owed = Customer.get_by_id(dealer.id).balance_fen
    if owed <= 0:
        return
    staff = User.get_or_none(User.username == "staff")
    if staff is None:
        return
    collection_list.record_contact(
        dealer.id,
        staff.id,
        "promise",
        note="老板说下周一转账 The owner will transfer next Monday",
        promise_fen=min(owed, 200_000),
        promised_on=clock.today() + dt.timedelta(days=6),
    )
