"""The sale spine: catalog, customers, orders, stock ledger, receivables, journal and its chart.

On PostgreSQL the journal gets a DEFERRABLE INITIALLY DEFERRED constraint trigger that refuses to
commit an entry whose lines do not balance, and the ledgers refuse UPDATE and DELETE (append-only).
"""

import datetime

from peewee import *

CHART = (
    ("1001", "库存现金", "Cash on hand", "asset"),
    ("1002", "银行存款", "Bank deposits", "asset"),
    ("1012", "其他货币资金-微信支付", "WeChat Pay clearing", "asset"),
    ("1122", "应收账款", "Accounts receivable", "asset"),
    ("1405", "库存商品", "Inventory", "asset"),
    ("2202", "应付账款", "Accounts payable", "liability"),
    ("2203", "预收账款", "Customer prepayments", "liability"),
    ("2221", "应交税费-应交增值税(销项)", "Output VAT payable", "liability"),
    ("3103", "本年利润", "Current year profit", "equity"),
    ("5001", "主营业务收入", "Sales revenue", "revenue"),
    ("5401", "主营业务成本", "Cost of goods sold", "expense"),
    ("5711", "营业外支出-坏账", "Bad debt written off", "expense"),
)

BALANCE_TRIGGER = """
CREATE OR REPLACE FUNCTION journal_entry_must_balance() RETURNS trigger AS $$
DECLARE
    eid integer := COALESCE(NEW.entry_id, OLD.entry_id);
    d bigint;
    c bigint;
BEGIN
    SELECT COALESCE(SUM(debit_fen), 0), COALESCE(SUM(credit_fen), 0) INTO d, c
      FROM journal_line WHERE entry_id = eid;
    IF d <> c THEN
        RAISE EXCEPTION 'journal entry % does not balance: debit % <> credit %', eid, d, c
            USING ERRCODE = 'check_violation';
    END IF;
    RETURN NULL;
END $$ LANGUAGE plpgsql;

CREATE CONSTRAINT TRIGGER journal_line_balanced
    AFTER INSERT OR UPDATE OR DELETE ON journal_line
    DEFERRABLE INITIALLY DEFERRED
    FOR EACH ROW EXECUTE FUNCTION journal_entry_must_balance();

CREATE OR REPLACE FUNCTION ledger_is_append_only() RETURNS trigger AS $$
BEGIN
    RAISE EXCEPTION '% is append-only: post a reversing entry instead', TG_TABLE_NAME
        USING ERRCODE = 'restrict_violation';
END $$ LANGUAGE plpgsql;
"""

APPEND_ONLY = ("journal_entry", "journal_line", "stock_move", "ar_entry")


