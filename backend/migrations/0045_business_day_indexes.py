"""A business day's rows are read by a range of their UTC timestamps (the merchant's day is not the
UTC day): index the timestamps that reports and order lists filter on."""

from peewee import *


def up(migrator, db):
    migrator.migrate(
        migrator.add_index("journal_entry", ("created_at",)),
        migrator.add_index("sales_order", ("created_at",)),
    )


def down(migrator, db):
    migrator.migrate(
        migrator.drop_index("sales_order", "sales_order_created_at"),
        migrator.drop_index("journal_entry", "journal_entry_created_at"),
    )
