"""The mini-program server APIs, driven through the unmodified wechatpy client."""

from __future__ import annotations

import io

import pytest
import requests
from PIL import Image
from wechatpy.exceptions import WeChatClientException

from backend.wechat_client import get_phone_number, make_miniprogram_client
from payments.sandbox.testing import RunningSandbox


def test_token_and_code2session(sandbox: RunningSandbox) -> None:
    client = sandbox.miniprogram_client()
    login = sandbox.login_code()

    session = client.wxa.code_to_session(login.code)

    assert session["openid"] == login.openid
    assert session["unionid"] == login.unionid
    assert len(session["session_key"]) == 24  # base64 of 16 bytes
    # wechatpy fetched exactly one token on the way (it adds access_token to every call).
    assert len(sandbox.state.tokens) == 1


def test_same_openid_keeps_its_unionid(sandbox: RunningSandbox) -> None:
    client = sandbox.miniprogram_client()
    first = client.wxa.code_to_session(sandbox.login_code().code)
    second = client.wxa.code_to_session(sandbox.login_code(first["openid"]).code)
    assert second["openid"] == first["openid"]
    assert second["unionid"] == first["unionid"]


def test_a_code_works_once(sandbox: RunningSandbox) -> None:
    client = sandbox.miniprogram_client()
    code = sandbox.login_code().code
    client.wxa.code_to_session(code)

    with pytest.raises(WeChatClientException) as exc:
        client.wxa.code_to_session(code)
    assert exc.value.errcode == 40029

    with pytest.raises(WeChatClientException) as exc:
        client.wxa.code_to_session("never-issued")
    assert exc.value.errcode == 40029


def test_login_code_expires_after_five_minutes(sandbox: RunningSandbox) -> None:
    client = sandbox.miniprogram_client()
    code = sandbox.login_code().code
    sandbox.advance(300)
    with pytest.raises(WeChatClientException) as exc:
        client.wxa.code_to_session(code)
    assert exc.value.errcode == 40029


def test_wrong_secret_is_refused(sandbox: RunningSandbox) -> None:
    client = make_miniprogram_client(sandbox.credentials.appid, "not-the-secret", sandbox.wx_base)
    with pytest.raises(WeChatClientException) as exc:
        client.fetch_access_token()
    assert exc.value.errcode == 40125
    client = make_miniprogram_client("wx0000000000000000", sandbox.credentials.app_secret, sandbox.wx_base)
    with pytest.raises(WeChatClientException) as exc:
        client.fetch_access_token()
    assert exc.value.errcode == 40013


def test_expired_token_is_refreshed_and_the_call_retried(sandbox: RunningSandbox) -> None:
    client = sandbox.miniprogram_client()
    openid = sandbox.login_code().openid
    sandbox.subscribe(openid, "TPL_ORDER_PAID", count=2)
    client.wxa.send_subscribe_message(openid, "TPL_ORDER_PAID", {"thing1": {"value": "a"}})
    first_token = client.access_token

    assert sandbox.expire_tokens() == 1
    # wechatpy still believes its cached token is good; the sandbox answers 40001,
    # the client fetches a new token and retries the same call, which succeeds.
    result = client.wxa.send_subscribe_message(openid, "TPL_ORDER_PAID", {"thing1": {"value": "b"}})

    assert result["errcode"] == 0
    assert client.access_token != first_token
    assert len(sandbox.state.tokens) == 2
    assert [m.data["thing1"]["value"] for m in sandbox.state.sent_messages] == ["a", "b"]


def test_token_lifetime_runs_on_the_sandbox_clock(sandbox: RunningSandbox) -> None:
    client = sandbox.miniprogram_client()
    openid = sandbox.login_code().openid
    sandbox.subscribe(openid, "T", count=1)
    client.fetch_access_token()
    sandbox.advance(7200)
    client.wxa.send_subscribe_message(openid, "T", {"k": {"value": "v"}})
    assert len(sandbox.state.tokens) == 2  # refreshed once because the first expired


