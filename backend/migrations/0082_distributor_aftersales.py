"""Distributors' after-sales: a request says its kind (refund as the shop's, 退货 return, 价差补偿 price
difference) and, once approved on an order sold on account, how much lowered the open invoice (a
credit note) and how much became the distributor's unapplied credit."""

from peewee import *


def up(migrator, db):
    migrator.migrate(
        migrator.add_column("aftersale_request", "kind", CharField(max_length=16, default="refund")),
        migrator.add_column("aftersale_request", "credited_fen", BigIntegerField(default=0)),
        migrator.add_column("aftersale_request", "unapplied_fen", BigIntegerField(default=0)),
    )


def down(migrator, db):
    migrator.migrate(
        migrator.drop_column("aftersale_request", "unapplied_fen"),
        migrator.drop_column("aftersale_request", "credited_fen"),
        migrator.drop_column("aftersale_request", "kind"),
    )
