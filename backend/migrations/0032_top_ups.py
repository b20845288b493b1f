"""Stored-value top-ups through WeChat Pay (payments/topups.py)."""

import datetime

from peewee import *


def up(migrator, db):
    class Base(Model):
        class Meta:
            database = db
            legacy_table_names = False

    class Customer(Base):  # frozen reference only; created by 0010
        class Meta:
            table_name = "customer"

    class TopUp(Base):
        out_trade_no = CharField(max_length=32, unique=True)
        customer = ForeignKeyField(Customer, on_delete="RESTRICT")
        amount_fen = BigIntegerField()
        status = CharField(max_length=12, default="created", index=True)
        transaction_id = CharField(max_length=32, null=True, unique=True)
        payer_openid = CharField(max_length=64)
        prepay_id = CharField(max_length=64, null=True)
        created_by = IntegerField(null=True)
        created_at = DateTimeField(default=datetime.datetime.now)
        succeeded_at = DateTimeField(null=True)

        class Meta:
            table_name = "top_up"
            constraints = [Check("amount_fen > 0")]

    db.create_tables([TopUp])


def down(migrator, db):
    db.execute_sql('DROP TABLE IF EXISTS "top_up"')