def test_subscribe_message_needs_an_acceptance_per_message(sandbox: RunningSandbox) -> None:
    client = sandbox.miniprogram_client()
    openid = sandbox.login_code().openid
    data = {"character_string1": {"value": "SO-1001"}, "amount2": {"value": "12.30元"}}

    with pytest.raises(WeChatClientException) as exc:
        client.wxa.send_subscribe_message(openid, "TPL_SHIPPED", data, page="pages/order?id=1")
    assert exc.value.errcode == 43101

    sandbox.subscribe(openid, "TPL_SHIPPED")
    result = client.wxa.send_subscribe_message(openid, "TPL_SHIPPED", data, page="pages/order?id=1")
    assert result["errcode"] == 0 and result["errmsg"] == "ok"

    sent = sandbox.state.sent_messages
    assert len(sent) == 1
    assert (sent[0].msgid, sent[0].touser, sent[0].template_id) == (result["msgid"], openid, "TPL_SHIPPED")
    assert sent[0].data == data
    assert sent[0].page == "pages/order?id=1"

    # The acceptance was used up.
    with pytest.raises(WeChatClientException) as exc:
        client.wxa.send_subscribe_message(openid, "TPL_SHIPPED", data)
    assert exc.value.errcode == 43101


def test_wxacode_is_a_png(sandbox: RunningSandbox) -> None:
    client = sandbox.miniprogram_client()
    response = client.wxa.get_wxa_code_unlimited("shop=12&staff=3", page="pages/index/index")

    assert isinstance(response, requests.Response)
    assert response.headers["Content-Type"] == "image/png"
    assert response.content[:8] == b"\x89PNG\r\n\x1a\n"
    assert Image.open(io.BytesIO(response.content)).format == "PNG"


def test_wxacode_scene_longer_than_32_is_refused(sandbox: RunningSandbox) -> None:
    client = sandbox.miniprogram_client()
    with pytest.raises(WeChatClientException) as exc:
        client.wxa.get_wxa_code_unlimited("x" * 33)
    assert exc.value.errcode == 40169


def test_phone_number(sandbox: RunningSandbox) -> None:
    client = sandbox.miniprogram_client()
    openid = sandbox.login_code().openid
    code = sandbox.phone_code(openid, "13800138000")

    info = get_phone_number(client, code)

    assert info["phoneNumber"] == "13800138000"
    assert info["purePhoneNumber"] == "13800138000"
    assert info["countryCode"] == "86"
    assert info["watermark"]["appid"] == sandbox.credentials.appid

    with pytest.raises(WeChatClientException) as exc:
        get_phone_number(client, code)
    assert exc.value.errcode == 40029


def test_control_endpoints_mint_codes(sandbox: RunningSandbox) -> None:
    minted = requests.post(
        sandbox.control_base + "/login-code",
        json={"openid": "oTestOpenid"},
        headers=sandbox.control_headers,
        timeout=5,
    ).json()
    assert minted["openid"] == "oTestOpenid"
    session = sandbox.miniprogram_client().wxa.code_to_session(minted["code"])
    assert session["openid"] == "oTestOpenid"
    assert session["unionid"] == minted["unionid"]


def test_the_daily_quota_answers_45009_until_the_next_china_day(sandbox: RunningSandbox) -> None:
    client = sandbox.miniprogram_client()
    granted, never = sandbox.login_code().openid, sandbox.login_code().openid
    sandbox.subscribe(granted, "TPL_DUE", count=2)
    data = {"thing1": {"value": "x"}}
    assert sandbox.state.clock.is_frozen
    # Start just after a Beijing midnight so the day cannot turn under the test.
    sandbox.advance(86_400 - (sandbox.state.now() + 8 * 3600) % 86_400 + 60)
    sandbox.set_subscribe_quota(2)
    try:
        assert client.wxa.send_subscribe_message(granted, "TPL_DUE", data)["errcode"] == 0
        with pytest.raises(WeChatClientException) as refused:
            client.wxa.send_subscribe_message(never, "TPL_DUE", data)
        assert refused.value.errcode == 43101  # a refused call still counts against the day
        with pytest.raises(WeChatClientException) as spent:
            client.wxa.send_subscribe_message(granted, "TPL_DUE", data)
        assert (spent.value.errcode, spent.value.errmsg) == (45009, "reach max api daily quota limit")
        assert sandbox.state.subscriptions[(granted, "TPL_DUE")] == 1  # the grant is not used up
        assert len(sandbox.state.sent_messages) == 1

        sandbox.advance(86_400)
        assert client.wxa.send_subscribe_message(granted, "TPL_DUE", data)["errcode"] == 0
        assert sandbox.state.subscriptions[(granted, "TPL_DUE")] == 0
    finally:
        sandbox.set_subscribe_quota(None)
