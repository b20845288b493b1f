"""Customers' unapplied credit (预收账款 2203): an account per customer (a cache) and its movements;
batch collections (批量收款), one payment per line."""

import datetime

from peewee import *


def up(migrator, db):
    class Base(Model):
        class Meta:
            database = db
            legacy_table_names = False

    class Customer(Base):  # frozen references only
        class Meta:
            table_name = "customer"

    class Payment(Base):
        class Meta:
            table_name = "payment"

    class Invoice(Base):
        class Meta:
            table_name = "invoice"

    class AdvanceAccount(Base):
        customer = ForeignKeyField(Customer, unique=True, on_delete="RESTRICT")
        balance_fen = BigIntegerField(default=0)

        class Meta:
            table_name = "advance_account"
            constraints = [Check("balance_fen >= 0")]

    class AdvanceMovement(Base):
        customer = ForeignKeyField(Customer, on_delete="RESTRICT")
        kind = CharField(max_length=12)
        amount_fen = BigIntegerField()
        payment = ForeignKeyField(Payment, null=True, on_delete="RESTRICT")
        invoice = ForeignKeyField(Invoice, null=True, on_delete="RESTRICT")
        actor_id = IntegerField(null=True)
        created_at = DateTimeField(default=datetime.datetime.now)

        class Meta:
            table_name = "advance_movement"
            indexes = ((("customer",), False),)
            constraints = [Check("amount_fen <> 0"), Check("kind IN ('received', 'applied')")]

    class CollectionBatch(Base):
        reference = CharField(max_length=64, unique=True)
        content_hash = CharField(max_length=64)
        method = CharField(max_length=16)
        total_fen = BigIntegerField()
        memo = CharField(max_length=255, default="")
        created_by = IntegerField(null=True)
        created_at = DateTimeField(default=datetime.datetime.now)

        class Meta:
            table_name = "collection_batch"
            constraints = [Check("total_fen > 0")]

    class CollectionBatchLine(Base):
        batch = ForeignKeyField(CollectionBatch, on_delete="RESTRICT")
        line_no = IntegerField()
        customer = ForeignKeyField(Customer, on_delete="RESTRICT")
        payment = ForeignKeyField(Payment, unique=True, on_delete="RESTRICT")
        amount_fen = BigIntegerField()
        advance_fen = BigIntegerField(default=0)

        class Meta:
            table_name = "collection_batch_line"
            indexes = ((("batch", "line_no"), True),)
            constraints = [Check("amount_fen > 0"), Check("advance_fen >= 0")]

    db.create_tables([AdvanceAccount, AdvanceMovement, CollectionBatch, CollectionBatchLine])


def down(migrator, db):
    for table in ("collection_batch_line", "collection_batch", "advance_movement", "advance_account"):
        db.execute_sql(f'DROP TABLE IF EXISTS "{table}"')
