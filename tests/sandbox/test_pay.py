"""WeChat Pay v3 through the unmodified wechatpayv3 client: signed both ways."""

from __future__ import annotations

import json

import pytest
import requests
from wechatpayv3 import WeChatPayType

from payments.sandbox.credentials import generate_credentials
from payments.sandbox.testing import RunningSandbox
from payments.wechatpay_client import WeChatPaySettings, make_pay_client

NOTIFY = "http://127.0.0.1:9/notify"  # nothing listens: these tests do not deliver


def _jsapi(sandbox: RunningSandbox, out_trade_no: str, total: int, openid: str) -> str:
    pay = sandbox.pay_client(NOTIFY)
    code, text = pay.pay(
        description="草莓 2 盒",
        out_trade_no=out_trade_no,
        amount={"total": total},
        payer={"openid": openid},
        pay_type=WeChatPayType.JSAPI,
    )
    assert code == 200, text
    prepay_id: str = json.loads(text)["prepay_id"]
    return prepay_id


def test_jsapi_order_paid_and_queried_both_ways(sandbox: RunningSandbox) -> None:
    pay = sandbox.pay_client(NOTIFY)
    openid = sandbox.login_code().openid
    prepay_id = _jsapi(sandbox, "SO20240501001", 2590, openid)
    assert prepay_id.startswith("wx")

    code, text = pay.query(out_trade_no="SO20240501001")
    assert code == 200
    before = json.loads(text)
    assert before["trade_state"] == "NOTPAY"
    assert "transaction_id" not in before

    sandbox.approve(prepay_id, openid)

    code, text = pay.query(out_trade_no="SO20240501001")
    paid = json.loads(text)
    assert code == 200
    assert paid["trade_state"] == "SUCCESS"
    assert paid["trade_type"] == "JSAPI"
    assert paid["amount"] == {"total": 2590, "payer_total": 2590, "currency": "CNY", "payer_currency": "CNY"}
    assert paid["payer"] == {"openid": openid}
    assert paid["appid"] == sandbox.credentials.appid and paid["mchid"] == sandbox.credentials.mchid
    assert len(paid["transaction_id"]) == 28

    code, text = pay.query(transaction_id=paid["transaction_id"])
    assert code == 200
    assert json.loads(text) == paid


def test_resubmitting_the_same_order_gives_the_same_prepay_id(sandbox: RunningSandbox) -> None:
    openid = sandbox.login_code().openid
    assert _jsapi(sandbox, "SO-same-1", 100, openid) == _jsapi(sandbox, "SO-same-1", 100, openid)


def test_duplicate_out_trade_no_with_another_amount_is_refused(sandbox: RunningSandbox) -> None:
    pay = sandbox.pay_client(NOTIFY)
    openid = sandbox.login_code().openid
    _jsapi(sandbox, "SO-dup-1", 100, openid)
    code, text = pay.pay(
        description="草莓 2 盒", out_trade_no="SO-dup-1", amount={"total": 101}, payer={"openid": openid}
    )
    assert code == 400
    assert json.loads(text)["code"] == "OUT_TRADE_NO_USED"
    assert sandbox.state.orders["SO-dup-1"].total == 100


def test_float_amounts_are_refused(sandbox: RunningSandbox) -> None:
    pay = sandbox.pay_client(NOTIFY)
    code, text = pay.pay(
        description="x", out_trade_no="SO-float-1", amount={"total": 1.5}, payer={"openid": "o1"}
    )
    assert code == 400
    assert json.loads(text)["code"] == "PARAM_ERROR"
    assert sandbox.state.orders == {}


def test_native_code_url_scanned_and_paid(sandbox: RunningSandbox) -> None:
    pay = sandbox.pay_client(NOTIFY)
    code, text = pay.pay(
        description="柜台收款", out_trade_no="POS-0001", amount={"total": 1200}, pay_type=WeChatPayType.NATIVE
    )
    assert code == 200
    code_url = json.loads(text)["code_url"]
    assert code_url.startswith("weixin://wxpay/bizpayurl?pr=")

    openid = sandbox.login_code().openid
    sandbox.scan_and_pay(code_url, openid)

    code, text = pay.query(out_trade_no="POS-0001")
    paid = json.loads(text)
    assert (paid["trade_state"], paid["trade_type"], paid["payer"]["openid"]) == ("SUCCESS", "NATIVE", openid)


def test_close_answers_a_signed_204_and_a_closed_order_cannot_be_paid(sandbox: RunningSandbox) -> None:
    pay = sandbox.pay_client(NOTIFY)
    openid = sandbox.login_code().openid
    prepay_id = _jsapi(sandbox, "SO-close-1", 500, openid)

    # wechatpayv3 verifies the response signature of the empty 204 body (it raises otherwise).
    code, body = pay.close(out_trade_no="SO-close-1")
    assert (code, body) == (204, b"")

    code, text = pay.query(out_trade_no="SO-close-1")
    assert json.loads(text)["trade_state"] == "CLOSED"

    with pytest.raises(Exception, match="ORDER_CLOSED"):
        sandbox.approve(prepay_id, openid)
    assert sandbox.state.orders["SO-close-1"].trade_state == "CLOSED"


