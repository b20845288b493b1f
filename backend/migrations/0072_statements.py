"""Period statements (对账单) the customer confirms or disputes: the statement with its totals, a
snapshot line per receivable entry of the period, disputed lines and how they were resolved, the
messages sent about each; receivable entries indexed by customer and time, so one period is read
without reading the customer's history."""

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

    class Customer(Base):  # frozen reference only; created by 0010
        class Meta:
            table_name = "customer"

    class ArEntry(Base):  # frozen reference only; created by 0010
        class Meta:
            table_name = "ar_entry"

    class Statement(Base):
        customer = ForeignKeyField(Customer, on_delete="RESTRICT")
        period_start = DateField()
        period_end = DateField()
        version = IntegerField(default=1)
        status = CharField(max_length=12, default="draft")
        opening_fen = BigIntegerField()
        debit_fen = BigIntegerField()
        credit_fen = BigIntegerField()
        closing_fen = BigIntegerField()
        line_count = IntegerField()
        aging = TextField(null=True)
        content_hash = CharField(max_length=64, null=True)
        supersedes = ForeignKeyField("self", null=True, on_delete="RESTRICT")
        generated_by = ForeignKeyField(User, null=True, on_delete="RESTRICT")
        created_at = DateTimeField(default=datetime.datetime.now)
        sent_at = DateTimeField(null=True)
        reminders = IntegerField(default=0)
        last_reminded_at = DateTimeField(null=True)
        confirmed_at = DateTimeField(null=True)
        confirmed_by = ForeignKeyField(User, null=True, on_delete="RESTRICT", backref="+")
        confirmed_via = CharField(max_length=8, null=True)

        class Meta:
            table_name = "statement"
            indexes = (
                (("customer", "period_start", "version"), True),
                (("status", "sent_at"), False),
            )
            constraints = [
                Check("period_end >= period_start"),
                Check("version > 0"),
                Check("status IN ('draft', 'sent', 'confirmed', 'disputed', 'superseded')"),
                Check("closing_fen = opening_fen + debit_fen - credit_fen"),
            ]

    class StatementLine(Base):
        statement = ForeignKeyField(Statement, on_delete="RESTRICT")
        seq = IntegerField()
        entry = ForeignKeyField(ArEntry, on_delete="RESTRICT")
        on_date = DateField()
        kind = CharField(max_length=12)
        invoice_id = IntegerField()
        order_id = IntegerField(null=True)
        description = CharField(max_length=200)
        amount_fen = BigIntegerField()
        balance_fen = BigIntegerField()

        class Meta:
            table_name = "statement_line"
            indexes = ((("statement", "seq"), True),)

    class StatementDispute(Base):
        statement = ForeignKeyField(Statement, on_delete="RESTRICT")
        line = ForeignKeyField(StatementLine, on_delete="RESTRICT")
        note = TextField()
        raised_by = ForeignKeyField(User, null=True, on_delete="RESTRICT")
        raised_via = CharField(max_length=8)
        status = CharField(max_length=10, default="open")
        resolved_by = ForeignKeyField(User, null=True, on_delete="RESTRICT", backref="+")
        resolved_at = DateTimeField(null=True)
        resolution_note = TextField(default="")
        adjustment_id = IntegerField(null=True)
        adjustment_entry = IntegerField(null=True)
        created_at = DateTimeField(default=datetime.datetime.now)

        class Meta:
            table_name = "statement_dispute"
            indexes = ((("statement", "line"), True),)
            constraints = [Check("status IN ('open', 'resolved', 'rejected')")]

    class StatementNotice(Base):
        statement = ForeignKeyField(Statement, on_delete="RESTRICT")
        purpose = CharField(max_length=8)
        number = IntegerField(default=1)
        status = CharField(max_length=16, default="queued")
        errcode = IntegerField(null=True)
        msgid = CharField(max_length=64, null=True)
        created_at = DateTimeField(default=datetime.datetime.now)
        sent_at = DateTimeField(null=True)

        class Meta:
            table_name = "statement_notice"
            indexes = ((("statement", "purpose", "number"), True),)

    db.create_tables([Statement, StatementLine, StatementDispute, StatementNotice])
    migrator.migrate(migrator.add_index("ar_entry", ("customer_id", "created_at")))


def down(migrator, db):
    migrator.migrate(migrator.drop_index("ar_entry", "ar_entry_customer_id_created_at"))
    for table in ("statement_notice", "statement_dispute", "statement_line", "statement"):
        db.execute_sql(f'DROP TABLE IF EXISTS "{table}"')
