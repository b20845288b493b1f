"""Dunning by WeChat subscribe message through the sandbox: each step once per invoice however often
the night runs, stopped once paid, WeChat's refusals kept as they are (not subscribed, quota) and
handed to a person; the staff collection list, promises to pay kept and broken; the owner's digest."""

from __future__ import annotations

import datetime as dt
import uuid
from typing import Any

from backend import clock
from backend.auth.models import WechatIdentity
from backend.db import transaction
from backend.receivables.credit import collection_list, digest, dunning
from backend.receivables.credit.models import DunningStep, PromiseToPay
from backend.receivables.models import Invoice
from store import catalog, on_account
from store import services as sales
from tests.credit.conftest import Books, breaks, post


def noon(day: dt.date) -> dt.datetime:
    return dt.datetime.combine(day, dt.time(4, 0))


def wechat_distributor(make_user: Any, openid: str) -> Any:
    """A distributor with a WeChat login; `openid` is made unique, the sandbox lives for the whole run."""
    user = make_user("distributor")
    openid = f"{openid}-{uuid.uuid4().hex[:8]}"
    WechatIdentity.create(openid=openid, user=user)
    customer = catalog.create_customer(
        "distributor", f"微信客户 {openid}", user_id=user.id, credit_limit_fen=100_000, payment_terms_days=30
    )
    customer.openid = openid
    return customer


def night(day: dt.date, drain: Any) -> None:
    clock.travel_to(noon(day))
    dunning.plan(day)
    dunning.plan(day)  # a second run the same night writes nothing more
    drain()


def statuses(invoice_id: int) -> list[tuple[int, str, str]]:
    return [
        (s.offset_days, s.channel, s.status)
        for s in DunningStep.select().where(DunningStep.invoice == invoice_id).order_by(DunningStep.id)
    ]


def test_each_step_once_refusals_honest_and_a_person_at_the_end(
    books: Books, make_user: Any, wechat_sandbox: Any, drain_jobs: Any
) -> None:
    customer = wechat_distributor(make_user, "o-dunning-1")
    wechat_sandbox.subscribe(customer.openid, "TPL_DUNNING", count=2)  # two taps, two messages
    start = dt.date(2026, 4, 1)
    clock.travel_to(noon(start))
    order = sales.sell_on_account(customer.id, [(books.sku.id, 2)], channel="distributor")
    invoice = Invoice.get(Invoice.order == order.id)
    assert invoice.due_on == dt.date(2026, 5, 1)
    due = invoice.due_on
    for offset in (-5, -3, -2, 0, 1, 6, 7, 15, 16, 29, 30, 31):  # the nights around each step
        night(due + dt.timedelta(days=offset), drain_jobs)
    assert statuses(invoice.id) == [
        (-3, "wechat", "sent"),
        (0, "wechat", "sent"),
        (7, "wechat", "not_subscribed"),
        (15, "wechat", "not_subscribed"),
        (30, "wechat", "not_subscribed"),
        (30, "person", "open"),
    ]
    sent = [m for m in wechat_sandbox.state.sent_messages if m.touser == customer.openid]
    assert [(m.data["amount2"]["value"], m.data["thing4"]["value"]) for m in sent] == [
        ("22.60元", "3天后到期"),
        ("22.60元", "今天到期"),
    ]
    listed = collection_list.worklist(dt.date(2026, 5, 31))
    assert [(w.customer_id, w.overdue_fen, w.reasons) for w in listed] == [
        (customer.id, 2260, ["escalated", "wechat_refused"])
    ]
    assert breaks() == []


def test_paid_invoices_are_not_reminded(
    books: Books, make_user: Any, wechat_sandbox: Any, drain_jobs: Any
) -> None:
    customer = wechat_distributor(make_user, "o-dunning-2")
    wechat_sandbox.subscribe(customer.openid, "TPL_DUNNING", count=10)
    clock.travel_to(noon(dt.date(2026, 4, 1)))
    first = Invoice.get(
        Invoice.order == sales.sell_on_account(customer.id, [(books.sku.id, 1)], channel="distributor").id
    )
    second = Invoice.get(
        Invoice.order == sales.sell_on_account(customer.id, [(books.sku.id, 1)], channel="distributor").id
    )
    night(dt.date(2026, 4, 28), drain_jobs)  # -3 for both
    on_account.collect(customer.id, 1130, "cash", "pay-first", invoice_ids=[first.id])
    # The second is planned and paid in the same moment, before its message goes out.
    clock.travel_to(noon(dt.date(2026, 5, 1)))
    with transaction():
        dunning.plan(dt.date(2026, 5, 1))
        on_account.collect(customer.id, 1130, "cash", "pay-second", invoice_ids=[second.id])
    drain_jobs()
    for offset in (1, 7, 15, 30, 31):  # every later step's night
        night(dt.date(2026, 5, 1) + dt.timedelta(days=offset), drain_jobs)
    assert statuses(first.id) == [(-3, "wechat", "sent")]
    assert statuses(second.id) == [(-3, "wechat", "sent"), (0, "wechat", "stopped_paid")]
    assert len([m for m in wechat_sandbox.state.sent_messages if m.touser == customer.openid]) == 2
    assert breaks() == []


