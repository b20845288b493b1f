"""Who was handed money collected on account at the counter, so it counts in their shift's takings."""

from peewee import *


def up(migrator, db):
    class Base(Model):
        class Meta:
            database = db
            legacy_table_names = False

    class User(Base):  # frozen reference only
        class Meta:
            table_name = "app_user"

    migrator.migrate(
        migrator.add_column(
            "payment", "received_by_id", ForeignKeyField(User, null=True, on_delete="RESTRICT", field=User.id)
        ),
        migrator.add_index("payment", ("received_by_id", "created_at")),
    )


def down(migrator, db):
    migrator.migrate(
        migrator.drop_index("payment", "payment_received_by_id_created_at"),
        migrator.drop_column("payment", "received_by_id"),
    )
