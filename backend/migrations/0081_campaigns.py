"""Promotions to distributors: campaigns with a price list per chosen grade, limited stock per SKU
(with the ledger of what orders took) and a record of who was messaged and who opened it."""

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

    class Sku(Base):
        class Meta:
            table_name = "sku"

    class CustomerGrade(Base):
        class Meta:
            table_name = "customer_grade"

    class PriceList(Base):
        class Meta:
            table_name = "price_list"

    class Campaign(Base):
        name = CharField(max_length=64)
        policy = TextField(default="")
        valid_from = DateTimeField(null=True)
        valid_to = DateTimeField(null=True)
        created_at = DateTimeField(default=datetime.datetime.now)

        class Meta:
            table_name = "campaign"

    class CampaignGrade(Base):
        campaign = ForeignKeyField(Campaign, on_delete="CASCADE")
        grade = ForeignKeyField(CustomerGrade, on_delete="RESTRICT")
        price_list = ForeignKeyField(PriceList, unique=True, on_delete="RESTRICT")

        class Meta:
            table_name = "campaign_grade"
            indexes = ((("campaign", "grade"), True),)

    class CampaignStock(Base):
        campaign = ForeignKeyField(Campaign, on_delete="CASCADE")
        sku = ForeignKeyField(Sku, on_delete="RESTRICT")
        quota = IntegerField()
        taken = IntegerField(default=0)

        class Meta:
            table_name = "campaign_stock"
            indexes = ((("campaign", "sku"), True),)
            constraints = [Check("quota >= 0"), Check("taken >= 0 AND taken <= quota")]

    class CampaignTake(Base):
        stock = ForeignKeyField(CampaignStock, on_delete="CASCADE")
        order_id = IntegerField(index=True)
        quantity = IntegerField()
        created_at = DateTimeField(default=datetime.datetime.now)

        class Meta:
            table_name = "campaign_take"
            constraints = [Check("quantity <> 0")]

    class CampaignRecipient(Base):
        campaign = ForeignKeyField(Campaign, on_delete="CASCADE")
        customer = ForeignKeyField(Customer, on_delete="CASCADE")
        status = CharField(max_length=12, default="queued")
        sent_at = DateTimeField(null=True)
        opened_at = DateTimeField(null=True)

        class Meta:
            table_name = "campaign_recipient"
            indexes = ((("campaign", "customer"), True),)

    db.create_tables([Campaign, CampaignGrade, CampaignStock, CampaignTake, CampaignRecipient])


def down(migrator, db):
    for table in ("campaign_recipient", "campaign_take", "campaign_stock", "campaign_grade", "campaign"):
        db.execute_sql(f'DROP TABLE IF EXISTS "{table}"')
