"""WeChat Pay API v3 (api.mch.weixin.qq.com), mounted under ``/pay``.

Every request must carry a valid merchant signature (else 401 SIGN_ERROR); every
response, errors and 204s included, is signed with the WeChat Pay public-key's private
half so wechatpayv3's verification passes. Errors are ``{"code", "message"}``.
"""

from __future__ import annotations

import hashlib
import json
from typing import Any
from urllib.parse import quote, unquote, urlsplit

from flask import Blueprint, Response, current_app, g, request

from . import bill as bills
from .signing import check_request_signature, parse_authorization, signature_headers
from .state import Bill, Order, SandboxState, random_token
from .transitions import (
    SandboxError,
    charge_payment_code,
    close_order,
    create_refund,
    new_prepay_id,
    parse_time_expire,
    refund_json,
    reverse_order,
    settle_due,
    transaction_json,
    wait_if_slowed,
)

PREFIX = "/pay"
bp = Blueprint("pay", __name__, url_prefix=PREFIX)


def _state() -> SandboxState:
    state: SandboxState = current_app.extensions["wechat_sandbox"]
    return state


def _json(status: int, payload: dict[str, Any] | None) -> Response:
    body = "" if payload is None else json.dumps(payload, ensure_ascii=False)
    response = Response(body, status=status)
    if payload is not None:
        response.headers["Content-Type"] = "application/json; charset=utf-8"
    else:
        response.headers.pop("Content-Type", None)
    return response


def _error(status: int, code: str, message: str) -> Response:
    return _json(status, {"code": code, "message": message})


@bp.errorhandler(SandboxError)
def _sandbox_error(exc: SandboxError) -> Response:
    return _error(exc.status, exc.code, exc.message)


# --- the protocol envelope ---------------------------------------------------------------------


def _signed_urls() -> list[str]:
    """The ``PATH?QUERY`` the client may have signed, relative to its gateway."""
    mount = request.script_root + PREFIX
    raw = request.environ.get("REQUEST_URI") or request.environ.get("RAW_URI") or ""
    raw_path = urlsplit(raw).path if raw else quote(request.script_root + request.path)
    candidates = {raw_path, unquote(raw_path)}
    query = request.query_string.decode("latin-1")
    urls = []
    for path in candidates:
        if path.startswith(mount):
            path = path[len(mount) :]
        urls.append(path + ("?" + query if query else ""))
        if query:
            urls.append(path + "?" + unquote(query))
    return urls


@bp.before_request
def _verify_merchant() -> Response | None:
    state = _state()
    fields = parse_authorization(request.headers.get("Authorization", ""))
    if fields is None:
        return _error(401, "SIGN_ERROR", "Authorization 缺失或认证类型不是 WECHATPAY2-SHA256-RSA2048")
    creds = state.credentials
    if fields.get("mchid") != creds.mchid:
        return _error(401, "SIGN_ERROR", "商户号与签名信息不匹配")
    if fields.get("serial_no") != creds.merchant_cert_serial:
        return _error(401, "SIGN_ERROR", "商户证书序列号有误")
    reason = check_request_signature(
        fields, state.merchant_public_key, request.method, _signed_urls(), request.get_data(as_text=True)
    )
    if reason is not None:
        return _error(401, "SIGN_ERROR", reason)
    serial = request.headers.get("Wechatpay-Serial")
    if serial and serial != creds.wechatpay_public_key_id:
        return _error(400, "PARAM_ERROR", "Wechatpay-Serial 与微信支付公钥ID不匹配")
    settle_due(state)
    return None


@bp.after_request
def _sign_response(response: Response) -> Response:
    if g.get("unsigned"):  # bill files: the client checks them by hash instead
        return response
    state = _state()
    body = response.get_data(as_text=True)
    headers = signature_headers(state.wechatpay_private_key, state.credentials.wechatpay_public_key_id, body)
    response.headers.update(headers)
    response.headers["Request-ID"] = random_token(32)
    return response


def _body() -> dict[str, Any]:
    data = request.get_json(force=True, silent=True)
    if not isinstance(data, dict):
        raise SandboxError(400, "PARAM_ERROR", "请求体不是合法的 JSON 对象")
    return data


