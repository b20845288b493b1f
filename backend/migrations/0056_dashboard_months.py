"""Monthly roll-ups for the owner's long ranges and top lists, and each day's customers ranked by what
they bought (the days rolled up before this are ranked here; their months are summed by the next
roll-up run)."""

import datetime

from peewee import *


def up(migrator, db):
    class Base(Model):
        class Meta:
            database = db
            legacy_table_names = False

    class RolledMonth(Base):
        month = DateField(unique=True)
        rolled_at = DateTimeField(default=datetime.datetime.now)

        class Meta:
            table_name = "dashboard_month"

    class MonthSales(Base):
        month = DateField()
        channel = CharField(max_length=16)
        method = CharField(max_length=16)
        revenue_fen = BigIntegerField()
        vat_fen = BigIntegerField()
        cogs_fen = BigIntegerField()
        orders = IntegerField()

        class Meta:
            table_name = "dashboard_month_sales"
            indexes = ((("month", "channel", "method"), True),)

    class MonthCustomer(Base):
        month = DateField()
        customer_id = IntegerField()
        revenue_fen = BigIntegerField()
        vat_fen = BigIntegerField()
        orders = IntegerField()
        rank = IntegerField()

        class Meta:
            table_name = "dashboard_month_customer"
            indexes = (
                (("month", "customer_id"), True),
                (("month", "customer_id", "revenue_fen", "vat_fen", "orders"), False),
                (("month", "rank"), False),
            )

    class MonthProduct(Base):
        month = DateField()
        sku_id = IntegerField()
        quantity = BigIntegerField()
        sales_fen = BigIntegerField()

        class Meta:
            table_name = "dashboard_month_product"
            indexes = ((("month", "sku_id"), True),)

    db.create_tables([RolledMonth, MonthSales, MonthCustomer, MonthProduct])
    migrator.migrate(
        migrator.add_column("dashboard_day_customer", "rank", IntegerField(null=True)),
        migrator.add_index("dashboard_day_customer", ("day", "rank")),
    )
    # UPDATE ... FROM with a window function: PostgreSQL, and SQLite from 3.33.
    db.execute_sql(
        """
        UPDATE dashboard_day_customer SET rank = ranked.n
        FROM (
          SELECT id, ROW_NUMBER() OVER (
            PARTITION BY day ORDER BY revenue_fen + vat_fen DESC, customer_id) AS n
          FROM dashboard_day_customer
        ) AS ranked
        WHERE dashboard_day_customer.id = ranked.id
        """
    )


def down(migrator, db):
    migrator.migrate(
        migrator.drop_index("dashboard_day_customer", "dashboard_day_customer_day_rank"),
        migrator.drop_column("dashboard_day_customer", "rank"),
    )
    for table in (
        "dashboard_month_product",
        "dashboard_month_customer",
        "dashboard_month_sales",
        "dashboard_month",
    ):
        db.execute_sql(f'DROP TABLE IF EXISTS "{table}"')
