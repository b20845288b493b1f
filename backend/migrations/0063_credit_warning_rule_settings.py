"""The owner's thresholds for the bad-debt warning rules, one row per change."""

import datetime

from peewee import *


def up(migrator, db):
    class Base(Model):
        class Meta:
            database = db
            legacy_table_names = False

    class User(Base):  # frozen reference only
        class Meta:
            table_name = "app_user"

    class WarningRuleSettings(Base):
        days_overdue = IntegerField()
        overdue_fen = BigIntegerField()
        score_drop = IntegerField()
        utilisation_pct = IntegerField()
        broken_promises = IntegerField()
        changed_by = ForeignKeyField(User, on_delete="RESTRICT")
        created_at = DateTimeField(default=datetime.datetime.now)

        class Meta:
            table_name = "credit_warning_rule_settings"
            constraints = [
                Check("days_overdue >= 1 AND overdue_fen >= 1 AND score_drop >= 1"),
                Check("utilisation_pct BETWEEN 1 AND 100 AND broken_promises >= 1"),
            ]

    db.create_tables([WarningRuleSettings])


def down(migrator, db):
    db.execute_sql('DROP TABLE IF EXISTS "credit_warning_rule_settings"')