def _check_mchid(value: Any) -> None:
    if value != _state().credentials.mchid:
        raise SandboxError(400, "PARAM_ERROR", "mchid 与请求商户号不一致")


# --- placing orders ----------------------------------------------------------------------------


def _new_order(state: SandboxState, body: dict[str, Any], trade_type: str) -> tuple[Order, bool]:
    """Record an order, or return the existing one for an identical resubmission."""
    creds = state.credentials
    _check_mchid(body.get("mchid"))
    if body.get("appid") != creds.appid:
        raise SandboxError(400, "PARAM_ERROR", "appid和mch_id不匹配")
    out_trade_no = body.get("out_trade_no")
    if not isinstance(out_trade_no, str) or not 6 <= len(out_trade_no) <= 32:
        raise SandboxError(400, "PARAM_ERROR", "out_trade_no 长度须为 6-32")
    if not isinstance(body.get("description"), str) or not body["description"]:
        raise SandboxError(400, "PARAM_ERROR", "description 必填")
    amount = body.get("amount")
    total = amount.get("total") if isinstance(amount, dict) else None
    if type(total) is not int or total <= 0:  # fen, a positive integer; never a float
        raise SandboxError(400, "PARAM_ERROR", "amount.total 必须是正整数（单位：分）")
    assert isinstance(amount, dict)
    payer = body.get("payer")
    openid = payer.get("openid") if isinstance(payer, dict) and trade_type == "JSAPI" else None
    if trade_type == "JSAPI" and not openid:
        raise SandboxError(400, "PARAM_ERROR", "JSAPI 下单必须提供 payer.openid")
    with state.lock:
        existing = state.orders.get(out_trade_no)
        if existing is not None:
            same = (
                existing.trade_type == trade_type
                and existing.total == total
                and existing.description == body["description"]
                and existing.payer_openid == openid
            )
            if existing.trade_state in ("SUCCESS", "REFUND"):
                raise SandboxError(400, "ORDERPAID", "该订单已支付")
            if existing.trade_state == "CLOSED":
                raise SandboxError(400, "ORDER_CLOSED", "订单已关闭")
            if not same:
                raise SandboxError(400, "OUT_TRADE_NO_USED", "商户订单号重复，且与原订单参数不一致")
            return existing, False
        order = Order(
            appid=creds.appid,
            mchid=creds.mchid,
            out_trade_no=out_trade_no,
            trade_type=trade_type,
            description=body["description"],
            total=total,
            currency=str(amount.get("currency") or "CNY"),
            notify_url=body.get("notify_url"),
            attach=body.get("attach"),
            created_at=state.now(),
            time_expire=parse_time_expire(body.get("time_expire")),
            payer_openid=openid,
        )
        state.orders[out_trade_no] = order
        return order, True


@bp.post("/v3/pay/transactions/jsapi")
def jsapi() -> Response:
    state = _state()
    wait_if_slowed(state, "jsapi")
    with state.lock:
        order, _ = _new_order(state, _body(), "JSAPI")
        order.prepay_id = order.prepay_id or new_prepay_id(state)
        return _json(200, {"prepay_id": order.prepay_id})


@bp.post("/v3/pay/transactions/native")
def native() -> Response:
    state = _state()
    wait_if_slowed(state, "native")
    with state.lock:
        order, _ = _new_order(state, _body(), "NATIVE")
        order.code_url = order.code_url or "weixin://wxpay/bizpayurl?pr=" + random_token(7)
        return _json(200, {"code_url": order.code_url})


@bp.post("/v3/pay/transactions/codepay")
def codepay() -> Response:
    state = _state()
    wait_if_slowed(state, "codepay")
    body = _body()
    payer = body.get("payer")
    auth_code = payer.get("auth_code") if isinstance(payer, dict) else None
    if not isinstance(auth_code, str) or not auth_code:
        raise SandboxError(400, "PARAM_ERROR", "payer.auth_code 必填")
    with state.lock:
        order, created = _new_order(state, body, "MICROPAY")
        order.notify_url = order.notify_url or state.codepay_notify_url
        if created:
            try:
                charge_payment_code(state, order, auth_code)
            except SandboxError as exc:
                if exc.code == "INVALID_REQUEST":  # bad code: nothing was charged, forget the order
                    del state.orders[order.out_trade_no]
                raise
        return _json(200, transaction_json(order))


