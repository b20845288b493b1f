"""Selling to distributors: customer grades, price lists with quantity breaks and validity, SKU trade
terms (minimum order quantity, case size), favourites; each order line records the pricing rule and
price list that gave its price."""

import datetime

from peewee import *


def up(migrator, db):
    class Base(Model):
        class Meta:
            database = db
            legacy_table_names = False

    class Customer(Base):  # frozen references only; created by 0010
        class Meta:
            table_name = "customer"

    class Sku(Base):
        class Meta:
            table_name = "sku"

    class CustomerGrade(Base):
        name = CharField(max_length=32, unique=True)
        created_at = DateTimeField(default=datetime.datetime.now)

        class Meta:
            table_name = "customer_grade"

    class CustomerGradeMember(Base):
        customer = ForeignKeyField(Customer, unique=True, on_delete="CASCADE")
        grade = ForeignKeyField(CustomerGrade, on_delete="RESTRICT", index=True)

        class Meta:
            table_name = "customer_grade_member"

    class PriceList(Base):
        name = CharField(max_length=64)
        scope = CharField(max_length=8)
        customer = ForeignKeyField(Customer, null=True, on_delete="RESTRICT", index=True)
        grade = ForeignKeyField(CustomerGrade, null=True, on_delete="RESTRICT", index=True)
        channel = CharField(max_length=16, null=True, index=True)
        priority = IntegerField(default=0)
        valid_from = DateTimeField(null=True)
        valid_to = DateTimeField(null=True)
        active = BooleanField(default=True)
        created_at = DateTimeField(default=datetime.datetime.now)

        class Meta:
            table_name = "price_list"
            constraints = [
                Check(
                    "(scope = 'customer' AND customer_id IS NOT NULL AND grade_id IS NULL AND channel IS NULL)"
                    " OR (scope = 'grade' AND grade_id IS NOT NULL AND customer_id IS NULL AND channel IS NULL)"
                    " OR (scope = 'channel' AND channel IS NOT NULL AND customer_id IS NULL AND grade_id IS NULL)"
                ),
                Check("valid_to IS NULL OR valid_from IS NULL OR valid_to > valid_from"),
            ]

    class PriceListItem(Base):
        price_list = ForeignKeyField(PriceList, on_delete="CASCADE")
        sku = ForeignKeyField(Sku, on_delete="RESTRICT")
        min_quantity = IntegerField(default=1)
        price_fen = BigIntegerField()

        class Meta:
            table_name = "price_list_item"
            indexes = (
                (("price_list", "sku", "min_quantity"), True),
                (("sku", "price_list"), False),
            )
            constraints = [Check("min_quantity >= 1"), Check("price_fen >= 0")]

    class SkuTradeTerms(Base):
        sku = ForeignKeyField(Sku, unique=True, on_delete="CASCADE")
        case_size = IntegerField(default=1)
        min_order_quantity = IntegerField(default=1)

        class Meta:
            table_name = "sku_trade_terms"
            constraints = [Check("case_size >= 1"), Check("min_order_quantity >= 1")]

    class Favourite(Base):
        customer = ForeignKeyField(Customer, on_delete="CASCADE")
        sku = ForeignKeyField(Sku, on_delete="CASCADE")
        created_at = DateTimeField(default=datetime.datetime.now)

        class Meta:
            table_name = "favourite"
            indexes = ((("customer", "sku"), True),)

    db.create_tables([CustomerGrade, CustomerGradeMember, PriceList, PriceListItem, SkuTradeTerms, Favourite])
    migrator.migrate(
        migrator.add_column("order_line", "price_rule", CharField(max_length=20, null=True)),
        migrator.add_column("order_line", "price_list_id", IntegerField(null=True)),
    )


def down(migrator, db):
    migrator.migrate(
        migrator.drop_column("order_line", "price_list_id"),
        migrator.drop_column("order_line", "price_rule"),
    )
    for table in (
        "favourite",
        "sku_trade_terms",
        "price_list_item",
        "price_list",
        "customer_grade_member",
        "customer_grade",
    ):
        db.execute_sql(f'DROP TABLE IF EXISTS "{table}"')
