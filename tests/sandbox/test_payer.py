"""The payer page over HTTP: what it lists, what each button changes, what the merchant is told."""

from __future__ import annotations

import json
import re

import pytest
import requests
from wechatpayv3 import WeChatPayType

from payments.sandbox.guard import COOKIE
from payments.sandbox.testing import RunningSandbox

from .conftest import Receiver


def _jsapi(sandbox: RunningSandbox, notify_url: str, out_trade_no: str, total: int) -> tuple[str, str]:
    openid = sandbox.login_code().openid
    status, text = sandbox.pay_client(notify_url).pay(
        description="青岛啤酒 6 罐",
        out_trade_no=out_trade_no,
        amount={"total": total},
        payer={"openid": openid},
    )
    assert status == 200, text
    return json.loads(text)["prepay_id"], openid


def _native(sandbox: RunningSandbox, notify_url: str, out_trade_no: str, total: int) -> str:
    status, text = sandbox.pay_client(notify_url).pay(
        description="柜台收款",
        out_trade_no=out_trade_no,
        amount={"total": total},
        pay_type=WeChatPayType.NATIVE,
    )
    assert status == 200, text
    code_url: str = json.loads(text)["code_url"]
    return code_url


def _press(sandbox: RunningSandbox, path: str, **form: str) -> requests.Response:
    """Submit one of the page's forms the way a browser does (and do not follow the redirect)."""
    return requests.post(
        f"{sandbox.base_url}/payer{path}",
        data=form,
        allow_redirects=False,
        timeout=5,
        cookies={COOKIE: sandbox.control_token},
    )


def _page(sandbox: RunningSandbox, query: str = "") -> requests.Response:
    return requests.get(
        f"{sandbox.base_url}/payer{query}", timeout=5, cookies={COOKIE: sandbox.control_token}
    )


def test_the_page_lists_what_can_be_paid_in_chinese_and_english(sandbox: RunningSandbox) -> None:
    empty = _page(sandbox)
    assert empty.status_code == 200 and empty.headers["Content-Type"].startswith("text/html")
    assert "没有待支付的订单" in empty.text and "Nothing to pay" in empty.text
    assert 'name="viewport"' in empty.text  # sized for a phone
    assert "<script" not in empty.text and not re.search(
        r'(src|href)="(https?:)?//', empty.text
    )  # nothing remote

    prepay_id, _ = _jsapi(sandbox, "http://127.0.0.1:9/n", "SO-PAGE-1", 2700)
    code_url = _native(sandbox, "http://127.0.0.1:9/n", "POS-PAGE-2", 1350)
    page = _page(sandbox).text
    assert "SO-PAGE-1" in page and "¥27.00" in page and f"/payer/jsapi/{prepay_id}/pay" in page
    assert f"/payer/jsapi/{prepay_id}/decline" in page
    assert "POS-PAGE-2" in page and "¥13.50" in page and f'value="{code_url}"' in page


def test_paying_a_jsapi_order_notifies_the_merchant(sandbox: RunningSandbox, receiver: Receiver) -> None:
    prepay_id, openid = _jsapi(sandbox, receiver.url, "SO-PAY-1", 2700)
    pressed = _press(sandbox, f"/jsapi/{prepay_id}/pay")
    assert pressed.status_code == 303
    assert pressed.headers["Location"] == "/payer?done=paid&ref=SO-PAY-1"
    order = sandbox.state.orders["SO-PAY-1"]
    assert (order.trade_state, order.payer_openid) == ("SUCCESS", openid)

    sandbox.deliver_due()
    assert [
        (n["event_type"], n["resource"]["out_trade_no"], n["resource"]["amount"]["total"])
        for n in receiver.verified
    ] == [("TRANSACTION.SUCCESS", "SO-PAY-1", 2700)]
    assert receiver.verified[0]["resource"]["transaction_id"] == order.transaction_id
    after = _page(sandbox, "?done=paid&ref=SO-PAY-1").text
    assert "已支付 Paid" in after and f"/payer/jsapi/{prepay_id}/pay" not in after


def test_paying_twice_is_refused_and_changes_nothing(sandbox: RunningSandbox, receiver: Receiver) -> None:
    prepay_id, _ = _jsapi(sandbox, receiver.url, "SO-TWICE-1", 500)
    assert _press(sandbox, f"/jsapi/{prepay_id}/pay").status_code == 303
    paid_at = sandbox.state.orders["SO-TWICE-1"].success_time
    again = _press(sandbox, f"/jsapi/{prepay_id}/pay")
    assert again.status_code == 400
    assert "ORDERPAID" in again.text and "该订单已支付" in again.text
    assert sandbox.state.orders["SO-TWICE-1"].success_time == paid_at
    assert len(sandbox.state.notifications) == 1
    missing = _press(sandbox, "/jsapi/wx-no-such-prepay/pay")
    assert missing.status_code == 404 and "PREPAY_NOT_FOUND" in missing.text


