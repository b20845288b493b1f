"""The owner's dashboard: per-day roll-ups of closed business days, the journal indexed by business
day, and open invoices indexed on their own (aging reads them, whatever the history of paid ones)."""

import datetime

from peewee import *


def up(migrator, db):
    class Base(Model):
        class Meta:
            database = db
            legacy_table_names = False

    class RolledDay(Base):
        day = DateField(unique=True)
        rolled_at = DateTimeField(default=datetime.datetime.now)

        class Meta:
            table_name = "dashboard_day"

    class DaySales(Base):
        day = DateField()
        channel = CharField(max_length=16)
        method = CharField(max_length=16)
        revenue_fen = BigIntegerField()
        vat_fen = BigIntegerField()
        cogs_fen = BigIntegerField()
        orders = IntegerField()

        class Meta:
            table_name = "dashboard_day_sales"
            indexes = ((("day", "channel", "method"), True),)

    class DayCustomer(Base):
        day = DateField()
        customer_id = IntegerField()
        revenue_fen = BigIntegerField()
        vat_fen = BigIntegerField()
        orders = IntegerField()

        class Meta:
            table_name = "dashboard_day_customer"
            indexes = (
                (("day", "customer_id"), True),
                (("day", "customer_id", "revenue_fen", "vat_fen", "orders"), False),
            )

    class DayProduct(Base):
        day = DateField()
        sku_id = IntegerField()
        quantity = BigIntegerField()
        sales_fen = BigIntegerField()

        class Meta:
            table_name = "dashboard_day_product"
            indexes = ((("day", "sku_id"), True), (("day", "sku_id", "quantity", "sales_fen"), False))

    db.create_tables([RolledDay, DaySales, DayCustomer, DayProduct])
    migrator.migrate(migrator.add_index("journal_entry", ("posted_on",)))
    # Holds what aging sums, so open invoices are read from the index alone.
    db.execute_sql(
        "CREATE INDEX invoice_open_due_on ON invoice (due_on, customer_id, open_fen) WHERE open_fen > 0"
    )


def down(migrator, db):
    db.execute_sql("DROP INDEX invoice_open_due_on")
    migrator.migrate(migrator.drop_index("journal_entry", "journal_entry_posted_on"))
    for table in ("dashboard_day_product", "dashboard_day_customer", "dashboard_day_sales", "dashboard_day"):
        db.execute_sql(f'DROP TABLE IF EXISTS "{table}"')
