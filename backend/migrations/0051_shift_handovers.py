"""Shift handovers (交班) and the index that sums a staff member's takings over their shift."""

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

    class ShiftHandover(Base):
        staff = ForeignKeyField(User, on_delete="RESTRICT")
        started_at = DateTimeField()
        ended_at = DateTimeField(default=datetime.datetime.now)
        takings = TextField()
        expected_cash_fen = BigIntegerField()
        counted_cash_fen = BigIntegerField()
        difference_fen = BigIntegerField()
        note = CharField(max_length=200, default="")

        class Meta:
            table_name = "shift_handover"
            indexes = ((("staff", "ended_at"), True),)
            constraints = [Check("counted_cash_fen >= 0"), Check("ended_at >= started_at")]

    db.create_tables([ShiftHandover])
    migrator.migrate(migrator.add_index("payment_record", ("created_by", "succeeded_at"), False))


def down(migrator, db):
    migrator.migrate(migrator.drop_index("payment_record", "payment_record_created_by_succeeded_at"))
    db.execute_sql('DROP TABLE IF EXISTS "shift_handover"')
