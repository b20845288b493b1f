"""The mini-program server API client (wechatpy 1.8.18), pointed at a configurable base.

Production passes ``https://api.weixin.qq.com``; the demo and tests pass the sandbox's
``.../wx``. wechatpy hard-codes the token URL and keeps a separate base URL on its
``wxa`` API group, so both are redirected here (see WECHAT.md section 1). This module
stays free of Flask and of ``payments`` so workers can import it cheaply.
"""

from __future__ import annotations

from typing import Any

from wechatpy import WeChatClient

from backend.errors import refuse_inside_transaction

WECHAT_API_BASE = "https://api.weixin.qq.com"


class RedirectedWeChatClient(WeChatClient):
    """wechatpy's client with every URL we use rebased onto ``api_base``."""

    API_BASE_URL = WECHAT_API_BASE + "/cgi-bin/"

    def __init__(
        self,
        appid: str,
        secret: str,
        api_base: str = WECHAT_API_BASE,
        session: Any = None,
        timeout: float | None = 10,
    ) -> None:
        super().__init__(appid, secret, session=session, timeout=timeout)
        self.api_base = api_base.rstrip("/")
        # Instance attributes shadow the class ones; API groups are per instance
        # (created in BaseWeChatClient.__new__), so this never leaks between clients.
        self.API_BASE_URL = self.api_base + "/cgi-bin/"
        self.wxa.API_BASE_URL = self.api_base + "/"

    def _request(self, method: str, url_or_endpoint: str, **kwargs: Any) -> Any:
        # Every API call (get, post, the wxa group) comes through here; a slow WeChat must never
        # hold a transaction's row locks.
        refuse_inside_transaction("WeChat mini-program API")
        return super()._request(method, url_or_endpoint, **kwargs)

    def _fetch_access_token(self, url: str, params: dict[str, Any]) -> Any:
        refuse_inside_transaction("WeChat access token")
        return super()._fetch_access_token(url, params)

    def fetch_access_token(self) -> dict[str, Any]:
        result: dict[str, Any] = self._fetch_access_token(
            url=self.api_base + "/cgi-bin/token",
            params={"grant_type": "client_credential", "appid": self.appid, "secret": self.secret},
        )
        return result


def make_miniprogram_client(
    appid: str, secret: str, api_base: str = WECHAT_API_BASE, session: Any = None
) -> RedirectedWeChatClient:
    """A wechatpy ``WeChatClient`` for the mini-program ``appid``.

    Pass ``session=wechatpy.session.redisstorage.RedisStorage(redis)`` to share the access
    token between web and rq workers (WeChat invalidates old tokens on refresh).
    """
    return RedirectedWeChatClient(appid, secret, api_base=api_base, session=session)


def get_phone_number(client: WeChatClient, code: str) -> dict[str, Any]:
    """Exchange a getPhoneNumber ``code`` for ``phone_info``.

    wechatpy 1.8.18 has no wrapper for this API, so it goes through the raw ``post``;
    errors raise ``wechatpy.exceptions.WeChatClientException`` like any other call.
    Returns ``{"phoneNumber", "purePhoneNumber", "countryCode", "watermark"}``.
    """
    result = client.post(
        "wxa/business/getuserphonenumber",
        data={"code": code},
        api_base_url=client.wxa.API_BASE_URL,
    )
    phone_info: dict[str, Any] = result["phone_info"]
    return phone_info
