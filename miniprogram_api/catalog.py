"""Catalog, customers and stock for staff; the SKU list for everyone. Thin: parse, authorize, call."""

from __future__ import annotations

from typing import Any

import marshmallow as ma

from backend.inventory import services as inventory
from backend.inventory.models import StockLevel
from backend.kernel.models import Customer, Sku, Warehouse
from miniprogram_api.api import Blueprint
from miniprogram_api.fields import ComputedInteger
from miniprogram_api.idempotency import idempotent
from miniprogram_api.pagination import PageArgs, page, page_schema
from miniprogram_api.security import STAFF, access, current_user
from store import catalog

blp = Blueprint(
    "catalog", __name__, url_prefix="/api", description="商品、仓库、客户与库存 Catalog, customers, stock"
)

ANY_ROLE = ("customer", "distributor", "staff", "owner")
FEN = ma.validate.Range(min=0, max=10**12)


class ProductIn(ma.Schema):
    name = ma.fields.String(required=True, validate=ma.validate.Length(min=1, max=128))


class ProductOut(ma.Schema):
    id = ma.fields.Integer()
    name = ma.fields.String()


class SkuIn(ma.Schema):
    product_id = ma.fields.Integer(required=True)
    name = ma.fields.String(required=True, validate=ma.validate.Length(min=1, max=128))
    price_fen = ma.fields.Integer(required=True, strict=True, validate=FEN)
    distributor_price_fen = ma.fields.Integer(load_default=None, strict=True, validate=FEN)
    vat_rate_bp = ma.fields.Integer(
        load_default=1300, strict=True, validate=ma.validate.Range(min=0, max=10000)
    )
    unit = ma.fields.String(load_default="件", validate=ma.validate.Length(min=1, max=16))
    barcode = ma.fields.String(load_default=None, validate=ma.validate.Regexp(r"^[0-9A-Za-z-]{4,32}$"))


class SkuOut(ma.Schema):
    id = ma.fields.Integer()
    product_id = ma.fields.Integer()
    name = ma.fields.String()
    barcode = ma.fields.String(allow_none=True)
    unit = ma.fields.String()
    price_fen = ma.fields.Integer()
    vat_rate_bp = ma.fields.Integer()


class WarehouseIn(ma.Schema):
    code = ma.fields.String(required=True, validate=ma.validate.Length(min=1, max=32))
    name = ma.fields.String(required=True, validate=ma.validate.Length(min=1, max=64))


class WarehouseOut(WarehouseIn):
    id = ma.fields.Integer()


class CustomerIn(ma.Schema):
    kind = ma.fields.String(required=True, validate=ma.validate.OneOf(["walk_in", "member", "distributor"]))
    name = ma.fields.String(required=True, validate=ma.validate.Length(min=1, max=128))
    phone = ma.fields.String(load_default=None, validate=ma.validate.Regexp(r"^1\d{10}$"))
    user_id = ma.fields.Integer(load_default=None)
    credit_limit_fen = ma.fields.Integer(load_default=0, strict=True, validate=FEN)
    payment_terms_days = ma.fields.Integer(
        load_default=0, strict=True, validate=ma.validate.Range(min=0, max=365)
    )


class CustomerOut(ma.Schema):
    id = ma.fields.Integer()
    kind = ma.fields.String()
    name = ma.fields.String()
    phone = ma.fields.String(allow_none=True)
    user_id = ma.fields.Integer(allow_none=True)
    credit_limit_fen = ma.fields.Integer()
    payment_terms_days = ma.fields.Integer()
    balance_fen = ma.fields.Integer()


class ReceiptIn(ma.Schema):
    sku_id = ma.fields.Integer(required=True)
    warehouse_id = ma.fields.Integer(required=True)
    quantity = ma.fields.Integer(required=True, strict=True)
    unit_cost_fen = ma.fields.Integer(required=True, strict=True)
    reference = ma.fields.String(load_default="", validate=ma.validate.Length(max=64))


class LevelOut(ma.Schema):
    id = ma.fields.Integer()
    sku_id = ma.fields.Integer()
    warehouse_id = ma.fields.Integer()
    on_hand = ma.fields.Integer()
    reserved = ma.fields.Integer()
    available = ComputedInteger(compute=lambda lv: lv.on_hand - lv.reserved)
    value_fen = ma.fields.Integer()


