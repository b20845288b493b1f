"""One WeChat payment for several invoices, or part of one: what it is to pay on each."""

from peewee import *


def up(migrator, db):
    class Base(Model):
        class Meta:
            database = db
            legacy_table_names = False

    class PaymentRecord(Base):  # frozen references only
        class Meta:
            table_name = "payment_record"

    class Invoice(Base):
        class Meta:
            table_name = "invoice"

    class PaymentAllocation(Base):
        payment = ForeignKeyField(PaymentRecord, on_delete="RESTRICT")
        invoice = ForeignKeyField(Invoice, on_delete="RESTRICT")
        amount_fen = BigIntegerField()

        class Meta:
            table_name = "payment_allocation"
            indexes = ((("payment", "invoice"), True),)
            constraints = [Check("amount_fen > 0")]

    db.create_tables([PaymentAllocation])


def down(migrator, db):
    db.execute_sql('DROP TABLE IF EXISTS "payment_allocation"')