def test_declining_leaves_the_order_unpaid(sandbox: RunningSandbox, receiver: Receiver) -> None:
    prepay_id, _ = _jsapi(sandbox, receiver.url, "SO-NO-1", 500)
    pressed = _press(sandbox, f"/jsapi/{prepay_id}/decline")
    assert pressed.status_code == 303 and pressed.headers["Location"] == "/payer?done=declined&ref=SO-NO-1"
    order = sandbox.state.orders["SO-NO-1"]
    assert (order.trade_state, order.declined) == ("NOTPAY", 1)
    assert sandbox.deliver_due() == [] and receiver.received == []
    assert f"/payer/jsapi/{prepay_id}/pay" in _page(sandbox).text  # still there to pay later


def test_paying_a_pasted_native_code_url(sandbox: RunningSandbox, receiver: Receiver) -> None:
    code_url = _native(sandbox, receiver.url, "POS-QR-1", 1350)
    assert _press(sandbox, "/native/pay", code_url="  ").status_code == 400
    assert sandbox.state.orders["POS-QR-1"].trade_state == "NOTPAY"
    unknown = _press(sandbox, "/native/pay", code_url="weixin://wxpay/bizpayurl?pr=nothing")
    assert unknown.status_code == 404 and "CODE_URL_NOT_FOUND" in unknown.text

    pressed = _press(sandbox, "/native/pay", code_url=code_url, openid="o-payer-at-counter")
    assert pressed.status_code == 303 and pressed.headers["Location"] == "/payer?done=paid&ref=POS-QR-1"
    order = sandbox.state.orders["POS-QR-1"]
    assert (order.trade_state, order.payer_openid) == ("SUCCESS", "o-payer-at-counter")
    sandbox.deliver_due()
    assert [(n["resource"]["out_trade_no"], n["resource"]["trade_type"]) for n in receiver.verified] == [
        ("POS-QR-1", "NATIVE")
    ]


def test_showing_a_payment_code_registers_one_the_counter_can_charge(sandbox: RunningSandbox) -> None:
    pressed = _press(sandbox, "/payment-code", behaviour="userpaying_then_success")
    assert pressed.status_code == 303
    auth_code = re.fullmatch(r"/payer\?code=(\d{18})", pressed.headers["Location"]).group(1)  # type: ignore[union-attr]
    shown = sandbox.state.payment_codes[auth_code]
    assert (shown.behaviour, shown.used) == ("userpaying_then_success", False)
    page = _page(sandbox, f"?code={auth_code}").text
    assert f'class="code">{auth_code}<' in page and "输入密码后成功" in page
    bad = _press(sandbox, "/payment-code", behaviour="free_money")
    assert bad.status_code == 400 and "PARAM_ERROR" in bad.text
    assert list(sandbox.state.payment_codes) == [auth_code]


def test_finishing_a_refund_notifies_the_merchant(sandbox: RunningSandbox, receiver: Receiver) -> None:
    prepay_id, openid = _jsapi(sandbox, receiver.url, "SO-RF-1", 2700)
    sandbox.approve(prepay_id, openid)
    status, _ = sandbox.pay_client(receiver.url).refund(
        out_refund_no="RF-PAGE-1",
        amount={"refund": 700, "total": 2700, "currency": "CNY"},
        out_trade_no="SO-RF-1",
        notify_url=receiver.url,
    )
    assert status == 200
    page = _page(sandbox).text
    assert "RF-PAGE-1" in page and "¥7.00" in page

    pressed = _press(sandbox, "/refunds/RF-PAGE-1/finish")
    assert pressed.status_code == 303 and pressed.headers["Location"] == "/payer?done=refunded&ref=RF-PAGE-1"
    assert sandbox.state.refunds["RF-PAGE-1"].status == "SUCCESS"
    assert sandbox.state.orders["SO-RF-1"].trade_state == "REFUND"
    sandbox.deliver_due()
    assert sorted((n["event_type"], n["resource"]["out_trade_no"]) for n in receiver.verified) == [
        ("REFUND.SUCCESS", "SO-RF-1"),
        ("TRANSACTION.SUCCESS", "SO-RF-1"),
    ]
    assert "RF-PAGE-1/finish" not in _page(sandbox).text


@pytest.mark.parametrize("path", ["/refunds/RF-NONE/finish", "/jsapi/wx-none/decline"])
def test_unknown_things_are_a_404_page(sandbox: RunningSandbox, path: str) -> None:
    response = _press(sandbox, path)
    assert response.status_code == 404 and response.headers["Content-Type"].startswith("text/html")
