"""Price lists: customer grades, lists per customer, grade or channel with quantity breaks and
validity, bulk changes (percentage or import); the price a customer pays now with the rule that
decided it and the last price they paid (历史价).

The owner keeps the lists (every change audited); staff read them and quote a customer's prices
when billing. A distributor sees only the lists that price them and their own prices: anyone else's
list is a 404, exactly like one that does not exist.
"""

from __future__ import annotations

from typing import Any

import marshmallow as ma

from backend.kernel.models import CHANNELS, Customer, Sku
from backend.receivables.errors import UnknownCustomer
from miniprogram_api.api import Blueprint
from miniprogram_api.idempotency import idempotent
from miniprogram_api.pagination import PageArgs, page, page_schema
from miniprogram_api.security import STAFF, access, current_user
from miniprogram_api.timestamps import Timestamp
from store import catalog, pricing
from store.distribution import price_lists
from store.distribution.errors import PriceListNotFound
from store.distribution.models import PRICE_LIST_SCOPES, CustomerGrade, PriceList
from store.errors import UnknownSku

blp = Blueprint("price_lists", __name__, url_prefix="/api", description="价格表 Price lists")

MAX_QUOTE_SKUS = 100


class GradeIn(ma.Schema):
    name = ma.fields.String(required=True, validate=ma.validate.Length(min=1, max=32))


class GradeOut(ma.Schema):
    id = ma.fields.Integer()
    name = ma.fields.String()


class GradeList(ma.Schema):
    items = ma.fields.List(ma.fields.Nested(GradeOut))


class CustomerGradeIn(ma.Schema):
    grade_id = ma.fields.Integer(required=True, allow_none=True, strict=True)


class CustomerGradeOut(ma.Schema):
    customer_id = ma.fields.Integer()
    grade_id = ma.fields.Integer(allow_none=True)


class BreakIn(ma.Schema):
    sku_id = ma.fields.Integer(required=True, strict=True)
    min_quantity = ma.fields.Integer(load_default=1, strict=True)
    price_fen = ma.fields.Integer(required=True, strict=True)


class BreakOut(ma.Schema):
    sku_id = ma.fields.Integer()
    min_quantity = ma.fields.Integer()
    price_fen = ma.fields.Integer()


class PriceListIn(ma.Schema):
    name = ma.fields.String(required=True, validate=ma.validate.Length(min=1, max=64))
    scope = ma.fields.String(required=True, validate=ma.validate.OneOf(PRICE_LIST_SCOPES))
    customer_id = ma.fields.Integer(load_default=None, strict=True)
    grade_id = ma.fields.Integer(load_default=None, strict=True)
    channel = ma.fields.String(load_default=None, validate=ma.validate.OneOf(CHANNELS))
    priority = ma.fields.Integer(load_default=0, strict=True, validate=ma.validate.Range(-1000, 1000))
    valid_from = Timestamp(load_default=None, allow_none=True)
    valid_to = Timestamp(load_default=None, allow_none=True)
    items = ma.fields.List(
        ma.fields.Nested(BreakIn),
        load_default=list,
        metadata={"description": "each SKU's breaks in rising min_quantity, the price not rising"},
    )


class PriceListPatch(ma.Schema):
    name = ma.fields.String(validate=ma.validate.Length(min=1, max=64))
    priority = ma.fields.Integer(strict=True, validate=ma.validate.Range(-1000, 1000))
    valid_from = Timestamp(allow_none=True)
    valid_to = Timestamp(allow_none=True)
    active = ma.fields.Boolean()


class PriceListOut(ma.Schema):
    id = ma.fields.Integer()
    name = ma.fields.String()
    scope = ma.fields.String()
    customer_id = ma.fields.Integer(allow_none=True)
    grade_id = ma.fields.Integer(allow_none=True)
    channel = ma.fields.String(allow_none=True)
    priority = ma.fields.Integer()
    valid_from = Timestamp(allow_none=True)
    valid_to = Timestamp(allow_none=True)
    active = ma.fields.Boolean()


class PriceListDetailOut(PriceListOut):
    items = ma.fields.List(ma.fields.Nested(BreakOut))


PriceListPage = page_schema(PriceListOut, "PriceListPage")


class ImportIn(ma.Schema):
    items = ma.fields.List(ma.fields.Nested(BreakIn), required=True, validate=ma.validate.Length(min=1))


