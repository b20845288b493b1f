"""An at-most-once outbox send records when its attempt started, and one whose outcome is unknown is
parked as `needs_attention` (15 characters) for a person instead of being repeated."""

from peewee import *


def up(migrator, db):
    migrator.migrate(
        migrator.add_column("outbox_message", "attempt_started_at", DateTimeField(null=True)),
        migrator.alter_column_type("outbox_message", "status", CharField(max_length=16, default="pending")),
    )


def down(migrator, db):
    migrator.migrate(
        migrator.alter_column_type("outbox_message", "status", CharField(max_length=12, default="pending")),
        migrator.drop_column("outbox_message", "attempt_started_at"),
    )