# --- queries, close, reverse -------------------------------------------------------------------


@bp.get("/v3/pay/transactions/out-trade-no/<out_trade_no>")
def query_by_out_trade_no(out_trade_no: str) -> Response:
    state = _state()
    _check_mchid(request.args.get("mchid"))
    with state.lock:
        order = state.orders.get(out_trade_no)
        if order is None:
            raise SandboxError(404, "ORDER_NOT_EXIST", "订单不存在")
        return _json(200, transaction_json(order))


@bp.get("/v3/pay/transactions/id/<transaction_id>")
def query_by_transaction_id(transaction_id: str) -> Response:
    state = _state()
    _check_mchid(request.args.get("mchid"))
    with state.lock:
        order = state.order_by_transaction_id(transaction_id)
        if order is None:
            raise SandboxError(404, "ORDER_NOT_EXIST", "订单不存在")
        return _json(200, transaction_json(order))


@bp.post("/v3/pay/transactions/out-trade-no/<out_trade_no>/close")
def close(out_trade_no: str) -> Response:
    _check_mchid(_body().get("mchid"))
    close_order(_state(), out_trade_no)
    return _json(204, None)


@bp.post("/v3/pay/transactions/out-trade-no/<out_trade_no>/reverse")
def reverse(out_trade_no: str) -> Response:
    state = _state()
    body = _body()
    _check_mchid(body.get("mchid"))
    with state.lock:
        order = reverse_order(state, out_trade_no)
        return _json(
            200,
            {
                "appid": order.appid,
                "mchid": order.mchid,
                "out_trade_no": order.out_trade_no,
                "trade_state": order.trade_state,
                "recall": False,  # no need to call reverse again
            },
        )


# --- refunds -----------------------------------------------------------------------------------


@bp.post("/v3/refund/domestic/refunds")
def refund() -> Response:
    state = _state()
    wait_if_slowed(state, "refund")
    with state.lock:
        return _json(200, refund_json(create_refund(state, _body())))


@bp.get("/v3/refund/domestic/refunds/<out_refund_no>")
def query_refund(out_refund_no: str) -> Response:
    state = _state()
    with state.lock:
        found = state.refunds.get(out_refund_no)
        if found is None:
            raise SandboxError(404, "RESOURCE_NOT_EXISTS", "退款单不存在")
        return _json(200, refund_json(found))


# --- bills -------------------------------------------------------------------------------------


@bp.get("/v3/bill/tradebill")
def trade_bill() -> Response:
    state = _state()
    bill_date = request.args.get("bill_date", "")
    bill_type = request.args.get("bill_type", "ALL")
    if bill_type not in ("ALL", "SUCCESS", "REFUND"):
        raise SandboxError(400, "PARAM_ERROR", "bill_type 只能是 ALL / SUCCESS / REFUND")
    if len(bill_date) != 10 or bill_date > state.clock.datetime().strftime("%Y-%m-%d"):
        raise SandboxError(400, "PARAM_ERROR", "bill_date 格式错误或晚于今天")
    rows = bills.build_trade_bill(state, bill_date, bill_type)
    if rows is None:
        raise SandboxError(400, "NO_STATEMENT_EXIST", "账单文件不存在")
    gzipped = request.args.get("tar_type") == "GZIP"
    content = bills.render(rows, gzipped)
    token = random_token(40)
    with state.lock:
        state.bills[token] = Bill(token, content, gzipped)
    # Under our own base as the client reached it, so wechatpayv3's download_bill strips
    # its gateway prefix and signs a relative path.
    download_url = f"{request.url_root.rstrip('/')}{PREFIX}/v3/billdownload/file?token={token}"
    return _json(
        200,
        {"hash_type": "SHA1", "hash_value": hashlib.sha1(content).hexdigest(), "download_url": download_url},
    )


@bp.get("/v3/billdownload/file")
def download_bill() -> Response:
    state = _state()
    with state.lock:
        found = state.bills.get(request.args.get("token", ""))
    if found is None:
        raise SandboxError(404, "RESOURCE_NOT_EXISTS", "账单下载地址无效或已过期")
    g.unsigned = True
    return Response(found.content, status=200, mimetype="application/octet-stream")
