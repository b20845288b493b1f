"""Payments: payment and refund records (the state machine against WeChat), verified WeChat
notifications (dedup and audit), and daily trade-bill reconciliation reports."""

import datetime

from peewee import *


def up(migrator, db):
    class Base(Model):
        class Meta:
            database = db
            legacy_table_names = False

    class Customer(Base):  # frozen references only; created by 0010
        class Meta:
            table_name = "customer"

    class Order(Base):
        class Meta:
            table_name = "sales_order"

    class Invoice(Base):
        class Meta:
            table_name = "invoice"

    class PaymentRecord(Base):
        out_trade_no = CharField(max_length=32, unique=True)
        method = CharField(max_length=16)
        order = ForeignKeyField(Order, null=True, on_delete="RESTRICT")
        invoice = ForeignKeyField(Invoice, null=True, on_delete="RESTRICT")
        customer = ForeignKeyField(Customer, on_delete="RESTRICT")
        amount_fen = BigIntegerField()
        status = CharField(max_length=12, default="created", index=True)
        outcome = CharField(max_length=12, default="")
        transaction_id = CharField(max_length=32, null=True, unique=True)
        payer_openid = CharField(max_length=64, null=True)
        prepay_id = CharField(max_length=64, null=True)
        code_url = CharField(max_length=255, null=True)
        refunded_fen = BigIntegerField(default=0)
        created_by = IntegerField(null=True)
        last_error = CharField(max_length=255, default="")
        created_at = DateTimeField(default=datetime.datetime.now)
        updated_at = DateTimeField(default=datetime.datetime.now)
        succeeded_at = DateTimeField(null=True)
        wechat_success_time = DateTimeField(null=True)
        closed_at = DateTimeField(null=True)

        class Meta:
            table_name = "payment_record"
            constraints = [
                Check("amount_fen > 0"),
                Check("refunded_fen >= 0 AND refunded_fen <= amount_fen"),
                Check("order_id IS NOT NULL OR invoice_id IS NOT NULL"),
                Check("status IN ('created', 'pending', 'succeeded', 'failed', 'closed', 'reversed')"),
            ]

    class RefundRecord(Base):
        out_refund_no = CharField(max_length=64, unique=True)
        payment = ForeignKeyField(PaymentRecord, on_delete="RESTRICT")
        order = ForeignKeyField(Order, null=True, on_delete="RESTRICT")
        amount_fen = BigIntegerField()
        reason = CharField(max_length=16)
        status = CharField(max_length=12, default="requested", index=True)
        refund_id = CharField(max_length=64, null=True, unique=True)
        requested_by = IntegerField(null=True)
        last_error = CharField(max_length=255, default="")
        created_at = DateTimeField(default=datetime.datetime.now)
        completed_at = DateTimeField(null=True)
        wechat_success_time = DateTimeField(null=True)

        class Meta:
            table_name = "refund_record"
            constraints = [
                Check("amount_fen > 0"),
                Check("status IN ('requested', 'processing', 'succeeded', 'failed')"),
            ]

    class WechatNotification(Base):
        notification_id = CharField(max_length=64, unique=True)
        event_type = CharField(max_length=32)
        out_trade_no = CharField(max_length=32, default="", index=True)
        out_refund_no = CharField(max_length=64, default="")
        transaction_id = CharField(max_length=32, default="")
        amount_fen = BigIntegerField(null=True)
        outcome = CharField(max_length=20)
        detail = CharField(max_length=255, default="")
        deliveries = IntegerField(default=1)
        received_at = DateTimeField(default=datetime.datetime.now)
        last_received_at = DateTimeField(default=datetime.datetime.now)

        class Meta:
            table_name = "wechat_notification"

    class ReconciliationReport(Base):
        bill_date = DateField(unique=True)
        wechat_rows = IntegerField(default=0)
        our_rows = IntegerField(default=0)
        wechat_paid_fen = BigIntegerField(default=0)
        wechat_refunded_fen = BigIntegerField(default=0)
        difference_count = IntegerField(default=0)
        ran_at = DateTimeField(default=datetime.datetime.now)

        class Meta:
            table_name = "reconciliation_report"

    class ReconciliationDifference(Base):
        report = ForeignKeyField(ReconciliationReport, on_delete="CASCADE")
        kind = CharField(max_length=20)
        out_trade_no = CharField(max_length=32, default="")
        out_refund_no = CharField(max_length=64, default="")
        wechat_amount_fen = BigIntegerField(null=True)
        our_amount_fen = BigIntegerField(null=True)
        wechat_status = CharField(max_length=16, default="")
        our_status = CharField(max_length=16, default="")
        detail = CharField(max_length=255, default="")

        class Meta:
            table_name = "reconciliation_difference"

    db.create_tables(
        [
            PaymentRecord,
            RefundRecord,
            WechatNotification,
            ReconciliationReport,
            ReconciliationDifference,
        ]
    )


def down(migrator, db):
    for table in (
        "reconciliation_difference",
        "reconciliation_report",
        "wechat_notification",
        "refund_record",
        "payment_record",
    ):
        db.execute_sql(f'DROP TABLE IF EXISTS "{table}"')
