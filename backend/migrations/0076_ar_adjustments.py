"""Adjustments against one invoice (discount, 抹零, price correction, settled dispute), the owner's
approval threshold for them (one row per change), and account 5603 财务费用."""

import datetime

from peewee import *


def up(migrator, db):
    class Base(Model):
        class Meta:
            database = db
            legacy_table_names = False

    class User(Base):  # frozen references only
        class Meta:
            table_name = "app_user"

    class Customer(Base):
        class Meta:
            table_name = "customer"

    class Invoice(Base):
        class Meta:
            table_name = "invoice"

    class Account(Base):
        code = CharField(max_length=8, unique=True)
        name_zh = CharField(max_length=64)
        name_en = CharField(max_length=64)
        kind = CharField(max_length=12)

        class Meta:
            table_name = "account"

    class Adjustment(Base):
        invoice = ForeignKeyField(Invoice, on_delete="RESTRICT")
        customer = ForeignKeyField(Customer, on_delete="RESTRICT")
        kind = CharField(max_length=20)
        amount_fen = BigIntegerField()
        vat_fen = BigIntegerField(default=0)
        account_code = CharField(max_length=8)
        reason = TextField()
        source_type = CharField(max_length=32, null=True)
        source_id = BigIntegerField(null=True)
        approval_id = IntegerField(null=True)
        created_by = ForeignKeyField(User, null=True, on_delete="RESTRICT")
        journal_entry_id = IntegerField()
        created_at = DateTimeField(default=datetime.datetime.now)

        class Meta:
            table_name = "adjustment"
            indexes = ((("source_type", "source_id", "invoice"), True),)
            constraints = [
                Check("amount_fen <> 0"),
                Check("kind IN ('discount', 'rounding', 'price_correction', 'dispute_settlement')"),
                Check("amount_fen < 0 OR kind = 'price_correction'"),
            ]

    class AdjustmentThreshold(Base):
        threshold_fen = BigIntegerField()
        changed_by = ForeignKeyField(User, null=True, on_delete="RESTRICT")
        reason = TextField(default="")
        created_at = DateTimeField(default=datetime.datetime.now)

        class Meta:
            table_name = "adjustment_threshold"
            constraints = [Check("threshold_fen >= 0")]

    db.create_tables([Adjustment, AdjustmentThreshold])
    Account.insert(
        code="5603", name_zh="财务费用", name_en="Finance costs", kind="expense"
    ).on_conflict_ignore().execute()


def down(migrator, db):
    for table in ("adjustment_threshold", "adjustment"):
        db.execute_sql(f'DROP TABLE IF EXISTS "{table}"')
    db.execute_sql("DELETE FROM account WHERE code = '5603'")
