"""No secret is stored in clear: after every way of logging in, the database holds no raw WeChat
session_key, app secret or WeChat Pay key, in any column of any table."""

from __future__ import annotations

from typing import Any

from backend.auth.models import WechatIdentity
from backend.auth.sealing import open_sealed
from backend.db import db


def wechat_secrets(sandbox: Any) -> list[str]:
    """The app's WeChat secrets, and every session_key the sandbox has handed out so far."""
    creds = sandbox.credentials
    pem_body = "".join(creds.merchant_private_key_pem.strip().splitlines()[1:-1])
    issued = [c.session_key for c in sandbox.state.login_codes.values() if c.session_key]
    return [creds.app_secret, creds.apiv3_key, pem_body[:64], *issued]


def cells_holding(needles: list[str]) -> list[tuple[str, str]]:
    """(table, column) of every text cell of every table that contains one of `needles`."""
    database = db.obj
    hits = []
    for table in database.get_tables():
        cursor = database.execute_sql(f'SELECT * FROM "{table}"')
        columns = [d[0] for d in cursor.description]
        for row in cursor.fetchall():
            for column, value in zip(columns, row, strict=True):
                text = value.decode(errors="replace") if isinstance(value, bytes | memoryview) else value
                if isinstance(value, memoryview):
                    text = bytes(value).decode(errors="replace")
                if isinstance(text, str) and any(n in text for n in needles):
                    hits.append((table, column))
    return hits


def test_every_auth_flow_leaves_no_secret_in_the_database(client, wechat_sandbox, make_user, login, settings):
    sb = wechat_sandbox
    earlier = set(sb.state.login_codes)  # the sandbox serves the whole run
    staff, distributor = make_user("staff"), make_user("distributor")
    customer_code, staff_code, distributor_code = sb.login_code(), sb.login_code(), sb.login_code()

    def wechat_login(openid: str) -> Any:
        return client.post("/api/auth/wechat-login", json={"code": sb.login_code(openid).code})

    def bind(user: Any, openid: str) -> Any:
        code = sb.login_code(openid).code
        return client.post("/api/auth/wechat-bind", json={"code": code}, headers=login(user))

    flows = [
        ("new customer", lambda: client.post("/api/auth/wechat-login", json={"code": customer_code.code})),
        ("returning customer", lambda: wechat_login(customer_code.openid)),
        ("staff binds", lambda: bind(staff, staff_code.openid)),
        ("distributor binds", lambda: bind(distributor, distributor_code.openid)),
        ("staff binds again", lambda: bind(staff, staff_code.openid)),
        ("staff logs in with WeChat", lambda: wechat_login(staff_code.openid)),
        ("distributor logs in with WeChat", lambda: wechat_login(distributor_code.openid)),
        ("password login and logout", lambda: client.post("/api/auth/logout", headers=login(staff))),
    ]
    for name, flow in flows:
        response = flow()
        assert response.status_code in (200, 204), (name, response.json)
        assert (name, cells_holding(wechat_secrets(sb))) == (name, [])

    issued = [c.session_key for k, c in sb.state.login_codes.items() if k not in earlier and c.session_key]
    assert len(issued) == 7
    # Each identity keeps the newest session_key it was given, sealed: only the server can open it.
    for code in (customer_code, staff_code, distributor_code):
        identity = WechatIdentity.get(WechatIdentity.openid == code.openid)
        assert identity.session_key.startswith("v1:")
        assert open_sealed(identity.session_key, settings.secret_key) in issued
