"""Bank statement CSV imports (银行流水导入): each import, and each credit line once, with what became
of it (collected, queued for staff, assigned, dismissed)."""

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

    class BankImport(Base):
        filename = CharField(max_length=128, default="")
        file_hash = CharField(max_length=64, index=True)
        account = CharField(max_length=32, default="")
        encoding = CharField(max_length=16)
        rows = IntegerField(default=0)
        credits = IntegerField(default=0)
        duplicates = IntegerField(default=0)
        created_by = IntegerField(null=True)
        created_at = DateTimeField(default=datetime.datetime.now)

        class Meta:
            table_name = "bank_import"

    class BankLine(Base):
        bank_import = ForeignKeyField(BankImport, on_delete="RESTRICT")
        row_no = IntegerField()
        line_hash = CharField(max_length=64, unique=True)
        booked_on = DateField()
        amount_fen = BigIntegerField()
        payer_name = CharField(max_length=128, default="")
        memo = CharField(max_length=255, default="")
        bank_reference = CharField(max_length=64, default="")
        status = CharField(max_length=12, index=True)
        matched_by = CharField(max_length=16, default="")
        customer = ForeignKeyField(Customer, null=True, on_delete="RESTRICT")
        payment = ForeignKeyField(Payment, null=True, unique=True, on_delete="RESTRICT")
        note = CharField(max_length=255, default="")
        decided_by = IntegerField(null=True)
        decided_at = DateTimeField(null=True)

        class Meta:
            table_name = "bank_line"
            constraints = [
                Check("amount_fen > 0"),
                Check("status IN ('collected', 'queued', 'assigned', 'dismissed')"),
            ]

    db.create_tables([BankImport, BankLine])


def down(migrator, db):
    for table in ("bank_line", "bank_import"):
        db.execute_sql(f'DROP TABLE IF EXISTS "{table}"')