def test_quota_spent_is_recorded_not_retried(
    books: Books, make_user: Any, wechat_sandbox: Any, drain_jobs: Any
) -> None:
    # WeChat's daily cap on subscribe messages: past it the sandbox answers 45009 whatever grants
    # the customer holds. The step is kept as refused (a person follows up), never sent again.
    customer = wechat_distributor(make_user, "o-dunning-3")
    wechat_sandbox.subscribe(customer.openid, "TPL_DUNNING", count=3)
    clock.travel_to(noon(dt.date(2026, 4, 1)))
    invoice = Invoice.get(
        Invoice.order == sales.sell_on_account(customer.id, [(books.sku.id, 1)], channel="distributor").id
    )
    wechat_sandbox.set_subscribe_quota(0)
    try:
        night(dt.date(2026, 5, 1), drain_jobs)
    finally:
        wechat_sandbox.set_subscribe_quota(None)
    steps = DunningStep.select().where(DunningStep.invoice == invoice.id).order_by(DunningStep.id)
    assert [(s.offset_days, s.status, s.errcode) for s in steps] == [(0, "quota", 45009)]
    assert wechat_sandbox.state.subscriptions[(customer.openid, "TPL_DUNNING")] == 3  # no grant spent

    night(dt.date(2026, 5, 1), drain_jobs)  # the same night again, the cap lifted: nothing is resent
    night(dt.date(2026, 5, 8), drain_jobs)  # the next step goes out as usual
    steps = DunningStep.select().where(DunningStep.invoice == invoice.id).order_by(DunningStep.id)
    assert [(s.offset_days, s.status, s.errcode) for s in steps] == [(0, "quota", 45009), (7, "sent", None)]
    assert len([m for m in wechat_sandbox.state.sent_messages if m.touser == customer.openid]) == 1
    assert breaks() == []


def test_promises_kept_and_broken_on_the_list(client: Any, books: Books, login: Any) -> None:
    clock.travel_to(noon(dt.date(2026, 4, 1)))
    sales.sell_on_account(books.distributor.id, [(books.sku.id, 4)], channel="distributor")  # 4520, due 5-1
    clock.travel_to(noon(dt.date(2026, 5, 10)))
    staff = login(books.staff_user)
    url = f"/api/customers/{books.distributor.id}/collection-notes"
    bad = post(client, url, staff, {"outcome": "promise", "promise_fen": 99_999, "promised_on": "2026-05-12"})
    assert (bad.status_code, bad.json["error"]["code"]) == (422, "invalid_collection_note")
    made = post(
        client,
        url,
        staff,
        {"outcome": "promise", "note": "老板说周二付", "promise_fen": 2000, "promised_on": "2026-05-12"},
    )
    assert made.status_code == 201, made.json
    assert [w.reasons for w in collection_list.worklist(dt.date(2026, 5, 12))] == [["promise_due"]]
    on_account.collect(books.distributor.id, 1000, "cash", "part")  # only half
    clock.travel_to(noon(dt.date(2026, 5, 13)))
    assert collection_list.resolve_promises(dt.date(2026, 5, 13)) == {"kept": 0, "broken": 1}
    listed = client.get("/api/collections/worklist", headers=login(books.staff_user)).json
    assert listed["items"][0]["reasons"] == ["follow_up", "promise_broken"]
    assert (listed["items"][0]["overdue_fen"], listed["total_overdue_fen"]) == (3520, 3520)
    post(client, url, staff, {"outcome": "promise", "promise_fen": 3520, "promised_on": "2026-05-20"})
    on_account.collect(books.distributor.id, 3520, "bank_transfer", "rest")
    assert collection_list.resolve_promises(dt.date(2026, 5, 14)) == {"kept": 1, "broken": 0}
    assert [p.status for p in PromiseToPay.select().order_by(PromiseToPay.id)] == ["broken", "kept"]
    history = client.get(f"/api/customers/{books.distributor.id}/collection-history", headers=staff).json
    assert [n["outcome"] for n in history["notes"]] == ["promise", "promise"]
    body = digest.build(dt.date(2026, 5, 14))
    assert (body["open_fen"], body["overdue_fen"]) == (0, 0)
    assert breaks() == []
