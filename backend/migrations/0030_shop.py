"""The mini-program shop: categories and product pictures, member levels and prices, points and
stored-value ledgers, addresses, carts, coupons, checkouts with their discounts (order and line
`discount_fen`), shipments, after-sales requests, share links and subscribe-message results."""

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

    class Order(Base):
        class Meta:
            table_name = "sales_order"

    class Sku(Base):
        class Meta:
            table_name = "sku"

    class Category(Base):
        name = CharField(max_length=64)
        parent = ForeignKeyField("self", null=True, on_delete="RESTRICT")
        sort = IntegerField(default=0)
        active = BooleanField(default=True)
        created_at = DateTimeField(default=datetime.datetime.now)

        class Meta:
            table_name = "category"

    class MemberLevel(Base):
        name = CharField(max_length=32)
        rank = IntegerField(unique=True)  # higher is better; new members get the lowest
        points_per_yuan = IntegerField(default=1)  # points earned per whole yuan paid
        created_at = DateTimeField(default=datetime.datetime.now)

        class Meta:
            table_name = "member_level"
            constraints = [Check("points_per_yuan >= 0")]

    class SkuLevelPrice(Base):
        sku = ForeignKeyField(Sku, on_delete="CASCADE")
        level = ForeignKeyField(MemberLevel, on_delete="CASCADE")
        price_fen = BigIntegerField()  # VAT-inclusive

        class Meta:
            table_name = "sku_level_price"
            indexes = ((("sku", "level"), True),)
            constraints = [Check("price_fen >= 0")]

    class MemberAccount(Base):
        customer = ForeignKeyField(Customer, unique=True, on_delete="RESTRICT")
        level = ForeignKeyField(MemberLevel, null=True, on_delete="SET NULL")
        points = BigIntegerField(default=0)  # cache of PointsEntry; a reversal may take it below 0
        stored_value_fen = BigIntegerField(default=0)  # cache of StoredValueEntry
        created_at = DateTimeField(default=datetime.datetime.now)

        class Meta:
            table_name = "member_account"
            constraints = [Check("stored_value_fen >= 0")]

    class PointsEntry(Base):
        customer = ForeignKeyField(Customer, on_delete="RESTRICT")
        kind = CharField(max_length=16)
        points = BigIntegerField()  # signed: + the member holds more
        order_id = IntegerField(null=True, index=True)
        reference = CharField(max_length=80, unique=True)
        created_at = DateTimeField(default=datetime.datetime.now)

        class Meta:
            table_name = "points_entry"
            indexes = ((("customer",), False),)
            constraints = [Check("points <> 0")]

    class StoredValueEntry(Base):
        customer = ForeignKeyField(Customer, on_delete="RESTRICT")
        kind = CharField(max_length=12)
        amount_fen = BigIntegerField()  # signed: + the member holds more
        order_id = IntegerField(null=True, index=True)
        reference = CharField(max_length=80, unique=True)
        created_at = DateTimeField(default=datetime.datetime.now)

        class Meta:
            table_name = "stored_value_entry"
            indexes = ((("customer",), False),)
            constraints = [Check("amount_fen <> 0")]

    class Address(Base):
        customer = ForeignKeyField(Customer, on_delete="RESTRICT")
        name = CharField(max_length=32)
        phone = CharField(max_length=20)
        region = CharField(max_length=64)  # 省市区
        detail = CharField(max_length=128)
        is_default = BooleanField(default=False)
        deleted = BooleanField(default=False)  # kept: checkouts point at it
        created_at = DateTimeField(default=datetime.datetime.now)

        class Meta:
            table_name = "address"
            indexes = ((("customer",), False),)

    class CartItem(Base):
        customer = ForeignKeyField(Customer, on_delete="CASCADE")
        sku = ForeignKeyField(Sku, on_delete="CASCADE")
        quantity = IntegerField()
        updated_at = DateTimeField(default=datetime.datetime.now)

        class Meta:
            table_name = "cart_item"
            indexes = ((("customer", "sku"), True),)
            constraints = [Check("quantity > 0")]

    class Coupon(Base):
        name = CharField(max_length=64)
        amount_off_fen = BigIntegerField()
        threshold_fen = BigIntegerField(default=0)
        per_customer_limit = IntegerField(default=1)
        valid_from = DateTimeField()
        valid_until = DateTimeField()
        active = BooleanField(default=True)
        created_at = DateTimeField(default=datetime.datetime.now)

        class Meta:
            table_name = "coupon"
            constraints = [
                Check("amount_off_fen > 0"),
                Check("threshold_fen >= 0"),
                Check("per_customer_limit > 0"),
            ]

    class CustomerCoupon(Base):
        coupon = ForeignKeyField(Coupon, on_delete="RESTRICT")
        customer = ForeignKeyField(Customer, on_delete="RESTRICT")
        seq = IntegerField()
        status = CharField(max_length=12, default="available")
        order_id = IntegerField(null=True)
        claimed_at = DateTimeField(default=datetime.datetime.now)
        used_at = DateTimeField(null=True)

        class Meta:
            table_name = "customer_coupon"
            indexes = ((("coupon", "customer", "seq"), True),)

    class Checkout(Base):
        order = ForeignKeyField(Order, unique=True, on_delete="RESTRICT")
        customer = ForeignKeyField(Customer, on_delete="RESTRICT")
        address = ForeignKeyField(Address, on_delete="RESTRICT")
        ship_to = TextField()  # JSON snapshot of the address at checkout
        goods_fen = BigIntegerField()  # before discounts
        points_used = BigIntegerField(default=0)
        points_discount_fen = BigIntegerField(default=0)
        customer_coupon = ForeignKeyField(CustomerCoupon, null=True, on_delete="RESTRICT")
        coupon_discount_fen = BigIntegerField(default=0)
        pay_with = CharField(max_length=16, default="wechat")  # wechat | stored_value
        created_at = DateTimeField(default=datetime.datetime.now)

        class Meta:
            table_name = "checkout"

    class Shipment(Base):
        order = ForeignKeyField(Order, unique=True, on_delete="RESTRICT")
        carrier = CharField(max_length=32)
        tracking_no = CharField(max_length=64)
        shipped_by = IntegerField(null=True)
        shipped_at = DateTimeField(default=datetime.datetime.now)
        received_at = DateTimeField(null=True)
        received_by = CharField(max_length=12, default="")  # customer | auto

        class Meta:
            table_name = "shipment"

    class AfterSaleRequest(Base):
        order = ForeignKeyField(Order, on_delete="RESTRICT")
        customer = ForeignKeyField(Customer, on_delete="RESTRICT")
        lines = TextField()  # JSON [{"line_id": 1, "quantity": 1}]
        amount_fen = BigIntegerField()
        reason = CharField(max_length=255, default="")
        status = CharField(max_length=12, default="requested", index=True)
        decided_by = IntegerField(null=True)
        decided_at = DateTimeField(null=True)
        note = CharField(max_length=255, default="")
        created_at = DateTimeField(default=datetime.datetime.now)

        class Meta:
            table_name = "aftersale_request"
            constraints = [Check("amount_fen > 0")]

    class ShareLink(Base):
        code = CharField(max_length=32, unique=True)
        sharer = ForeignKeyField(Customer, on_delete="RESTRICT")
        product_id = IntegerField(null=True)
        created_at = DateTimeField(default=datetime.datetime.now)

        class Meta:
            table_name = "share_link"

    class Referral(Base):
        customer = ForeignKeyField(Customer, unique=True, on_delete="RESTRICT")
        sharer = ForeignKeyField(Customer, backref="referrals", on_delete="RESTRICT")
        share_link = ForeignKeyField(ShareLink, on_delete="RESTRICT")
        created_at = DateTimeField(default=datetime.datetime.now)

        class Meta:
            table_name = "referral"

    class MessageLog(Base):
        dedupe_key = CharField(max_length=80, unique=True)
        touser = CharField(max_length=64)
        template_id = CharField(max_length=64)
        status = CharField(max_length=12)  # sent | refused
        errcode = IntegerField(default=0)
        msgid = BigIntegerField(null=True)
        created_at = DateTimeField(default=datetime.datetime.now)

        class Meta:
            table_name = "message_log"

    db.create_tables(
        [
            Category,
            MemberLevel,
            SkuLevelPrice,
            MemberAccount,
            PointsEntry,
            StoredValueEntry,
            Address,
            CartItem,
            Coupon,
            CustomerCoupon,
            Checkout,
            Shipment,
            AfterSaleRequest,
            ShareLink,
            Referral,
            MessageLog,
        ]
    )
    migrator.migrate(
        migrator.add_column(
            "product",
            "category_id",
            ForeignKeyField(Category, null=True, field=Category.id, on_delete="SET NULL"),
        ),
        migrator.add_column("product", "description", TextField(default="")),
        migrator.add_column("product", "image_urls", TextField(default="[]")),
        migrator.add_column("product", "on_sale", BooleanField(default=True)),
        migrator.add_column("sku", "member_price_fen", BigIntegerField(null=True)),
        migrator.add_column("sales_order", "discount_fen", BigIntegerField(default=0)),
        migrator.add_column("order_line", "discount_fen", BigIntegerField(default=0)),
    )


def down(migrator, db):
    migrator.migrate(
        migrator.drop_column("order_line", "discount_fen"),
        migrator.drop_column("sales_order", "discount_fen"),
        migrator.drop_column("sku", "member_price_fen"),
        migrator.drop_column("product", "on_sale"),
        migrator.drop_column("product", "image_urls"),
        migrator.drop_column("product", "description"),
        migrator.drop_column("product", "category_id"),
    )
    for table in (
        "message_log",
        "referral",
        "share_link",
        "aftersale_request",
        "shipment",
        "checkout",
        "customer_coupon",
        "coupon",
        "cart_item",
        "address",
        "stored_value_entry",
        "points_entry",
        "member_account",
        "sku_level_price",
        "member_level",
        "category",
    ):
        db.execute_sql(f'DROP TABLE IF EXISTS "{table}"')