def up(migrator, db):
    class Base(Model):
        class Meta:
            database = db
            legacy_table_names = False

    class User(Base):  # frozen reference only; created by 0001
        class Meta:
            table_name = "app_user"

    class Product(Base):
        name = CharField(max_length=128)
        created_at = DateTimeField(default=datetime.datetime.now)

    class Sku(Base):
        product = ForeignKeyField(Product, on_delete="RESTRICT")
        name = CharField(max_length=128)
        barcode = CharField(max_length=32, null=True, unique=True)
        unit = CharField(max_length=16, default="件")
        price_fen = BigIntegerField()
        distributor_price_fen = BigIntegerField(null=True)
        vat_rate_bp = IntegerField(default=1300)
        active = BooleanField(default=True)
        created_at = DateTimeField(default=datetime.datetime.now)

        class Meta:
            constraints = [
                Check("price_fen >= 0"),
                Check("distributor_price_fen IS NULL OR distributor_price_fen >= 0"),
                Check("vat_rate_bp >= 0 AND vat_rate_bp <= 10000"),
            ]

    class Warehouse(Base):
        code = CharField(max_length=32, unique=True)
        name = CharField(max_length=64)
        created_at = DateTimeField(default=datetime.datetime.now)

    class Customer(Base):
        kind = CharField(max_length=16, index=True)
        name = CharField(max_length=128)
        phone = CharField(max_length=20, null=True)
        user = ForeignKeyField(User, null=True, unique=True, on_delete="SET NULL")
        credit_limit_fen = BigIntegerField(default=0)
        payment_terms_days = IntegerField(default=0)
        balance_fen = BigIntegerField(default=0)
        created_at = DateTimeField(default=datetime.datetime.now)

        class Meta:
            constraints = [
                Check("credit_limit_fen >= 0"),
                Check("payment_terms_days >= 0"),
                Check("kind IN ('walk_in', 'member', 'distributor')"),
            ]

    class Order(Base):
        channel = CharField(max_length=16)
        customer = ForeignKeyField(Customer, on_delete="RESTRICT")
        warehouse = ForeignKeyField(Warehouse, on_delete="RESTRICT")
        status = CharField(max_length=20, index=True)
        total_fen = BigIntegerField()
        vat_fen = BigIntegerField()
        paid_fen = BigIntegerField(default=0)
        refunded_fen = BigIntegerField(default=0)
        refunded_vat_fen = BigIntegerField(default=0)
        placed_by = IntegerField(null=True)
        created_at = DateTimeField(default=datetime.datetime.now)
        paid_at = DateTimeField(null=True)
        shipped_at = DateTimeField(null=True)
        closed_at = DateTimeField(null=True)

        class Meta:
            table_name = "sales_order"
            constraints = [
                Check("total_fen >= 0"),
                Check("vat_fen >= 0 AND vat_fen <= total_fen"),
                Check("paid_fen >= 0"),
                Check("refunded_fen >= 0 AND refunded_fen <= paid_fen"),
                Check("channel IN ('miniprogram', 'distributor', 'counter')"),
            ]

    class OrderLine(Base):
        order = ForeignKeyField(Order, on_delete="CASCADE")
        sku = ForeignKeyField(Sku, on_delete="RESTRICT")
        quantity = IntegerField()
        unit_price_fen = BigIntegerField()
        vat_rate_bp = IntegerField()
        total_fen = BigIntegerField()
        net_fen = BigIntegerField()
        vat_fen = BigIntegerField()
        cost_fen = BigIntegerField(null=True)

        class Meta:
            constraints = [
                Check("quantity > 0"),
                Check("unit_price_fen >= 0"),
                Check("net_fen + vat_fen = total_fen"),
            ]

    class StockLevel(Base):
        sku = ForeignKeyField(Sku, on_delete="RESTRICT")
        warehouse = ForeignKeyField(Warehouse, on_delete="RESTRICT")
        on_hand = IntegerField(default=0)
        reserved = IntegerField(default=0)
        value_fen = BigIntegerField(default=0)

        class Meta:
            indexes = ((("sku", "warehouse"), True),)
            constraints = [
                Check("on_hand >= 0"),
                Check("reserved >= 0"),
                Check("reserved <= on_hand"),
                Check("value_fen >= 0"),
                Check("on_hand > 0 OR value_fen = 0"),
            ]

    class StockMove(Base):
        sku = ForeignKeyField(Sku, on_delete="RESTRICT")
        warehouse = ForeignKeyField(Warehouse, on_delete="RESTRICT")
        kind = CharField(max_length=12)
        on_hand_delta = IntegerField(default=0)
        reserved_delta = IntegerField(default=0)
        value_delta_fen = BigIntegerField(default=0)
        order_id = IntegerField(null=True, index=True)
        reference = CharField(max_length=64, default="")
        created_at = DateTimeField(default=datetime.datetime.now)

        class Meta:
            indexes = ((("sku", "warehouse"), False),)

    class Account(Base):
        code = CharField(max_length=8, unique=True)
        name_zh = CharField(max_length=64)
        name_en = CharField(max_length=64)
        kind = CharField(max_length=12)

    class JournalEntry(Base):
        event = CharField(max_length=32, index=True)
        memo = CharField(max_length=255, default="")
        source_type = CharField(max_length=16, default="")
        source_id = IntegerField(null=True)
        posted_on = DateField()
        created_at = DateTimeField(default=datetime.datetime.now)

        class Meta:
            indexes = ((("source_type", "source_id"), False),)

    class JournalLine(Base):
        entry = ForeignKeyField(JournalEntry, on_delete="RESTRICT")
        account_code = CharField(max_length=8, index=True)
        debit_fen = BigIntegerField(default=0)
        credit_fen = BigIntegerField(default=0)
        customer_id = IntegerField(null=True)

        class Meta:
            constraints = [
                Check("debit_fen >= 0"),
                Check("credit_fen >= 0"),
                Check("(debit_fen = 0) <> (credit_fen = 0)"),
            ]

    class Invoice(Base):
        customer = ForeignKeyField(Customer, on_delete="RESTRICT")
        order = ForeignKeyField(Order, null=True, unique=True, on_delete="RESTRICT")
        amount_fen = BigIntegerField()
        open_fen = BigIntegerField()
        issued_on = DateField()
        due_on = DateField(index=True)
        created_at = DateTimeField(default=datetime.datetime.now)

        class Meta:
            constraints = [Check("amount_fen > 0"), Check("open_fen >= 0 AND open_fen <= amount_fen")]

    class Payment(Base):
        customer = ForeignKeyField(Customer, on_delete="RESTRICT")
        order = ForeignKeyField(Order, null=True, on_delete="RESTRICT")
        direction = CharField(max_length=3)
        method = CharField(max_length=16)
        amount_fen = BigIntegerField()
        reference = CharField(max_length=64, unique=True)
        created_at = DateTimeField(default=datetime.datetime.now)

        class Meta:
            constraints = [
                Check("amount_fen > 0"),
                Check("direction IN ('in', 'out')"),
                Check("method IN ('cash', 'wechat', 'bank_transfer')"),
            ]

    class ArEntry(Base):
        customer = ForeignKeyField(Customer, on_delete="RESTRICT")
        invoice = ForeignKeyField(Invoice, on_delete="RESTRICT")
        payment = ForeignKeyField(Payment, null=True, on_delete="RESTRICT")
        kind = CharField(max_length=12)
        amount_fen = BigIntegerField()
        created_at = DateTimeField(default=datetime.datetime.now)

        class Meta:
            indexes = ((("customer",), False),)
            constraints = [Check("amount_fen <> 0")]

    db.create_tables(
        [
            Product,
            Sku,
            Warehouse,
            Customer,
            Order,
            OrderLine,
            StockLevel,
            StockMove,
            Account,
            JournalEntry,
            JournalLine,
            Invoice,
            Payment,
            ArEntry,
        ]
    )
    Account.insert_many(
        [{"code": c, "name_zh": zh, "name_en": en, "kind": k} for c, zh, en, k in CHART]
    ).execute()

    if isinstance(db, PostgresqlDatabase):
        # Straight to the driver: with peewee's empty params psycopg2 would read RAISE's % as a placeholder.
        db.cursor().execute(BALANCE_TRIGGER)
        for table in APPEND_ONLY:
            db.execute_sql(
                f"CREATE TRIGGER {table}_append_only BEFORE UPDATE OR DELETE ON {table} "
                "FOR EACH ROW EXECUTE FUNCTION ledger_is_append_only()"
            )
