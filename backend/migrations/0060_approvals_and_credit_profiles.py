"""Approval requests the owner decides; versioned credit profiles; and on each customer the on-account
orders accepted but not yet invoiced (part of what they owe for the credit check)."""

import datetime

from peewee import *


def up(migrator, db):
    class Base(Model):
        class Meta:
            database = db
            legacy_table_names = False

    class User(Base):  # frozen reference only; created by 0001
        class Meta:
            table_name = "app_user"

    class Customer(Base):  # frozen reference only; created by 0010
        class Meta:
            table_name = "customer"

    class ApprovalRequest(Base):
        kind = CharField(max_length=32, index=True)
        subject_type = CharField(max_length=32)
        subject_id = CharField(max_length=64)
        payload = TextField(default="{}")
        amount_fen = BigIntegerField(null=True)
        reason = TextField(default="")
        requested_by = ForeignKeyField(User, null=True, on_delete="RESTRICT")
        status = CharField(max_length=16, default="pending", index=True)
        decided_by = ForeignKeyField(User, null=True, on_delete="RESTRICT")
        decided_at = DateTimeField(null=True)
        decision_note = TextField(default="")
        result = TextField(default="{}")
        open_key = CharField(max_length=128, null=True, unique=True)
        created_at = DateTimeField(default=datetime.datetime.now)

        class Meta:
            table_name = "approval_request"
            indexes = ((("status", "kind"), False),)
            constraints = [
                Check("status IN ('pending', 'approved', 'rejected')"),
                Check("amount_fen IS NULL OR amount_fen >= 0"),
            ]

    class CreditProfile(Base):
        customer = ForeignKeyField(Customer, on_delete="RESTRICT")
        version = IntegerField()
        limit_fen = BigIntegerField()
        terms_kind = CharField(max_length=12, default="days")
        terms_days = IntegerField()
        grace_days = IntegerField(default=0)
        late_interest_ppm = IntegerField(default=0)
        overdue_action = CharField(max_length=8, default="hold")
        reason = TextField(default="")
        changed_by = ForeignKeyField(User, null=True, on_delete="RESTRICT")
        approval_id = IntegerField(null=True)
        created_at = DateTimeField(default=datetime.datetime.now)

        class Meta:
            table_name = "credit_profile"
            indexes = ((("customer", "version"), True),)
            constraints = [
                Check("version > 0"),
                Check("limit_fen >= 0"),
                Check("terms_days >= 0"),
                Check("grace_days >= 0"),
                Check("late_interest_ppm >= 0"),
                Check("terms_kind IN ('days', 'month_end')"),
                Check("overdue_action IN ('hold', 'warn')"),
            ]

    db.create_tables([ApprovalRequest, CreditProfile])
    migrator.migrate(migrator.add_column("customer", "uninvoiced_fen", BigIntegerField(default=0)))


def down(migrator, db):
    migrator.migrate(migrator.drop_column("customer", "uninvoiced_fen"))
    db.execute_sql('DROP TABLE IF EXISTS "credit_profile"')
    db.execute_sql('DROP TABLE IF EXISTS "approval_request"')
