"""Fapiao (发票) requests, blue and red-letter, with the file each one's provider produced."""

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

    class Order(Base):
        class Meta:
            table_name = "sales_order"  # "order" is reserved in SQL

    class Invoice(Base):
        class Meta:
            table_name = "invoice"

    class FapiaoRequest(Base):
        customer = ForeignKeyField(Customer, on_delete="RESTRICT")
        order = ForeignKeyField(Order, on_delete="RESTRICT")
        invoice = ForeignKeyField(Invoice, null=True, on_delete="RESTRICT")
        kind = CharField(max_length=4)
        blue = ForeignKeyField("self", null=True, on_delete="RESTRICT")
        buyer_type = SmallIntegerField()
        title = CharField(max_length=100)
        tax_number = CharField(max_length=20, default="")
        company_address = CharField(max_length=100, default="")
        telephone = CharField(max_length=40, default="")
        bank_name = CharField(max_length=100, default="")
        bank_account = CharField(max_length=40, default="")
        amount_fen = BigIntegerField()
        vat_fen = BigIntegerField()
        dedupe_key = CharField(max_length=80, unique=True)
        refund_reference = CharField(max_length=64, null=True)
        status = CharField(max_length=8, default="queued", index=True)
        number = CharField(max_length=20, null=True, unique=True)
        failure = CharField(max_length=255, default="")
        requested_by = ForeignKeyField(User, null=True, on_delete="RESTRICT")
        created_at = DateTimeField(default=datetime.datetime.now)
        issued_at = DateTimeField(null=True)

        class Meta:
            table_name = "fapiao_request"
            indexes = ((("order", "kind"), False),)
            constraints = [
                Check("kind IN ('blue', 'red')"),
                Check("status IN ('queued', 'issued', 'failed')"),
                Check("buyer_type IN (0, 1)"),
                Check("amount_fen > 0"),
                Check("vat_fen >= 0 AND vat_fen <= amount_fen"),
                Check("(kind = 'blue') = (blue_id IS NULL)"),
            ]

    class FapiaoFile(Base):
        request = ForeignKeyField(FapiaoRequest, unique=True, on_delete="RESTRICT")
        content_type = CharField(max_length=64, default="application/pdf")
        content = BlobField()
        sha256 = CharField(max_length=64)

        class Meta:
            table_name = "fapiao_file"

    db.create_tables([FapiaoRequest, FapiaoFile])


def down(migrator, db):
    for table in ("fapiao_file", "fapiao_request"):
        db.execute_sql(f'DROP TABLE IF EXISTS "{table}"')