class PercentIn(ma.Schema):
    percent_bp = ma.fields.Integer(
        required=True, strict=True, metadata={"description": "basis points: 500 = +5%, -250 = -2.5%"}
    )
    sku_ids = ma.fields.List(ma.fields.Integer(strict=True), load_default=None)


class ChangedOut(ma.Schema):
    price_list_id = ma.fields.Integer()
    breaks_changed = ma.fields.Integer()


class QuoteArgs(ma.Schema):
    sku_id = ma.fields.List(
        ma.fields.Integer(), required=True, validate=ma.validate.Length(min=1, max=MAX_QUOTE_SKUS)
    )
    quantity = ma.fields.Integer(load_default=1, validate=ma.validate.Range(min=1, max=10**9))
    channel = ma.fields.String(
        load_default=None,
        validate=ma.validate.OneOf(CHANNELS),
        metadata={"description": "staff only; default counter (billing at the counter)"},
    )


class LastPaidOut(ma.Schema):
    unit_price_fen = ma.fields.Integer()
    quantity = ma.fields.Integer()
    order_id = ma.fields.Integer()
    at = Timestamp()


class QuoteOut(ma.Schema):
    sku_id = ma.fields.Integer()
    quantity = ma.fields.Integer()
    unit_price_fen = ma.fields.Integer()
    retail_price_fen = ma.fields.Integer()
    rule = ma.fields.String(metadata={"description": "which rule won: " + ", ".join(pricing.RULES)})
    price_list_id = ma.fields.Integer(allow_none=True)
    min_quantity = ma.fields.Integer(allow_none=True, metadata={"description": "the quantity break applied"})
    last_paid = ma.fields.Nested(LastPaidOut, allow_none=True, metadata={"description": "历史价"})


class QuoteList(ma.Schema):
    customer_id = ma.fields.Integer()
    channel = ma.fields.String()
    items = ma.fields.List(ma.fields.Nested(QuoteOut))


# ---------------------------------------------------------------- grades


@blp.route("/customer-grades", methods=["POST"])
@access("owner")
@idempotent
@blp.arguments(GradeIn)
@blp.response(201, GradeOut)
def create_grade(data: dict[str, Any]) -> Any:
    """新建客户等级 A grade of customers (一级经销商 ...) that a price list can target."""
    return price_lists.create_grade(data["name"], actor_id=current_user().id)


@blp.route("/customer-grades", methods=["GET"])
@access(*STAFF)
@blp.response(200, GradeList)
def list_grades() -> Any:
    """客户等级 Every grade."""
    return {"items": CustomerGrade.select().order_by(CustomerGrade.id)}


@blp.route("/customers/<int:customer_id>/grade", methods=["PUT"])
@access("owner")
@blp.arguments(CustomerGradeIn)
@blp.response(200, CustomerGradeOut)
def set_customer_grade(data: dict[str, Any], customer_id: int) -> Any:
    """设置客户等级 Put a customer in a grade (null: in none)."""
    price_lists.set_grade(customer_id, data["grade_id"], actor_id=current_user().id)
    return {"customer_id": customer_id, "grade_id": data["grade_id"]}


# ---------------------------------------------------------------- lists


def _detail(price_list: PriceList) -> dict[str, Any]:
    items = price_lists.items_of([price_list.id])[price_list.id]
    return {**price_list.__data__, "items": items}


def _visible(price_list_id: int) -> PriceList:
    """Staff see every list; a distributor or customer only a list that prices them."""
    user = current_user()
    if user.role in STAFF:
        return price_lists.get(price_list_id)
    mine = price_lists.lists_pricing(catalog.customer_of_user(user.id))
    found = mine.where(PriceList.id == price_list_id).first()
    if found is None:
        raise PriceListNotFound(details={"price_list_id": price_list_id})
    return found


@blp.route("/price-lists", methods=["POST"])
@access("owner")
@idempotent
@blp.arguments(PriceListIn)
@blp.response(201, PriceListDetailOut)
def create_price_list(data: dict[str, Any]) -> Any:
    """新建价格表 A price list for one customer, grade or channel, with its quantity breaks."""
    created = price_lists.create_price_list(**data, actor_id=current_user().id)
    return _detail(created)


@blp.route("/price-lists", methods=["GET"])
@access("staff", "owner", "distributor", "customer")
@blp.arguments(PageArgs, location="query")
@blp.response(200, PriceListPage)
def list_price_lists(args: dict[str, Any]) -> Any:
    """价格表 Staff: every list. A distributor: the lists that price them."""
    user = current_user()
    query = (
        PriceList.select()
        if user.role in STAFF
        else price_lists.lists_pricing(catalog.customer_of_user(user.id))
    )
    return page(query, PriceList.id, args)


