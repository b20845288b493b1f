"""The owner's dashboard: the day against yesterday and last week, sales over a range, top products
and customers, receivables aging, stock alerts, WeChat reconciliation. Owner only; read-only."""

from __future__ import annotations

from typing import Any

import marshmallow as ma

from backend.dashboard import services as dashboard
from backend.reports import services as reports
from miniprogram_api.api import Blueprint
from miniprogram_api.reports import AlertArgs, AlertOut
from miniprogram_api.security import access

blp = Blueprint("dashboard", __name__, url_prefix="/api/dashboard", description="老板看板 Owner dashboard")

_DAY = "YYYY-MM-DD, a business day in the merchant's time zone (YECAI_TIMEZONE)"


class DayArgs(ma.Schema):
    day = ma.fields.Date(load_default=None, metadata={"description": f"{_DAY}; default today"})


class RangeArgs(ma.Schema):
    first = ma.fields.Date(
        data_key="from",
        load_default=None,
        metadata={"description": f"first day, included ({_DAY}); default 29 days before `to`"},
    )
    last = ma.fields.Date(
        data_key="to",
        load_default=None,
        metadata={"description": f"last day, included ({_DAY}); default today"},
    )


class TopArgs(RangeArgs):
    limit = ma.fields.Integer(load_default=10, validate=ma.validate.Range(min=1, max=100))


class ReceivablesArgs(ma.Schema):
    as_of = ma.fields.Date(load_default=None, metadata={"description": f"{_DAY}; default today"})
    limit = ma.fields.Integer(load_default=20, validate=ma.validate.Range(min=1, max=100))


class FiguresOut(ma.Schema):
    sales_fen = ma.fields.Integer(metadata={"description": "what customers paid for the goods, VAT included"})
    revenue_fen = ma.fields.Integer(metadata={"description": "revenue booked (5001), net of VAT"})
    vat_fen = ma.fields.Integer(metadata={"description": "output VAT (2221)"})
    cogs_fen = ma.fields.Integer(metadata={"description": "cost of goods sold (5401)"})
    margin_fen = ma.fields.Integer(metadata={"description": "revenue less cost of goods sold"})
    orders = ma.fields.Integer(metadata={"description": "orders booked (paid or on account) less cancelled"})


class DayFiguresOut(FiguresOut):
    day = ma.fields.Date()


class SplitOut(FiguresOut):
    key = ma.fields.String(metadata={"description": "channel (counter, miniprogram, distributor) or method"})


class TodayOut(ma.Schema):
    today = ma.fields.Nested(DayFiguresOut)
    yesterday = ma.fields.Nested(DayFiguresOut)
    same_day_last_week = ma.fields.Nested(DayFiguresOut)


class SalesOut(ma.Schema):
    first = ma.fields.Date(data_key="from")
    last = ma.fields.Date(data_key="to")
    total = ma.fields.Nested(FiguresOut)
    days = ma.fields.List(ma.fields.Nested(DayFiguresOut), metadata={"description": "every day of the range"})
    by_channel = ma.fields.List(ma.fields.Nested(SplitOut))
    by_method = ma.fields.List(
        ma.fields.Nested(SplitOut),
        metadata={
            "description": "cash, wechat, stored_value, bank_transfer, on_account (cost of goods not split)"
        },
    )


class TopProductOut(ma.Schema):
    sku_id = ma.fields.Integer()
    sku_name = ma.fields.String()
    product_name = ma.fields.String()
    quantity = ma.fields.Integer()
    sales_fen = ma.fields.Integer()


class TopCustomerOut(ma.Schema):
    customer_id = ma.fields.Integer()
    name = ma.fields.String()
    kind = ma.fields.String()
    sales_fen = ma.fields.Integer()
    orders = ma.fields.Integer()


