"""Invariants of payments, run by `yecai check`."""

from __future__ import annotations

import peewee as pw

from backend.checks import invariant
from backend.ledger.services import account_balance, tuples
from backend.receivables.models import Payment
from payments.models import WECHAT_METHODS, PaymentRecord, RefundRecord, WechatNotification
from payments.services import PREPAYMENTS


@invariant("payments: every succeeded WeChat payment is captured in the spine exactly once, and back")
def wechat_payments_captured_once() -> list[str]:
    problems = []
    succeeded = {
        r.transaction_id: r
        for r in PaymentRecord.select().where(
            (PaymentRecord.method.in_(WECHAT_METHODS)) & (PaymentRecord.status == "succeeded")
        )
    }
    booked = {
        p.reference: p
        for p in Payment.select().where((Payment.method == "wechat") & (Payment.direction == "in"))
    }
    for transaction_id, record in succeeded.items():
        money = booked.get(transaction_id or "")
        if record.outcome == "captured":
            if money is None:
                problems.append(f"payment {record.out_trade_no} succeeded but is not in receivables")
            elif money.amount_fen != record.amount_fen or money.order_id != record.order_id:
                problems.append(
                    f"payment {record.out_trade_no}: receivables has {money.amount_fen} fen for order "
                    f"{money.order_id}, the record {record.amount_fen} fen for order {record.order_id}"
                )
        elif record.outcome == "late_refund":
            if money is not None:
                problems.append(f"late payment {record.out_trade_no} is both held for refund and captured")
        else:
            problems.append(f"payment {record.out_trade_no} succeeded but its money went nowhere")
    for reference in booked:
        if reference not in succeeded:
            problems.append(f"receivables WeChat payment {reference} has no succeeded payment record")
    return problems


@invariant("payments: no payment applied twice")
def no_payment_applied_twice() -> list[str]:
    twice = tuples(
        WechatNotification.select(WechatNotification.transaction_id, pw.fn.COUNT(WechatNotification.id))
        .where(
            (WechatNotification.outcome == "applied")
            & (WechatNotification.event_type == "TRANSACTION.SUCCESS")
        )
        .group_by(WechatNotification.transaction_id)
        .having(pw.fn.COUNT(WechatNotification.id) > 1)
    )
    return [f"transaction {tid} was applied by {n} notifications" for tid, n in twice]


@invariant("payments: refunds never exceed the payment and are booked once")
def refunds_within_payment() -> list[str]:
    problems = []
    live = tuples(
        RefundRecord.select(RefundRecord.payment, pw.fn.SUM(RefundRecord.amount_fen))
        .where(RefundRecord.status.in_(("requested", "processing", "succeeded")))
        .group_by(RefundRecord.payment)
    )
    for payment_id, total in live:
        payment = PaymentRecord.get_by_id(payment_id)
        if int(total) > payment.amount_fen:
            problems.append(
                f"payment {payment.out_trade_no}: refunds of {total} fen exceed {payment.amount_fen}"
            )
    done = tuples(
        RefundRecord.select(RefundRecord.payment, pw.fn.SUM(RefundRecord.amount_fen))
        .where(RefundRecord.status == "succeeded")
        .group_by(RefundRecord.payment)
    )
    done_by_payment = {int(p): int(t) for p, t in done}
    for payment in PaymentRecord.select().where(PaymentRecord.refunded_fen != 0):
        if done_by_payment.get(payment.id, 0) != payment.refunded_fen:
            problems.append(f"payment {payment.out_trade_no}: refunded_fen differs from its refunds")
    for refund in RefundRecord.select().where(
        (RefundRecord.status == "succeeded") & (RefundRecord.reason == "order")
    ):
        out = Payment.get_or_none(Payment.reference == refund.out_refund_no)
        if out is None or out.amount_fen != refund.amount_fen or out.direction != "out":
            problems.append(
                f"refund {refund.out_refund_no} succeeded at WeChat but is not booked in receivables"
            )
    return problems


@invariant("payments: account 2203 holds exactly the late payments not yet refunded and stored value")
def late_payments_held() -> list[str]:
    held = 0
    for record in PaymentRecord.select().where(PaymentRecord.outcome == "late_refund"):
        held += record.amount_fen - record.refunded_fen
    # Members' stored-value balances are prepayments too (store/members.py).
    from store.shop_models import MemberAccount

    stored = int(
        MemberAccount.select(pw.fn.COALESCE(pw.fn.SUM(MemberAccount.stored_value_fen), 0)).scalar() or 0
    )
    # Customers' unapplied credit on account (backend/receivables/advances.py), checked per customer
    # against its own vouchers by receivables.
    from backend.receivables.models import AdvanceAccount

    advances = int(
        AdvanceAccount.select(pw.fn.COALESCE(pw.fn.SUM(AdvanceAccount.balance_fen), 0)).scalar() or 0
    )
    booked = -account_balance(PREPAYMENTS)  # a liability: credit balance
    if booked != held + stored + advances:
        return [
            f"account 2203 shows {booked} fen held but late payments awaiting refund sum to {held} fen,"
            f" stored value to {stored} fen and customers' unapplied credit to {advances} fen"
        ]
    return []


@invariant("payments: every succeeded top-up is credited to the balance and booked once")
def top_ups_credited() -> list[str]:
    from backend.ledger.models import JournalEntry
    from payments.models import TopUp
    from store.shop_models import StoredValueEntry

    problems = []
    credited = {
        e.reference: e.amount_fen for e in StoredValueEntry.select().where(StoredValueEntry.kind == "top_up")
    }
    booked = {
        int(e.source_id or 0)
        for e in JournalEntry.select(JournalEntry.source_id).where(
            (JournalEntry.source_type == "top_up") & (JournalEntry.event == "stored_value.top_up")
        )
    }
    succeeded = list(TopUp.select().where(TopUp.status == "succeeded"))
    for record in succeeded:
        if credited.get(f"topup:{record.transaction_id}") != record.amount_fen:
            problems.append(f"top-up {record.out_trade_no} succeeded but is not credited to the balance")
        if record.id not in booked:
            problems.append(f"top-up {record.out_trade_no} succeeded but is not in the journal")
    if len(credited) != len(succeeded):
        problems.append(f"{len(credited)} top-up entries in the balance ledger for {len(succeeded)} top-ups")
    return problems
