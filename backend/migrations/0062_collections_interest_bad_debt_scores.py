"""Dunning schedules and steps, collection notes and promises to pay, late interest charges,
write-offs, bad-debt warnings, credit scores and the owner's daily digest; account 5301 营业外收入."""

import datetime

from peewee import *


def up(migrator, db):
    class Base(Model):
        class Meta:
            database = db
            legacy_table_names = False

    class User(Base):  # frozen references only
        class Meta:
            table_name = "app_user"

    class Customer(Base):
        class Meta:
            table_name = "customer"

    class Invoice(Base):
        class Meta:
            table_name = "invoice"

    class Account(Base):
        code = CharField(max_length=8, unique=True)
        name_zh = CharField(max_length=64)
        name_en = CharField(max_length=64)
        kind = CharField(max_length=12)

        class Meta:
            table_name = "account"

    class DunningSchedule(Base):
        name = CharField(max_length=64)
        customer = ForeignKeyField(Customer, null=True, unique=True, on_delete="RESTRICT")
        grade = CharField(max_length=1, null=True, unique=True)
        steps = TextField(default="[-3, 0, 7, 15, 30]")
        escalate_days = IntegerField(default=31)
        changed_by = ForeignKeyField(User, null=True, on_delete="RESTRICT")
        created_at = DateTimeField(default=datetime.datetime.now)

        class Meta:
            table_name = "dunning_schedule"

    class DunningStep(Base):
        invoice = ForeignKeyField(Invoice, on_delete="RESTRICT")
        customer = ForeignKeyField(Customer, on_delete="RESTRICT")
        offset_days = IntegerField()
        channel = CharField(max_length=8)
        due_on = DateField(index=True)
        status = CharField(max_length=16, index=True)
        errcode = IntegerField(null=True)
        msgid = BigIntegerField(null=True)
        open_fen = BigIntegerField()
        created_at = DateTimeField(default=datetime.datetime.now)
        sent_at = DateTimeField(null=True)

        class Meta:
            table_name = "dunning_step"
            indexes = ((("invoice", "offset_days", "channel"), True), (("customer", "due_on"), False))
            constraints = [Check("channel IN ('wechat', 'person')")]

    class CollectionNote(Base):
        customer = ForeignKeyField(Customer, on_delete="RESTRICT")
        author = ForeignKeyField(User, on_delete="RESTRICT")
        outcome = CharField(max_length=12)
        note = TextField(default="")
        follow_up_on = DateField(null=True, index=True)
        created_at = DateTimeField(default=datetime.datetime.now)

        class Meta:
            table_name = "collection_note"
            indexes = ((("customer", "created_at"), False),)

    class PromiseToPay(Base):
        customer = ForeignKeyField(Customer, on_delete="RESTRICT")
        note = ForeignKeyField(CollectionNote, null=True, on_delete="RESTRICT")
        amount_fen = BigIntegerField()
        promised_on = DateField(index=True)
        status = CharField(max_length=10, default="open", index=True)
        collected_fen = BigIntegerField(default=0)
        created_at = DateTimeField(default=datetime.datetime.now)
        resolved_at = DateTimeField(null=True)

        class Meta:
            table_name = "promise_to_pay"
            constraints = [Check("amount_fen > 0"), Check("status IN ('open', 'kept', 'broken')")]

    class InterestCharge(Base):
        invoice = ForeignKeyField(Invoice, on_delete="RESTRICT")
        customer = ForeignKeyField(Customer, on_delete="RESTRICT")
        period_from = DateField()
        period_to = DateField()
        fen_days = BigIntegerField()
        rate_ppm = IntegerField()
        amount_fen = BigIntegerField()
        interest_invoice = ForeignKeyField(Invoice, null=True, unique=True, backref="+", on_delete="RESTRICT")
        status = CharField(max_length=8, default="posted")
        waived_fen = BigIntegerField(default=0)
        created_at = DateTimeField(default=datetime.datetime.now)

        class Meta:
            table_name = "interest_charge"
            indexes = ((("invoice", "period_to"), True),)
            constraints = [
                Check("amount_fen >= 0"),
                Check("period_from <= period_to"),
                Check("status IN ('posted', 'waived')"),
            ]

    class WriteOff(Base):
        invoice = ForeignKeyField(Invoice, unique=True, on_delete="RESTRICT")
        customer = ForeignKeyField(Customer, on_delete="RESTRICT")
        amount_fen = BigIntegerField()
        condition = CharField(max_length=20)
        evidence = TextField(default="")
        approval_id = IntegerField()
        recovered_fen = BigIntegerField(default=0)
        created_at = DateTimeField(default=datetime.datetime.now)

        class Meta:
            table_name = "write_off"
            constraints = [
                Check("amount_fen > 0"),
                Check("recovered_fen >= 0 AND recovered_fen <= amount_fen"),
            ]

    class CreditWarning(Base):
        customer = ForeignKeyField(Customer, on_delete="RESTRICT")
        rule = CharField(max_length=24)
        detail = TextField(default="{}")
        raised_on = DateField()
        cleared_on = DateField(null=True)
        open_key = CharField(max_length=48, null=True, unique=True)

        class Meta:
            table_name = "credit_warning"
            indexes = ((("customer", "rule"), False),)

    class CreditScore(Base):
        customer = ForeignKeyField(Customer, on_delete="RESTRICT")
        scored_on = DateField()
        score = IntegerField()
        grade = CharField(max_length=1)
        factors = TextField(default="{}")
        proposal = CharField(max_length=8, null=True)
        proposed_limit_fen = BigIntegerField(null=True)

        class Meta:
            table_name = "credit_score"
            indexes = ((("customer", "scored_on"), True),)
            constraints = [
                Check("score >= 0 AND score <= 100"),
                Check("grade IN ('A', 'B', 'C', 'D', 'E')"),
            ]

    class CreditDigest(Base):
        day = DateField(unique=True)
        body = TextField()
        created_at = DateTimeField(default=datetime.datetime.now)

        class Meta:
            table_name = "credit_digest"

    db.create_tables(
        [
            DunningSchedule,
            DunningStep,
            CollectionNote,
            PromiseToPay,
            InterestCharge,
            WriteOff,
            CreditWarning,
            CreditScore,
            CreditDigest,
        ]
    )
    Account.insert(
        code="5301", name_zh="营业外收入", name_en="Non-operating income", kind="revenue"
    ).on_conflict_ignore().execute()


def down(migrator, db):
    for table in (
        "credit_digest",
        "credit_score",
        "credit_warning",
        "write_off",
        "interest_charge",
        "promise_to_pay",
        "collection_note",
        "dunning_step",
        "dunning_schedule",
    ):
        db.execute_sql(f'DROP TABLE IF EXISTS "{table}"')
    db.execute_sql("DELETE FROM account WHERE code = '5301'")
