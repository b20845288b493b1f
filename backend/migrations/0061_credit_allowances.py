"""One-off credit overrides granted ahead: one sale on account may pass the limit by up to an amount."""

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

    class CreditAllowance(Base):
        customer = ForeignKeyField(Customer, on_delete="RESTRICT")
        amount_fen = BigIntegerField()
        until = DateField()
        reason = TextField(default="")
        granted_by = ForeignKeyField(User, on_delete="RESTRICT")
        approval_id = IntegerField(null=True)
        used_at = DateTimeField(null=True)
        used_for = CharField(max_length=64, null=True)
        created_at = DateTimeField(default=datetime.datetime.now)

        class Meta:
            table_name = "credit_allowance"
            indexes = ((("customer", "used_at"), False),)
            constraints = [Check("amount_fen > 0")]

    db.create_tables([CreditAllowance])


def down(migrator, db):
    db.execute_sql('DROP TABLE IF EXISTS "credit_allowance"')
