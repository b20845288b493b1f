"""Receipts and delivery notes sent to the counter's printer (backend/printing)."""

import datetime

from peewee import *


def up(migrator, db):
    class Base(Model):
        class Meta:
            database = db
            legacy_table_names = False

    class Order(Base):  # frozen reference only; created by 0010
        class Meta:
            table_name = "sales_order"

    class PrintJob(Base):
        order = ForeignKeyField(Order, on_delete="RESTRICT")
        kind = CharField(max_length=16)
        width_mm = IntegerField()
        printer_url = CharField(max_length=255)
        document = TextField()
        requested_by = IntegerField(null=True)
        created_at = DateTimeField(default=datetime.datetime.now)
        printed_at = DateTimeField(null=True)

        class Meta:
            table_name = "print_job"
            indexes = ((("order",), False),)
            constraints = [
                Check("kind IN ('receipt', 'delivery_note')"),
                Check("width_mm IN (58, 80)"),
            ]

    db.create_tables([PrintJob])


def down(migrator, db):
    db.execute_sql('DROP TABLE IF EXISTS "print_job"')