@blp.route("/price-lists/<int:price_list_id>", methods=["GET"])
@access("staff", "owner", "distributor", "customer")
@blp.response(200, PriceListDetailOut)
def get_price_list(price_list_id: int) -> Any:
    """价格表详情 A list with its breaks (a distributor: only a list that prices them, else 404)."""
    return _detail(_visible(price_list_id))


@blp.route("/price-lists/<int:price_list_id>", methods=["PATCH"])
@access("owner")
@blp.arguments(PriceListPatch)
@blp.response(200, PriceListDetailOut)
def update_price_list(data: dict[str, Any], price_list_id: int) -> Any:
    """修改价格表 Name, priority, validity, active (the overlap rule is checked again)."""
    return _detail(price_lists.update_price_list(price_list_id, actor_id=current_user().id, **data))


@blp.route("/price-lists/<int:price_list_id>/import", methods=["POST"])
@access("owner")
@idempotent
@blp.arguments(ImportIn)
@blp.response(201, ChangedOut)
def import_breaks(data: dict[str, Any], price_list_id: int) -> Any:
    """导入价格 Set the breaks of the SKUs given (each replaces that SKU's breaks in this list)."""
    count = price_lists.import_items(price_list_id, data["items"], actor_id=current_user().id)
    return {"price_list_id": price_list_id, "breaks_changed": count}


@blp.route("/price-lists/<int:price_list_id>/percent-change", methods=["POST"])
@access("owner")
@idempotent
@blp.arguments(PercentIn)
@blp.response(201, ChangedOut)
def percent_change(data: dict[str, Any], price_list_id: int) -> Any:
    """批量调价 Every break of the list (or of the SKUs given) up or down by a percentage."""
    count = price_lists.change_by_percent(
        price_list_id, data["percent_bp"], sku_ids=data["sku_ids"], actor_id=current_user().id
    )
    return {"price_list_id": price_list_id, "breaks_changed": count}


# ---------------------------------------------------------------- quotes


def quote(customer: Customer, channel: str, sku_ids: list[int], quantity: int) -> dict[str, Any]:
    """The customer's price now for each SKU at `quantity`, the rule that won and the last price
    they paid: three queries however many SKUs (SKUs, pricing, history)."""
    wanted = list(dict.fromkeys(sku_ids))
    skus = {s.id: s for s in Sku.select().where(Sku.id.in_(wanted))}
    missing = [s for s in wanted if s not in skus]
    if missing:
        raise UnknownSku(details={"sku_ids": missing})
    lines = [(skus[s], quantity) for s in wanted]
    prices = pricing.price_lines(customer, channel, lines)
    history = price_lists.last_paid_prices(customer.id, wanted)
    items = [
        {
            "sku_id": sku.id,
            "quantity": quantity,
            "unit_price_fen": price.unit_price_fen,
            "retail_price_fen": sku.price_fen,
            "rule": price.rule,
            "price_list_id": price.price_list_id,
            "min_quantity": price.min_quantity,
            "last_paid": history.get(sku.id),
        }
        for (sku, _), price in zip(lines, prices, strict=True)
    ]
    return {"customer_id": customer.id, "channel": channel, "items": items}


@blp.route("/customers/<int:customer_id>/prices", methods=["GET"])
@access(*STAFF)
@blp.arguments(QuoteArgs, location="query")
@blp.response(200, QuoteList)
def customer_prices(args: dict[str, Any], customer_id: int) -> Any:
    """客户价格 What this customer pays now for each SKU (`?sku_id=1&sku_id=2&quantity=`), which rule
    decided it, and the last price they paid (历史价). Billing at the counter unless `channel`."""
    customer = Customer.get_or_none(Customer.id == customer_id)
    if customer is None:
        raise UnknownCustomer(details={"customer_id": customer_id})
    return quote(customer, args["channel"] or "counter", args["sku_id"], args["quantity"])


@blp.route("/my/prices", methods=["GET"])
@access("distributor", "customer")
@blp.arguments(QuoteArgs, location="query")
@blp.response(200, QuoteList)
def my_prices(args: dict[str, Any]) -> Any:
    """我的价格 Your own price for each SKU at a quantity, and the last price you paid."""
    customer = catalog.customer_of_user(current_user().id)
    return quote(customer, pricing.channel_of(customer), args["sku_id"], args["quantity"])
