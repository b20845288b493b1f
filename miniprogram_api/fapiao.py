"""Fapiao (发票) requests: a customer or distributor asks for one on their own order (or the order behind
their invoice) with the title wx.chooseInvoiceTitle gave them; staff see every request; the file once
issued."""

from __future__ import annotations

from typing import Any

import marshmallow as ma
from flask import Response

from miniprogram_api.api import Blueprint
from miniprogram_api.idempotency import idempotent
from miniprogram_api.pagination import PageArgs, page, page_schema
from miniprogram_api.security import STAFF, access, current_user
from miniprogram_api.timestamps import Timestamp
from store import catalog
from store.fapiao import services as fapiao
from store.fapiao.models import STATUSES, FapiaoRequest

blp = Blueprint("fapiao", __name__, url_prefix="/api", description="发票 Fapiao")

BUYERS = ("customer", "distributor")


class WxInvoiceTitle(ma.Schema):
    """What wx.chooseInvoiceTitle answers, passed on as it is (errMsg and anything else is ignored)."""

    class Meta:
        unknown = ma.EXCLUDE

    type = ma.fields.Raw(
        required=True,
        metadata={
            "description": '"0" company 单位 or "1" person 个人 (a number is accepted too)',
            "anyOf": [{"type": "string", "enum": ["0", "1"]}, {"type": "integer", "enum": [0, 1]}],
        },
    )
    title = ma.fields.String(required=True, metadata={"description": "抬头名称"})
    taxNumber = ma.fields.String(
        load_default="", metadata={"description": "税号: 统一社会信用代码, 18 characters"}
    )
    companyAddress = ma.fields.String(load_default="")
    telephone = ma.fields.String(load_default="")
    bankName = ma.fields.String(load_default="")
    bankAccount = ma.fields.String(load_default="")


class FapiaoRequestIn(ma.Schema):
    order_id = ma.fields.Integer(strict=True, load_default=None, metadata={"description": "your own order"})
    invoice_id = ma.fields.Integer(
        strict=True, load_default=None, metadata={"description": "or your own invoice (its order)"}
    )
    title = ma.fields.Nested(WxInvoiceTitle, required=True)


class FapiaoRequestOut(ma.Schema):
    id = ma.fields.Integer()
    customer_id = ma.fields.Integer()
    order_id = ma.fields.Integer()
    invoice_id = ma.fields.Integer(allow_none=True)
    kind = ma.fields.String(metadata={"description": "blue 蓝字 | red 红字 (reverses blue_id on a refund)"})
    blue_id = ma.fields.Integer(allow_none=True)
    buyer_type = ma.fields.Integer(metadata={"description": "0 company, 1 person"})
    title = ma.fields.String()
    tax_number = ma.fields.String()
    amount_fen = ma.fields.Integer(metadata={"description": "VAT included (价税合计)"})
    vat_fen = ma.fields.Integer()
    status = ma.fields.String(metadata={"description": "queued | issued | failed"})
    number = ma.fields.String(allow_none=True, metadata={"description": "发票号码 once issued"})
    failure = ma.fields.String()
    file_url = ma.fields.Function(
        lambda r: f"/api/fapiao-requests/{r.id}/file" if r.status == "issued" else None,
        allow_none=True,
        metadata={"type": "string", "nullable": True},
    )
    created_at = Timestamp()
    issued_at = Timestamp(allow_none=True)


FapiaoPage = page_schema(FapiaoRequestOut, "FapiaoRequestPage")


class StaffListArgs(PageArgs):
    status = ma.fields.String(load_default=None, validate=ma.validate.OneOf(STATUSES))


def _me() -> int:
    return int(catalog.customer_of_user(current_user().id).id)


@blp.route("/fapiao-requests", methods=["POST"])
@access(*BUYERS)
@idempotent
@blp.arguments(FapiaoRequestIn)
@blp.response(201, FapiaoRequestOut)
def request_fapiao(data: dict[str, Any]) -> Any:
    """申请发票 Ask for a fapiao on your own order (or invoice) with the title from wx.chooseInvoiceTitle.
    Issued shortly after; one per order (a second is a 409)."""
    return fapiao.request_fapiao(
        _me(),
        data["title"],
        order_id=data["order_id"],
        invoice_id=data["invoice_id"],
        actor_id=current_user().id,
    )


@blp.route("/my/fapiao-requests", methods=["GET"])
@access(*BUYERS)
@blp.arguments(PageArgs, location="query")
@blp.response(200, FapiaoPage)
def my_fapiao_requests(args: dict[str, Any]) -> Any:
    """我的发票 Your fapiao requests (and the red-letter ones a refund made), newest first."""
    return page(fapiao.mine(_me()), FapiaoRequest.id, args)


@blp.route("/fapiao-requests", methods=["GET"])
@access(*STAFF)
@blp.arguments(StaffListArgs, location="query")
@blp.response(200, FapiaoPage)
def list_fapiao_requests(args: dict[str, Any]) -> Any:
    """发票申请 Every fapiao request (filter by `status`), newest first."""
    return page(fapiao.listing(args["status"]), FapiaoRequest.id, args)


@blp.route("/fapiao-requests/<int:fapiao_request_id>/file", methods=["GET"])
@access(*BUYERS, *STAFF)
@blp.binary_response("application/pdf", "发票 PDF")
def fapiao_file(fapiao_request_id: int) -> Response:
    """发票文件 The issued fapiao's PDF (your own; staff: any)."""
    user = current_user()
    customer_id = None if user.role in STAFF else _me()
    found = fapiao.file_of(fapiao_request_id, customer_id)
    response = Response(found.content, mimetype=found.content_type)
    response.headers["Content-Disposition"] = f'inline; filename="{found.name}"'
    return response