def test_codepay_userpaying_then_success(sandbox: RunningSandbox) -> None:
    pay = sandbox.pay_client()
    openid = sandbox.login_code().openid
    auth_code = sandbox.payment_code(openid, "userpaying_then_success", userpaying_seconds=10)

    code, text = pay.pay(
        description="柜台收款",
        out_trade_no="POS-CODE-1",
        amount={"total": 888},
        payer={"auth_code": auth_code},
        scene_info={"store_info": {"out_id": "S1"}},
        pay_type=WeChatPayType.CODEPAY,
    )
    assert code == 200
    first = json.loads(text)
    assert first["trade_state"] == "USERPAYING"

    sandbox.advance(9)
    assert json.loads(pay.query(out_trade_no="POS-CODE-1")[1])["trade_state"] == "USERPAYING"
    sandbox.advance(1)
    done = json.loads(pay.query(out_trade_no="POS-CODE-1")[1])
    assert (done["trade_state"], done["trade_type"], done["amount"]["total"]) == ("SUCCESS", "MICROPAY", 888)
    assert done["transaction_id"] == first["transaction_id"]


def test_codepay_immediate_success_fail_and_insufficient_funds(sandbox: RunningSandbox) -> None:
    pay = sandbox.pay_client()

    def charge(no: str, auth_code: str) -> tuple[int, dict[str, str]]:
        code, text = pay.pay(
            description="柜台收款",
            out_trade_no=no,
            amount={"total": 300},
            payer={"auth_code": auth_code},
            pay_type=WeChatPayType.CODEPAY,
        )
        return code, json.loads(text)

    code, body = charge("POS-OK-01", sandbox.payment_code())
    assert (code, body["trade_state"]) == (200, "SUCCESS")

    code, body = charge("POS-FAIL-1", sandbox.payment_code(behaviour="userpaying_then_fail"))
    assert (code, body["trade_state"]) == (200, "USERPAYING")
    sandbox.advance(10)
    assert json.loads(pay.query(out_trade_no="POS-FAIL-1")[1])["trade_state"] == "PAYERROR"

    code, body = charge("POS-POOR-1", sandbox.payment_code(behaviour="insufficient_funds"))
    assert (code, body["code"]) == (403, "NOTENOUGH")
    assert json.loads(pay.query(out_trade_no="POS-POOR-1")[1])["trade_state"] == "PAYERROR"

    used = next(iter(sandbox.state.payment_codes))
    code, body = charge("POS-AGAIN-1", used)
    assert (code, body["code"]) == (400, "INVALID_REQUEST")
    assert "POS-AGAIN-1" not in sandbox.state.orders


def test_codepay_reverse(sandbox: RunningSandbox) -> None:
    pay = sandbox.pay_client()
    auth_code = sandbox.payment_code(behaviour="userpaying_then_success")
    pay.pay(
        description="柜台收款",
        out_trade_no="POS-REV-1",
        amount={"total": 450},
        payer={"auth_code": auth_code},
        pay_type=WeChatPayType.CODEPAY,
    )
    code, text = pay.codepay_reverse(out_trade_no="POS-REV-1")
    assert code == 200
    assert json.loads(text)["trade_state"] == "REVOKED"
    sandbox.advance(60)  # the payer finishing later changes nothing any more
    assert json.loads(pay.query(out_trade_no="POS-REV-1")[1])["trade_state"] == "REVOKED"


def test_refund_processing_then_success(sandbox: RunningSandbox) -> None:
    pay = sandbox.pay_client(NOTIFY)
    openid = sandbox.login_code().openid
    sandbox.approve(_jsapi(sandbox, "SO-REF-1", 2000, openid), openid)

    code, text = pay.refund(
        out_refund_no="RF-1",
        amount={"refund": 500, "total": 2000, "currency": "CNY"},
        out_trade_no="SO-REF-1",
    )
    assert code == 200
    created = json.loads(text)
    assert created["status"] == "PROCESSING"
    assert (created["amount"]["refund"], created["amount"]["total"]) == (500, 2000)

    code, text = pay.refund(
        out_refund_no="RF-2",
        amount={"refund": 1501, "total": 2000, "currency": "CNY"},
        out_trade_no="SO-REF-1",
    )
    assert (code, json.loads(text)["code"]) == (400, "NOT_ENOUGH")
    assert "RF-2" not in sandbox.state.refunds

    assert json.loads(pay.query_refund("RF-1")[1])["status"] == "PROCESSING"
    sandbox.advance(5)
    done = json.loads(pay.query_refund("RF-1")[1])
    assert done["status"] == "SUCCESS"
    assert done["refund_id"] == created["refund_id"]
    assert "success_time" in done
    assert json.loads(pay.query(out_trade_no="SO-REF-1")[1])["trade_state"] == "REFUND"

    # The rest can still be refunded, exactly.
    code, text = pay.refund(
        out_refund_no="RF-3",
        amount={"refund": 1500, "total": 2000, "currency": "CNY"},
        out_trade_no="SO-REF-1",
    )
    assert code == 200


