"""Rebates (返利) for distributors: rules per customer or grade with tiers of a month's sales, and
each month's run with what every distributor earned (once per month and customer)."""

import datetime

from peewee import *


def up(migrator, db):
    class Base(Model):
        class Meta:
            database = db
            legacy_table_names = False

    class Customer(Base):  # frozen references only
        class Meta:
            table_name = "customer"

    class CustomerGrade(Base):
        class Meta:
            table_name = "customer_grade"

    class RebateRule(Base):
        name = CharField(max_length=64)
        scope = CharField(max_length=8)
        customer = ForeignKeyField(Customer, null=True, on_delete="RESTRICT", index=True)
        grade = ForeignKeyField(CustomerGrade, null=True, on_delete="RESTRICT", index=True)
        active = BooleanField(default=True)
        created_by = IntegerField(null=True)
        created_at = DateTimeField(default=datetime.datetime.now)

        class Meta:
            table_name = "rebate_rule"
            constraints = [
                Check(
                    "(scope = 'customer' AND customer_id IS NOT NULL AND grade_id IS NULL)"
                    " OR (scope = 'grade' AND grade_id IS NOT NULL AND customer_id IS NULL)"
                )
            ]

    class RebateTier(Base):
        rule = ForeignKeyField(RebateRule, on_delete="CASCADE")
        min_sales_fen = BigIntegerField()
        percent_bp = IntegerField(null=True)
        fixed_fen = BigIntegerField(null=True)

        class Meta:
            table_name = "rebate_tier"
            indexes = ((("rule", "min_sales_fen"), True),)
            constraints = [
                Check("min_sales_fen >= 0"),
                Check(
                    "(percent_bp IS NOT NULL AND fixed_fen IS NULL AND percent_bp > 0 AND percent_bp <= 10000)"
                    " OR (fixed_fen IS NOT NULL AND percent_bp IS NULL AND fixed_fen > 0)"
                ),
            ]

    class RebateRun(Base):
        period = CharField(max_length=7, unique=True)
        accrued_count = IntegerField(default=0)
        accrued_fen = BigIntegerField(default=0)
        run_by = IntegerField(null=True)
        created_at = DateTimeField(default=datetime.datetime.now)

        class Meta:
            table_name = "rebate_run"

    class RebateAccrual(Base):
        run = ForeignKeyField(RebateRun, on_delete="RESTRICT")
        period = CharField(max_length=7)
        customer = ForeignKeyField(Customer, on_delete="RESTRICT")
        rule = ForeignKeyField(RebateRule, on_delete="RESTRICT")
        sales_fen = BigIntegerField()
        tier_min_sales_fen = BigIntegerField()
        amount_fen = BigIntegerField()
        vat_fen = BigIntegerField()
        created_at = DateTimeField(default=datetime.datetime.now)

        class Meta:
            table_name = "rebate_accrual"
            indexes = ((("customer", "period"), True),)
            constraints = [Check("amount_fen > 0")]

    db.create_tables([RebateRule, RebateTier, RebateRun, RebateAccrual])


def down(migrator, db):
    for table in ("rebate_accrual", "rebate_run", "rebate_tier", "rebate_rule"):
        db.execute_sql(f'DROP TABLE IF EXISTS "{table}"')
