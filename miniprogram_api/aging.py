"""Receivables aging as of any business day (staff and owner): JSON, PDF and Excel."""

from __future__ import annotations

import datetime as dt
from typing import Any

import marshmallow as ma
from flask import Response

from backend import clock
from backend.kernel.models import Customer
from backend.receivables import aging, aging_export
from backend.receivables.errors import UnknownCustomer
from miniprogram_api.api import Blueprint
from miniprogram_api.pagination import MAX_LIMIT, decode_cursor, encode_cursor
from miniprogram_api.security import STAFF, access

blp = Blueprint("aging", __name__, url_prefix="/api/receivables", description="应收账龄 Receivables aging")

_DAY = "YYYY-MM-DD, a business day in the merchant's time zone (YECAI_TIMEZONE)"


class AsOfAgingArgs(ma.Schema):
    as_of = ma.fields.Date(
        load_default=None,
        metadata={"description": f"{_DAY}; default today. What was open at the end of that day"},
    )
    customer_id = ma.fields.Integer(load_default=None, validate=ma.validate.Range(min=1))
    buckets = ma.fields.String(
        load_default=None,
        validate=ma.validate.Length(max=100),
        metadata={
            "description": "upper bounds in days past due, ascending, at most 8: `30,60,90` (the default) "
            "makes current, 1_30, 31_60, 61_90, over_90"
        },
    )
    detail = ma.fields.String(
        load_default="customer",
        validate=ma.validate.OneOf(["customer", "invoice"]),
        metadata={"description": "`invoice` adds the open invoices, a page at a time (limit, cursor)"},
    )


class PagedAgingArgs(AsOfAgingArgs):
    limit = ma.fields.Integer(load_default=50, validate=ma.validate.Range(min=1, max=MAX_LIMIT))
    cursor = ma.fields.String(load_default=None, validate=ma.validate.Length(max=100))


class AgingBucketOut(ma.Schema):
    key = ma.fields.String()
    label = ma.fields.String()
    first_day = ma.fields.Integer(allow_none=True, metadata={"description": "days past due; null: not due"})
    last_day = ma.fields.Integer(allow_none=True, metadata={"description": "null: and older"})
    open_fen = ma.fields.Integer()


class CustomerAgingOut(ma.Schema):
    customer_id = ma.fields.Integer()
    name = ma.fields.String()
    phone = ma.fields.String(allow_none=True)
    open_fen = ma.fields.Integer()
    overdue_fen = ma.fields.Integer()
    invoices = ma.fields.Integer()
    oldest_due_on = ma.fields.Date(allow_none=True)
    buckets = ma.fields.Dict(keys=ma.fields.String(), values=ma.fields.Integer())


class InvoiceAgingOut(ma.Schema):
    invoice_id = ma.fields.Integer()
    customer_id = ma.fields.Integer()
    customer_name = ma.fields.String()
    order_id = ma.fields.Integer(allow_none=True)
    issued_on = ma.fields.Date()
    due_on = ma.fields.Date()
    amount_fen = ma.fields.Integer()
    open_fen = ma.fields.Integer(metadata={"description": "open as of the day"})
    days_overdue = ma.fields.Integer(metadata={"description": "negative: days until due"})
    bucket = ma.fields.String()


class AgingInvoicePageOut(ma.Schema):
    items = ma.fields.List(ma.fields.Nested(InvoiceAgingOut))
    next_cursor = ma.fields.String(allow_none=True)


class AsOfAgingOut(ma.Schema):
    as_of = ma.fields.Date()
    total_open_fen = ma.fields.Integer()
    total_overdue_fen = ma.fields.Integer()
    open_invoices = ma.fields.Integer()
    buckets = ma.fields.List(ma.fields.Nested(AgingBucketOut))
    customers = ma.fields.List(ma.fields.Nested(CustomerAgingOut))
    invoices = ma.fields.Nested(AgingInvoicePageOut, allow_none=True)


def _options(args: dict[str, Any]) -> tuple[dt.date, int | None, tuple[int, ...]]:
    boundaries = aging.parse_boundaries(args["buckets"])
    customer_id = args["customer_id"]
    if customer_id is not None and not Customer.select().where(Customer.id == customer_id).exists():
        raise UnknownCustomer(details={"customer_id": customer_id})
    return args["as_of"] or clock.today(), customer_id, boundaries


@blp.route("/aging", methods=["GET"])
@access(*STAFF)
@blp.arguments(PagedAgingArgs, location="query")
@blp.response(200, AsOfAgingOut)
def receivables_aging(args: dict[str, Any]) -> Any:
    """应收账龄 What was open at the end of a business day, by days past due: totals per bucket, per
    customer (most overdue first), and with `detail=invoice` the open invoices, newest first, paged."""
    as_of, customer_id, boundaries = _options(args)
    before = decode_cursor(args["cursor"]) if args["cursor"] else None
    report = aging.aging(as_of, customer_id=customer_id, boundaries=boundaries)
    invoices = None
    if args["detail"] == "invoice":
        rows = aging.invoice_rows(
            as_of, customer_id=customer_id, boundaries=boundaries, before_id=before, limit=args["limit"] + 1
        )
        more = len(rows) > args["limit"]
        rows = rows[: args["limit"]]
        invoices = {"items": rows, "next_cursor": encode_cursor(rows[-1].invoice_id) if more else None}
    return {
        "as_of": report.as_of,
        "total_open_fen": report.open_fen,
        "total_overdue_fen": report.overdue_fen,
        "open_invoices": report.invoices,
        "buckets": report.bucket_list,
        "customers": report.customers,
        "invoices": invoices,
    }


def _download(data: bytes, mimetype: str, as_of: dt.date, suffix: str) -> Response:
    response = Response(data, mimetype=mimetype)
    response.headers["Content-Disposition"] = f'attachment; filename="aging-{as_of.isoformat()}.{suffix}"'
    return response


@blp.route("/aging.pdf", methods=["GET"])
@access(*STAFF)
@blp.arguments(AsOfAgingArgs, location="query")
@blp.binary_response("application/pdf", "账龄表 PDF")
def receivables_aging_pdf(args: dict[str, Any]) -> Response:
    """账龄表 PDF The same aging as a PDF (per customer; every open invoice with `detail=invoice`)."""
    as_of, customer_id, boundaries = _options(args)
    data = aging_export.aging_pdf(
        as_of, customer_id=customer_id, boundaries=boundaries, detail=args["detail"] == "invoice"
    )
    return _download(data, "application/pdf", as_of, "pdf")


XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


@blp.route("/aging.xlsx", methods=["GET"])
@access(*STAFF)
@blp.arguments(AsOfAgingArgs, location="query")
@blp.binary_response(XLSX, "账龄表 Excel")
def receivables_aging_xlsx(args: dict[str, Any]) -> Response:
    """账龄表 Excel The same aging as a workbook (a sheet per customer; invoices with `detail=invoice`)."""
    as_of, customer_id, boundaries = _options(args)
    data = aging_export.aging_xlsx(
        as_of, customer_id=customer_id, boundaries=boundaries, detail=args["detail"] == "invoice"
    )
    return _download(data, XLSX, as_of, "xlsx")