def test_refund_of_unpaid_order_is_refused(sandbox: RunningSandbox) -> None:
    pay = sandbox.pay_client(NOTIFY)
    _jsapi(sandbox, "SO-UNPAID", 100, "oX")
    code, text = pay.refund(out_refund_no="RF-U", amount={"refund": 100, "total": 100, "currency": "CNY"},
                            out_trade_no="SO-UNPAID")  # fmt: skip
    assert (code, json.loads(text)["code"]) == (400, "INVALID_REQUEST")


def test_unknown_order_is_404(sandbox: RunningSandbox) -> None:
    code, text = sandbox.pay_client().query(out_trade_no="NOPE-0001")
    assert (code, json.loads(text)["code"]) == (404, "ORDER_NOT_EXIST")


def test_bad_merchant_signature_is_401(sandbox: RunningSandbox) -> None:
    other = generate_credentials()
    c = sandbox.credentials
    # Right mchid and serial, but signed with a key that is not the merchant's.
    forged = make_pay_client(
        WeChatPaySettings(
            mchid=c.mchid,
            appid=c.appid,
            private_key_pem=other.merchant_private_key_pem,
            cert_serial_no=c.merchant_cert_serial,
            apiv3_key=c.apiv3_key,
            public_key_pem=c.wechatpay_public_key_pem,
            public_key_id=c.wechatpay_public_key_id,
            base_url=sandbox.pay_base,
        )
    )
    code, text = forged.query(out_trade_no="SO-anything")
    assert (code, json.loads(text)["code"]) == (401, "SIGN_ERROR")

    response = requests.get(
        sandbox.pay_base + "/v3/pay/transactions/out-trade-no/SO-x?mchid=" + c.mchid, timeout=5
    )
    assert response.status_code == 401
    assert response.json()["code"] == "SIGN_ERROR"
    # Even errors are signed.
    assert response.headers["Wechatpay-Serial"] == c.wechatpay_public_key_id


def test_responses_fail_verification_with_another_wechatpay_key(sandbox: RunningSandbox) -> None:
    other = generate_credentials()
    c = sandbox.credentials
    client = make_pay_client(
        WeChatPaySettings(
            mchid=c.mchid,
            appid=c.appid,
            private_key_pem=c.merchant_private_key_pem,
            cert_serial_no=c.merchant_cert_serial,
            apiv3_key=c.apiv3_key,
            public_key_pem=other.wechatpay_public_key_pem,
            public_key_id=c.wechatpay_public_key_id,
            base_url=sandbox.pay_base,
        )
    )
    _jsapi(sandbox, "SO-VERIFY", 100, "oX")
    with pytest.raises(Exception, match="failed to verify the signature"):
        client.query(out_trade_no="SO-VERIFY")


def test_mounted_under_a_prefix(credentials: object) -> None:
    """The demo mounts the sandbox at /sandbox: signatures use the path relative to the gateway."""
    import threading

    from werkzeug.middleware.dispatcher import DispatcherMiddleware
    from werkzeug.serving import make_server
    from werkzeug.wrappers import Response

    from payments.sandbox import create_sandbox_app
    from payments.sandbox.testing import running_sandbox

    with running_sandbox() as sb:
        app = DispatcherMiddleware(
            Response("main app"), {"/sandbox": create_sandbox_app(sb.credentials, sb.clock)}
        )
        server = make_server("127.0.0.1", 0, app, threaded=True)
        thread = threading.Thread(target=server.serve_forever, args=(0.05,), daemon=True)
        thread.start()
        try:
            root = f"http://127.0.0.1:{server.server_port}/sandbox"
            settings = sb.pay_settings(NOTIFY)
            pay = make_pay_client(WeChatPaySettings(**{**settings.__dict__, "base_url": root + "/pay"}))
            code, text = pay.pay(
                description="x", out_trade_no="SO-MOUNT-1", amount={"total": 1}, payer={"openid": "oM"}
            )
            assert code == 200, text
            code, text = pay.query(out_trade_no="SO-MOUNT-1")
            assert (code, json.loads(text)["trade_state"]) == (200, "NOTPAY")
        finally:
            server.shutdown()
            server.server_close()
