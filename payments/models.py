"""Payment processing records: one row per attempt to collect money, per refund, per WeChat message.

These are the *processing* side (a state machine against WeChat, cash or a transfer). The money
itself lands in the spine (receivables `Payment`, the journal) through `store.services` once a
record succeeds, so the spine never needs to know about WeChat.

    PaymentRecord.status: created -> pending -> succeeded | failed | closed | reversed
    RefundRecord.status:  requested -> processing -> succeeded | failed

Times are naive UTC. `wechat_success_time` is WeChat's own success time (the trade bill groups
rows by it, in China time), kept apart from our `succeeded_at`.
"""

from __future__ import annotations

import peewee as pw

from backend import clock
from backend.db import BaseModel
from backend.kernel.models import Customer, Order
from backend.receivables.models import Invoice

WECHAT_METHODS = ("wechat_jsapi", "wechat_native", "wechat_codepay")
METHODS = (*WECHAT_METHODS, "cash", "bank_transfer")
PAYMENT_STATUSES = ("created", "pending", "succeeded", "failed", "closed", "reversed")
OPEN_STATUSES = ("created", "pending")
# What became of the money of a succeeded payment.
OUTCOMES = ("", "captured", "late_refund")
REFUND_STATUSES = ("requested", "processing", "succeeded", "failed")
REFUND_REASONS = ("order", "late_payment")


class PaymentRecord(BaseModel):
    out_trade_no = pw.CharField(max_length=32, unique=True)
    method = pw.CharField(max_length=16)
    order = pw.ForeignKeyField(Order, null=True, backref="payment_records", on_delete="RESTRICT")
    invoice = pw.ForeignKeyField(Invoice, null=True, on_delete="RESTRICT")
    customer = pw.ForeignKeyField(Customer, on_delete="RESTRICT")
    amount_fen = pw.BigIntegerField()
    status = pw.CharField(max_length=12, default="created", index=True)
    outcome = pw.CharField(max_length=12, default="")
    transaction_id = pw.CharField(max_length=32, null=True, unique=True)
    payer_openid = pw.CharField(max_length=64, null=True)
    prepay_id = pw.CharField(max_length=64, null=True)
    code_url = pw.CharField(max_length=255, null=True)
    refunded_fen = pw.BigIntegerField(default=0)  # cache: succeeded refunds, moved in SQL
    created_by = pw.IntegerField(null=True)  # user id
    last_error = pw.CharField(max_length=255, default="")
    created_at = pw.DateTimeField(default=clock.now)
    updated_at = pw.DateTimeField(default=clock.now)
    succeeded_at = pw.DateTimeField(null=True)
    wechat_success_time = pw.DateTimeField(null=True)
    closed_at = pw.DateTimeField(null=True)

    class Meta:
        table_name = "payment_record"
        # A staff member's shift takings (payments/shifts.py) read their payments by time.
        indexes = ((("created_by", "succeeded_at"), False),)
        constraints = [
            pw.Check("amount_fen > 0"),
            pw.Check("refunded_fen >= 0 AND refunded_fen <= amount_fen"),
            pw.Check("order_id IS NOT NULL OR invoice_id IS NOT NULL"),
            pw.Check("status IN ('created', 'pending', 'succeeded', 'failed', 'closed', 'reversed')"),
        ]


class RefundRecord(BaseModel):
    out_refund_no = pw.CharField(max_length=64, unique=True)
    payment = pw.ForeignKeyField(PaymentRecord, backref="refunds", on_delete="RESTRICT")
    order = pw.ForeignKeyField(Order, null=True, on_delete="RESTRICT")
    amount_fen = pw.BigIntegerField()
    reason = pw.CharField(max_length=16)  # order | late_payment
    status = pw.CharField(max_length=12, default="requested", index=True)
    refund_id = pw.CharField(max_length=64, null=True, unique=True)
    requested_by = pw.IntegerField(null=True)
    last_error = pw.CharField(max_length=255, default="")
    created_at = pw.DateTimeField(default=clock.now)
    completed_at = pw.DateTimeField(null=True)
    wechat_success_time = pw.DateTimeField(null=True)

    class Meta:
        table_name = "refund_record"
        constraints = [
            pw.Check("amount_fen > 0"),
            pw.Check("status IN ('requested', 'processing', 'succeeded', 'failed')"),
        ]


