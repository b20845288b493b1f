"""Catalog and customer verbs: products, SKUs, warehouses, customers."""

from __future__ import annotations

import peewee as pw

from backend import audit
from backend.auth.models import User
from backend.db import Param, Prepared, db, is_postgres, savepoint, transaction
from backend.errors import NotFound
from backend.kernel.models import CUSTOMER_KINDS, Customer, Product, Sku, Warehouse
from backend.receivables.services import MAX_AMOUNT_FEN
from store.errors import (
    CustomerLinkTaken,
    DuplicateBarcode,
    DuplicateWarehouse,
    InvalidCustomer,
    UnknownProduct,
)

WALK_IN_NAME = "散客"
MEMBER_NAME = "微信会员"


def create_product(name: str) -> Product:
    with transaction():
        return Product.create(name=name)


def create_sku(
    product_id: int,
    *,
    name: str,
    price_fen: int,
    vat_rate_bp: int = 1300,
    unit: str = "件",
    barcode: str | None = None,
    distributor_price_fen: int | None = None,
) -> Sku:
    with transaction():
        if not Product.select().where(Product.id == product_id).exists():
            raise UnknownProduct(details={"product_id": product_id})
        try:
            with savepoint():
                return Sku.create(
                    product=product_id,
                    name=name,
                    price_fen=price_fen,
                    vat_rate_bp=vat_rate_bp,
                    unit=unit,
                    barcode=barcode,
                    distributor_price_fen=distributor_price_fen,
                )
        except pw.IntegrityError:
            raise DuplicateBarcode(details={"barcode": barcode})


def create_warehouse(code: str, name: str) -> Warehouse:
    try:
        with savepoint():
            return Warehouse.create(code=code, name=name)
    except pw.IntegrityError:
        raise DuplicateWarehouse(details={"code": code})


def create_customer(
    kind: str,
    name: str,
    *,
    phone: str | None = None,
    user_id: int | None = None,
    credit_limit_fen: int = 0,
    payment_terms_days: int = 0,
    actor_id: int | None = None,
) -> Customer:
    """A new customer; its credit limit and terms (the only way to set them) are audited."""
    if kind not in CUSTOMER_KINDS:
        raise InvalidCustomer(details={"kind": kind})
    if not 0 <= credit_limit_fen <= MAX_AMOUNT_FEN or not 0 <= payment_terms_days <= 365:
        raise InvalidCustomer(
            details={"credit_limit_fen": credit_limit_fen, "payment_terms_days": payment_terms_days}
        )
    if kind == "walk_in" and (credit_limit_fen or user_id):
        raise InvalidCustomer("Walk-in customers buy without credit or login", "散客不能赊账或绑定账号")
    with transaction():
        if user_id is not None and not User.select().where(User.id == user_id).exists():
            raise InvalidCustomer(details={"user_id": user_id})
        try:
            with savepoint():
                customer = Customer.create(
                    kind=kind,
                    name=name,
                    phone=phone,
                    user=user_id,
                    credit_limit_fen=credit_limit_fen,
                    payment_terms_days=payment_terms_days,
                )
        except pw.IntegrityError:
            raise CustomerLinkTaken(details={"user_id": user_id})
        if credit_limit_fen or payment_terms_days:  # credit given: privileged, audited
            audit.record(
                actor_id,
                "customer.credit",
                "customer",
                customer.id,
                kind=kind,
                credit_limit_fen=credit_limit_fen,
                payment_terms_days=payment_terms_days,
            )
        return customer


# Looked up by every counter sale (prepared: see backend.db.Prepared).
_WALK_IN = Prepared(
    lambda: Customer.select().where(Customer.kind == "walk_in").order_by(Customer.id).limit(1)
)
_FIRST_WAREHOUSE = Prepared(lambda: Warehouse.select().order_by(Warehouse.id).limit(1))
_WAREHOUSE = Prepared(lambda: Warehouse.select().where(Warehouse.id == Param("id")))
_ACTIVE_SKUS = Prepared(
    lambda count: Sku.select().where(Sku.id.in_([Param(n) for n in range(count)]) & (Sku.active == True))  # noqa: E712
)


def walk_in_customer() -> Customer:
    """The shared walk-in customer for counter sales without a named buyer (made on first use)."""
    found = _WALK_IN.rows({})
    if found:
        return found[0]
    with transaction():
        # Two first-ever counter sales at once must not make two walk-in customers. There is no row
        # to lock yet, so serialise on a transaction-scoped advisory lock (SQLite's write lock already
        # serialises), then look again.
        if is_postgres():
            db.execute_sql("SELECT pg_advisory_xact_lock(hashtext('yecai.walk_in_customer'))")
        found = Customer.select().where(Customer.kind == "walk_in").order_by(Customer.id).first()
        return found or Customer.create(kind="walk_in", name=WALK_IN_NAME)


def customer_of_user(user_id: int) -> Customer:
    """The customer record behind a login. A mini-program shopper (role customer) becomes a member on
    first use; distributors are set up by staff, with their credit terms, before they can buy."""
    customer = Customer.get_or_none(Customer.user == user_id)
    if customer is not None:
        return customer
    user = User.get_or_none(User.id == user_id)
    if user is None or user.role != "customer":
        raise NotFound("No customer record for this login", "该账号没有客户档案", code="no_customer_record")
    try:
        with savepoint():
            return Customer.create(kind="member", name=user.display_name or MEMBER_NAME, user=user_id)
    except pw.IntegrityError:  # a concurrent first request made it
        return Customer.get(Customer.user == user_id)


def default_warehouse() -> Warehouse | None:
    found = _FIRST_WAREHOUSE.rows({})
    return found[0] if found else None


def warehouse(warehouse_id: int) -> Warehouse | None:
    found = _WAREHOUSE.rows({"id": warehouse_id})
    return found[0] if found else None


def active_skus(sku_ids: list[int]) -> dict[int, Sku]:
    """The SKUs among `sku_ids` that are on sale, by id."""
    return {sku.id: sku for sku in _ACTIVE_SKUS.rows(dict(enumerate(sku_ids)), len(sku_ids))}
