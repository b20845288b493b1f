"""WeChat Pay's notification endpoint. Public (WeChat calls it), authenticated by its signature.

Answers WeChat's way, not ours: 204 with no body when handled (stops retries), or 4xx/5xx with
`{"code": "FAIL", "message": ...}` (WeChat retries on its schedule).
"""

from __future__ import annotations

import json

import marshmallow as ma
from flask import Response, request

from miniprogram_api.api import Blueprint
from miniprogram_api.security import PUBLIC, access
from payments import notifications
from payments.wechat import NOTIFY_PATH


class WechatFailOut(ma.Schema):
    """WeChat's own error shape, which its retry logic reads (not the API's error shape)."""

    code = ma.fields.String(metadata={"description": "FAIL"})
    message = ma.fields.String()


blp = Blueprint("wechat_notify", __name__, description="微信支付回调 WeChat Pay notifications")


@blp.route(NOTIFY_PATH, methods=["POST"])
@access(PUBLIC)
@blp.response(204, description="handled (WeChat stops retrying)")
@blp.alt_response(400, schema=WechatFailOut, description="refused: does not match our records")
@blp.alt_response(401, schema=WechatFailOut, description="refused: bad signature")
@blp.alt_response(500, schema=WechatFailOut, description="not handled now (WeChat retries)")
def wechat_pay_notify() -> Response:
    """微信支付结果/退款结果通知 Payment and refund notifications from WeChat Pay (signed)."""
    reply = notifications.handle(dict(request.headers), request.get_data())
    if reply.body is None:
        return Response(status=reply.status)
    return Response(
        json.dumps(reply.body, ensure_ascii=False), status=reply.status, mimetype="application/json"
    )
