"""A statement names the credit the customer had paid ahead and not yet applied at the period's end
(预收余额), beside what they owe."""

from peewee import *


def up(migrator, db):
    migrator.migrate(migrator.add_column("statement", "advance_fen", BigIntegerField(default=0)))


def down(migrator, db):
    migrator.migrate(migrator.drop_column("statement", "advance_fen"))
