"""The owner's phone: today's sales and margin, receivables aging and overdue customers, stock alerts."""

from __future__ import annotations

from typing import Any

import marshmallow as ma

from backend.receivables import aging
from backend.reports import services as reports
from miniprogram_api.api import Blueprint
from miniprogram_api.security import STAFF, access

blp = Blueprint("reports", __name__, url_prefix="/api/reports", description="经营报表 Owner reports")


class DayArgs(ma.Schema):
    day = ma.fields.Date(
        load_default=None,
        metadata={
            "description": "YYYY-MM-DD, a day in the merchant's time zone (YECAI_TIMEZONE); default today"
        },
    )


class DaySalesOut(ma.Schema):
    day = ma.fields.Date()
    orders = ma.fields.Integer()
    revenue_fen = ma.fields.Integer(metadata={"description": "net of VAT, after refunds"})
    output_vat_fen = ma.fields.Integer()
    cogs_fen = ma.fields.Integer()
    gross_margin_fen = ma.fields.Integer()


class AgingArgs(ma.Schema):
    as_of = ma.fields.Date(load_default=None)
    overdue_only = ma.fields.Boolean(load_default=False)


class AgingRowOut(ma.Schema):
    customer_id = ma.fields.Integer()
    name = ma.fields.String()
    open_fen = ma.fields.Integer()
    overdue_fen = ma.fields.Integer()
    oldest_due_on = ma.fields.Date(allow_none=True)
    buckets = ma.fields.Dict(
        keys=ma.fields.String(),
        values=ma.fields.Integer(),
        metadata={"description": "fen by days past due: current, 1_30, 31_60, 61_90, over_90"},
    )


class AgingOut(ma.Schema):
    total_open_fen = ma.fields.Integer()
    total_overdue_fen = ma.fields.Integer()
    customers = ma.fields.List(ma.fields.Nested(AgingRowOut))


class AlertArgs(ma.Schema):
    below = ma.fields.Integer(load_default=10, validate=ma.validate.Range(min=1, max=1_000_000))


class AlertOut(ma.Schema):
    sku_id = ma.fields.Integer()
    sku_name = ma.fields.String()
    warehouse_id = ma.fields.Integer()
    on_hand = ma.fields.Integer()
    reserved = ma.fields.Integer()
    available = ma.fields.Integer()


@blp.route("/sales", methods=["GET"])
@access("owner")
@blp.arguments(DayArgs, location="query")
@blp.response(200, DaySalesOut)
def sales(args: dict[str, Any]) -> Any:
    """当日销售与毛利 A day's sales, output VAT, cost of goods sold and gross margin, from the books."""
    return reports.day_sales(args["day"])


@blp.route("/receivables-aging", methods=["GET"])
@access("owner")
@blp.arguments(AgingArgs, location="query")
@blp.response(200, AgingOut)
def receivables_aging(args: dict[str, Any]) -> Any:
    """应收账龄 Open receivables by customer and days past due; most overdue first. Kept for existing
    callers: the same figures as `GET /api/receivables/aging` with the default buckets."""
    rows = aging.aging(args["as_of"]).customers
    if args["overdue_only"]:
        rows = [r for r in rows if r.overdue_fen > 0]
    return {
        "total_open_fen": sum(r.open_fen for r in rows),
        "total_overdue_fen": sum(r.overdue_fen for r in rows),
        "customers": rows,
    }


@blp.route("/stock-alerts", methods=["GET"])
@access(*STAFF)
@blp.arguments(AlertArgs, location="query")
@blp.response(200, AlertOut(many=True))
def stock_alerts(args: dict[str, Any]) -> Any:
    """库存预警 Products on sale with fewer than `below` units available."""
    return reports.stock_alerts(args["below"])