class WechatNotification(BaseModel):
    """One verified WeChat notification (by its `id`), how often it came and what we did with it."""

    notification_id = pw.CharField(max_length=64, unique=True)
    event_type = pw.CharField(max_length=32)
    out_trade_no = pw.CharField(max_length=32, default="", index=True)
    out_refund_no = pw.CharField(max_length=64, default="")
    transaction_id = pw.CharField(max_length=32, default="")
    amount_fen = pw.BigIntegerField(null=True)
    # applied | duplicate | refused_amount | refused_merchant | unknown | ignored
    outcome = pw.CharField(max_length=20)
    detail = pw.CharField(max_length=255, default="")
    deliveries = pw.IntegerField(default=1)
    received_at = pw.DateTimeField(default=clock.now)
    last_received_at = pw.DateTimeField(default=clock.now)

    class Meta:
        table_name = "wechat_notification"


class ReconciliationReport(BaseModel):
    bill_date = pw.DateField(unique=True)  # China date of WeChat's trade bill
    wechat_rows = pw.IntegerField(default=0)
    our_rows = pw.IntegerField(default=0)
    wechat_paid_fen = pw.BigIntegerField(default=0)
    wechat_refunded_fen = pw.BigIntegerField(default=0)
    difference_count = pw.IntegerField(default=0)
    ran_at = pw.DateTimeField(default=clock.now)

    class Meta:
        table_name = "reconciliation_report"


class ReconciliationDifference(BaseModel):
    report = pw.ForeignKeyField(ReconciliationReport, backref="differences", on_delete="CASCADE")
    # missing_ours | missing_wechat | amount_mismatch | status_mismatch | ledger_mismatch
    kind = pw.CharField(max_length=20)
    out_trade_no = pw.CharField(max_length=32, default="")
    out_refund_no = pw.CharField(max_length=64, default="")
    wechat_amount_fen = pw.BigIntegerField(null=True)
    our_amount_fen = pw.BigIntegerField(null=True)
    wechat_status = pw.CharField(max_length=16, default="")
    our_status = pw.CharField(max_length=16, default="")
    detail = pw.CharField(max_length=255, default="")

    class Meta:
        table_name = "reconciliation_difference"


class TopUp(BaseModel):
    """A member's stored-value top-up through WeChat Pay (JSAPI): created -> pending -> succeeded |
    closed. Its own record (not a PaymentRecord) because it pays for no order or invoice."""

    out_trade_no = pw.CharField(max_length=32, unique=True)
    customer = pw.ForeignKeyField(Customer, on_delete="RESTRICT")
    amount_fen = pw.BigIntegerField()
    status = pw.CharField(max_length=12, default="created", index=True)
    transaction_id = pw.CharField(max_length=32, null=True, unique=True)
    payer_openid = pw.CharField(max_length=64)
    prepay_id = pw.CharField(max_length=64, null=True)
    created_by = pw.IntegerField(null=True)
    created_at = pw.DateTimeField(default=clock.now)
    succeeded_at = pw.DateTimeField(null=True)

    class Meta:
        table_name = "top_up"
        constraints = [pw.Check("amount_fen > 0")]


class PaymentAllocation(BaseModel):
    """What one WeChat payment for several invoices (or part of one) is to pay on each, as the
    distributor chose it. The record's own `invoice` is the first of them. Applied once, when WeChat
    says the payment succeeded: each invoice takes at most what it still has open then, and what it
    can no longer take is kept as the customer's credit."""

    payment = pw.ForeignKeyField(PaymentRecord, backref="allocations", on_delete="RESTRICT")
    invoice = pw.ForeignKeyField(Invoice, on_delete="RESTRICT")
    amount_fen = pw.BigIntegerField()

    class Meta:
        table_name = "payment_allocation"
        indexes = ((("payment", "invoice"), True),)
        constraints = [pw.Check("amount_fen > 0")]
