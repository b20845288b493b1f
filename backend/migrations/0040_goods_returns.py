"""Goods handed back after shipping: each order line counts the units and cost that came back."""

from peewee import *


def up(migrator, db):
    migrator.migrate(
        migrator.add_column("order_line", "returned_quantity", IntegerField(default=0)),
        migrator.add_column("order_line", "returned_cost_fen", BigIntegerField(default=0)),
    )


def down(migrator, db):
    migrator.migrate(
        migrator.drop_column("order_line", "returned_cost_fen"),
        migrator.drop_column("order_line", "returned_quantity"),
    )