class LevelArgs(PageArgs):
    sku_id = ma.fields.Integer(load_default=None)
    warehouse_id = ma.fields.Integer(load_default=None)


SkuPage = page_schema(SkuOut, "SkuPage")
CustomerPage = page_schema(CustomerOut, "CustomerPage")
LevelPage = page_schema(LevelOut, "StockLevelPage")


def _known(model: Any, model_id: int, code: str) -> None:
    from store import errors

    if not model.select().where(model.id == model_id).exists():
        raise {"sku": errors.UnknownSku, "warehouse": errors.UnknownWarehouse}[code](
            details={f"{code}_id": model_id}
        )


@blp.route("/products", methods=["POST"])
@access(*STAFF)
@idempotent
@blp.arguments(ProductIn)
@blp.response(201, ProductOut)
def create_product(data: dict[str, Any]) -> Any:
    """新建商品 Create a product."""
    return catalog.create_product(data["name"])


@blp.route("/skus", methods=["POST"])
@access(*STAFF)
@idempotent
@blp.arguments(SkuIn)
@blp.response(201, SkuOut)
def create_sku(data: dict[str, Any]) -> Any:
    """新建规格 Create a SKU (price in fen, VAT-inclusive; VAT rate in basis points)."""
    return catalog.create_sku(data.pop("product_id"), **data)


@blp.route("/skus", methods=["GET"])
@access(*ANY_ROLE)
@blp.arguments(PageArgs, location="query")
@blp.response(200, SkuPage)
def list_skus(args: dict[str, Any]) -> Any:
    """在售规格 Active SKUs, newest first."""
    return page(Sku.select().where(Sku.active == True), Sku.id, args)  # noqa: E712


@blp.route("/warehouses", methods=["POST"])
@access(*STAFF)
@idempotent
@blp.arguments(WarehouseIn)
@blp.response(201, WarehouseOut)
def create_warehouse(data: dict[str, Any]) -> Any:
    """新建仓库 Create a warehouse."""
    return catalog.create_warehouse(data["code"], data["name"])


@blp.route("/customers", methods=["POST"])
@access(*STAFF)
@idempotent
@blp.arguments(CustomerIn)
@blp.response(201, CustomerOut)
def create_customer(data: dict[str, Any]) -> Any:
    """新建客户 Create a customer (walk-in, member or distributor with credit limit and terms)."""
    return catalog.create_customer(data.pop("kind"), data.pop("name"), actor_id=current_user().id, **data)


@blp.route("/customers", methods=["GET"])
@access(*STAFF)
@blp.arguments(PageArgs, location="query")
@blp.response(200, CustomerPage)
def list_customers(args: dict[str, Any]) -> Any:
    """客户列表 Customers, newest first."""
    return page(Customer.select(), Customer.id, args)


@blp.route("/stock-receipts", methods=["POST"])
@access(*STAFF)
@idempotent
@blp.arguments(ReceiptIn)
@blp.response(201, LevelOut)
def receive_stock(data: dict[str, Any]) -> Any:
    """采购入库 Receive stock at a unit cost (moving-average cost updates; Dr 1405 / Cr 2202)."""
    _known(Sku, data["sku_id"], "sku")
    _known(Warehouse, data["warehouse_id"], "warehouse")
    inventory.receive_purchase(
        data["sku_id"],
        data["warehouse_id"],
        data["quantity"],
        data["unit_cost_fen"],
        reference=data["reference"],
        actor_id=current_user().id,
    )
    return StockLevel.get((StockLevel.sku == data["sku_id"]) & (StockLevel.warehouse == data["warehouse_id"]))


@blp.route("/stock-levels", methods=["GET"])
@access(*STAFF)
@blp.arguments(LevelArgs, location="query")
@blp.response(200, LevelPage)
def stock_levels(args: dict[str, Any]) -> Any:
    """库存 Stock levels: on hand, reserved, available and value at moving-average cost."""
    query = StockLevel.select()
    if args.get("sku_id") is not None:
        query = query.where(StockLevel.sku == args["sku_id"])
    if args.get("warehouse_id") is not None:
        query = query.where(StockLevel.warehouse == args["warehouse_id"])
    return page(query, StockLevel.id, args)
