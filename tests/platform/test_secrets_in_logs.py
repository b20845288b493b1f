"""Secrets stay out of every log line: the sandbox's and the app's access logs (WeChat's protocol
puts the app secret, access tokens and login codes in query strings), and our own warnings."""

from __future__ import annotations

import logging

import pytest
import requests

from backend import redaction
from tests.platform.test_secrets_at_rest import wechat_secrets


def _issued_tokens(sandbox) -> list[str]:
    return list(sandbox.state.tokens)


def test_auth_flows_log_no_secret(client, wechat_sandbox, make_user, login, caplog, settings):
    caplog.set_level(logging.DEBUG)
    sb = wechat_sandbox
    # A fresh WeChat client fetches an access token (secret= in the URL, logged by urllib3 and by
    # the sandbox's access log); the app's own client may hold one from an earlier test.
    sb.miniprogram_client().wxa.code_to_session(sb.login_code().code)
    customer = sb.login_code()
    assert client.post("/api/auth/wechat-login", json={"code": customer.code}).status_code == 200
    staff = make_user("staff")
    bound = client.post("/api/auth/wechat-bind", json={"code": sb.login_code().code}, headers=login(staff))
    assert bound.status_code == 200
    # A script minting a code with the control token; the app's own access log of the same request.
    minted = requests.post(sb.control_base + "/login-code", json={}, headers=sb.control_headers, timeout=5)
    assert minted.status_code == 200
    logging.getLogger("werkzeug").info(
        '127.0.0.1 - - "%s" 200 -', f"GET /sandbox/unlock?token={sb.control_token} HTTP/1.1"
    )

    text = caplog.text
    # The log did record the calls to WeChat, with their secrets masked...
    assert "/wx/sns/jscode2session?" in text and "/wx/cgi-bin/token?" in text
    assert "secret=[redacted]" in text and "access_token=[redacted]" in text
    # ...and none of the secrets themselves.
    secrets = [*wechat_secrets(sb), *_issued_tokens(sb), sb.control_token, settings.secret_key, customer.code]
    assert len(_issued_tokens(sb)) >= 1
    assert [s for s in secrets if s in text] == []


def test_an_exception_that_quotes_a_url_is_logged_redacted(app, caplog, wechat_sandbox):
    log = logging.getLogger("payments.services")
    secret = wechat_sandbox.credentials.app_secret
    url = (
        f"/wx/cgi-bin/token?grant_type=client_credential&appid=wx1&secret={secret}&access_token=abc123def456"
    )
    with caplog.at_level(logging.INFO):
        try:
            raise requests.ConnectionError(f"Max retries exceeded with url: {url}")
        except requests.ConnectionError as exc:
            log.warning("WeChat call for %s failed: %s", "YC1", exc)
            log.exception("outbox message %s failed", 7)
    assert secret not in caplog.text and "abc123def456" not in caplog.text
    assert caplog.text.count("secret=[redacted]") == 2  # the message and the traceback


@pytest.mark.parametrize(
    ("line", "expected"),
    [
        (
            "GET /x?appid=wx1&secret=s3cr3t&js_code=c0de HTTP/1.1",
            "GET /x?appid=wx1&secret=[redacted]&js_code=[redacted] HTTP/1.1",
        ),
        ('{"session_key": "a+b/c==", "openid": "o1"}', '{"session_key": "[redacted]", "openid": "o1"}'),
        ("Authorization: Bearer yc_abc.def", "Authorization: Bearer [redacted]"),
        (
            "key -----BEGIN PRIVATE KEY-----\nMIIE\n-----END PRIVATE KEY----- end",
            "key -----PRIVATE KEY [redacted]----- end",
        ),
        ("order YC1 paid 2260 fen", "order YC1 paid 2260 fen"),
    ],
)
def test_redact_masks_secret_values_by_name(line, expected):
    assert redaction.redact(line) == expected


def test_gunicorn_access_log_is_redacted(app, capsys, wechat_sandbox):
    """Production's access log (deploy/gunicorn.conf.py: accesslog "-") runs through the same redaction."""
    import datetime as dt
    from types import SimpleNamespace

    from gunicorn.config import Config
    from gunicorn.glogging import Logger

    secret = wechat_sandbox.credentials.app_secret
    config = Config()
    config.set("accesslog", "-")
    query = f"appid=wx1&secret={secret}&access_token=tok-0123456789"
    environ = {
        "REQUEST_METHOD": "GET",
        "RAW_URI": f"/sandbox/wx/cgi-bin/token?{query}",
        "PATH_INFO": "/sandbox/wx/cgi-bin/token",
        "QUERY_STRING": query,
        "SERVER_PROTOCOL": "HTTP/1.1",
        "REMOTE_ADDR": "127.0.0.1",
    }
    response = SimpleNamespace(status="200 OK", headers=[], response_length=0, sent=0)
    Logger(config).access(response, SimpleNamespace(headers=[]), environ, dt.timedelta(seconds=0.01))
    line = capsys.readouterr().out
    assert (
        '"GET /sandbox/wx/cgi-bin/token?appid=wx1&secret=[redacted]&access_token=[redacted] HTTP/1.1" 200'
        in line
    )
    assert secret not in line and "tok-0123456789" not in line