class TopOut(ma.Schema):
    first = ma.fields.Date(data_key="from")
    last = ma.fields.Date(data_key="to")
    products = ma.fields.List(ma.fields.Nested(TopProductOut))
    customers = ma.fields.List(ma.fields.Nested(TopCustomerOut))


class OverdueOut(ma.Schema):
    customer_id = ma.fields.Integer()
    name = ma.fields.String()
    phone = ma.fields.String(allow_none=True)
    overdue_fen = ma.fields.Integer()
    open_fen = ma.fields.Integer()
    oldest_due_on = ma.fields.Date()


class ReceivablesOut(ma.Schema):
    as_of = ma.fields.Date()
    total_open_fen = ma.fields.Integer()
    total_overdue_fen = ma.fields.Integer()
    open_invoices = ma.fields.Integer()
    buckets = ma.fields.Dict(
        keys=ma.fields.String(),
        values=ma.fields.Integer(),
        metadata={"description": "fen by days past due: current, 1_30, 31_60, 61_90, over_90"},
    )
    overdue = ma.fields.List(ma.fields.Nested(OverdueOut), metadata={"description": "most overdue first"})


class ReconciliationDayOut(ma.Schema):
    day = ma.fields.Date()
    status = ma.fields.String(metadata={"description": "reconciled | differences | not_yet"})
    difference_count = ma.fields.Integer()
    wechat_paid_fen = ma.fields.Integer()
    wechat_refunded_fen = ma.fields.Integer()


class ReconciliationOut(ma.Schema):
    days = ma.fields.List(ma.fields.Nested(ReconciliationDayOut), metadata={"description": "newest first"})


@blp.route("/today", methods=["GET"])
@access("owner")
@blp.arguments(DayArgs, location="query")
@blp.response(200, TodayOut)
def today(args: dict[str, Any]) -> Any:
    """今日对比 A business day's sales, margin and orders against the day before and a week before."""
    return dashboard.today_against(args["day"])


@blp.route("/sales", methods=["GET"])
@access("owner")
@blp.arguments(RangeArgs, location="query")
@blp.response(200, SalesOut)
def sales(args: dict[str, Any]) -> Any:
    """销售趋势 Sales, margin and orders per business day over a range, by channel and payment method."""
    return dashboard.sales_range(*dashboard.check_range(args["first"], args["last"]))


@blp.route("/top", methods=["GET"])
@access("owner")
@blp.arguments(TopArgs, location="query")
@blp.response(200, TopOut)
def top(args: dict[str, Any]) -> Any:
    """畅销商品与大客户 Top products and customers over a range, by sales (VAT included)."""
    first, last = dashboard.check_range(args["first"], args["last"])
    return {
        "first": first,
        "last": last,
        "products": dashboard.top_products(first, last, args["limit"]),
        "customers": dashboard.top_customers(first, last, args["limit"]),
    }


@blp.route("/receivables", methods=["GET"])
@access("owner")
@blp.arguments(ReceivablesArgs, location="query")
@blp.response(200, ReceivablesOut)
def receivables(args: dict[str, Any]) -> Any:
    """应收与逾期 Open receivables, their aging and the customers most overdue."""
    return dashboard.receivables(args["as_of"], args["limit"])


@blp.route("/stock-alerts", methods=["GET"])
@access("owner")
@blp.arguments(AlertArgs, location="query")
@blp.response(200, AlertOut(many=True))
def stock_alerts(args: dict[str, Any]) -> Any:
    """库存预警 Products on sale with fewer than `below` units available, scarcest first."""
    return reports.stock_alerts(args["below"])


@blp.route("/reconciliation", methods=["GET"])
@access("owner")
@blp.arguments(RangeArgs, location="query")
@blp.response(200, ReconciliationOut)
def reconciliation(args: dict[str, Any]) -> Any:
    """微信对账 Each day up to yesterday: reconciled with WeChat's bill, with differences, or not yet."""
    return {"days": dashboard.reconciliation_days(*dashboard.check_range(args["first"], args["last"]))}
