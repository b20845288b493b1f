"""The demo as a person meets it: built as `yecai demo` builds it, served over real HTTP, paid from the
payer page, restarted, and reconciled against the restarted sandbox's bill."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest
import requests
from werkzeug.serving import make_server

from backend.cli import Demo, _listen, build_demo
from backend.db import db
from payments.sandbox.clock import china_date
from payments.sandbox.notify import deliver_due
from payments.sandbox.state import SandboxState


@dataclass
class Running:
    demo: Demo
    base: str
    # A person's browser: it carries the cookie the unlock link sets for the payer page.
    browser: requests.Session = field(default_factory=requests.Session)

    @property
    def sandbox(self) -> SandboxState:
        state: SandboxState = self.demo.sandbox.extensions["wechat_sandbox"]
        return state

    def call(
        self, method: str, path: str, token: str | None = None, key: str | None = None, **kw: Any
    ) -> Any:
        headers = {"Authorization": f"Bearer {token}"} if token else {}
        if key:
            headers["Idempotency-Key"] = key
        return requests.request(method, self.base + path, headers=headers, timeout=10, **kw)

    def press(self, path: str, **form: str) -> requests.Response:
        """A button on the payer page."""
        return self.browser.post(
            f"{self.base}/sandbox/payer{path}", data=form, allow_redirects=False, timeout=10
        )

    def control(self, path: str, **kw: Any) -> requests.Response:
        """A script calling the sandbox's control endpoints with the token `yecai demo` keeps."""
        token = (Path(self.demo.settings.instance_dir) / "demo-sandbox-token").read_text().strip()
        return requests.post(
            f"{self.base}/sandbox/control{path}", headers={"X-Sandbox-Token": token}, timeout=10, **kw
        )

    def login(self, username: str) -> str:
        password = self.demo.logins[username]
        response = self.call(
            "POST", "/api/auth/password-login", json={"login": username, "password": password}
        )
        assert response.status_code == 200, response.text
        token: str = response.json()["token"]
        return token


@contextmanager
def serving(instance: Path, port: int = 0) -> Iterator[Running]:
    """What `yecai demo` does (port first, then the demo, then serve), minus the background threads:
    the test delivers notifications itself."""
    sock = _listen("127.0.0.1", port, "unused")
    port = sock.getsockname()[1]
    base = f"http://127.0.0.1:{port}"
    demo = build_demo(str(instance), base, deliver_in_background=False)
    server = make_server("127.0.0.1", port, demo.app, threaded=True, fd=sock.fileno())
    sock.close()
    thread = threading.Thread(target=server.serve_forever, args=(0.05,), daemon=True)
    thread.start()
    try:
        yield Running(demo, base)
    finally:
        server.shutdown()
        server.server_close()
        thread.join(timeout=5)
        db.obj.close()


def _sku_id(run: Running, token: str, barcode: str) -> int:
    products = run.call("GET", "/api/shop/products", token, params={"q": barcode}).json()["items"]
    return next(s["id"] for p in products for s in p["skus"] if s["barcode"] == barcode)


@pytest.fixture
def instance(tmp_path: Path) -> Path:
    return tmp_path / "demo"


def test_pay_in_the_demo_restart_it_and_reconcile_without_differences(instance: Path) -> None:
    with serving(instance) as run:
        port = int(run.base.rsplit(":", 1)[1])
        home = run.call("GET", "/")
        assert home.status_code == 200
        unlock = f"/sandbox/unlock?token={run.demo.sandbox_token}"
        assert f'href="{unlock}"' in home.text and 'href="/api/docs"' in home.text
        assert str(instance.resolve() / "demo-logins.json") in home.text
        # Without the token the sandbox plays nobody's phone; the home page's link lets a browser in.
        assert run.call("POST", "/sandbox/control/login-code").status_code == 401
        assert run.call("GET", "/sandbox/payer").status_code == 401
        opened = run.browser.get(run.base + unlock, timeout=10)
        assert (opened.status_code, opened.url) == (200, run.base + "/sandbox/payer")

        # A customer logs in with a code minted as wx.login would, fills the cart and checks out.
        code = run.control("/login-code").json()["code"]
        customer = run.call("POST", "/api/auth/wechat-login", json={"code": code}).json()["token"]
        water = _sku_id(run, customer, "6921168509256")  # 农夫山泉 550ml, 2.00
        assert run.call(
            "POST", "/api/cart/items", customer, "cart-1", json={"sku_id": water, "quantity": 2}
        ).ok
        address = {
            "name": "王小姐",
            "phone": "13900000002",
            "region": "上海市 浦东新区",
            "detail": "世纪大道 1 号",
        }
        address_id = run.call("POST", "/api/addresses", customer, "address-1", json=address).json()["id"]
        checkout = run.call(
            "POST", "/api/checkout", customer, "checkout-1", json={"address_id": address_id}
        ).json()
        shop_order = checkout["order"]["id"]
        prepay_id = checkout["request_payment"]["package"].removeprefix("prepay_id=")

        # The customer pays on the payer page; WeChat's notification reaches the app.
        assert f"/sandbox/payer/jsapi/{prepay_id}/pay" in run.browser.get(run.base + "/sandbox/payer").text
        assert run.press(f"/jsapi/{prepay_id}/pay").status_code == 303
        assert [a.status_code for a in deliver_due(run.sandbox)] == [204]
        paid = run.call("GET", f"/api/shop/orders/{shop_order}", customer).json()
        assert (paid["status"], paid["paid_fen"]) == ("paid", 400)

        # A counter sale paid by scanning the staff's Native QR.
        staff = run.login("staff")
        beer = _sku_id(run, customer, "6901035603850")  # 青岛啤酒 330ml, 4.50
        counter = run.call(
            "POST", "/api/orders", staff, "counter-1", json={"items": [{"sku_id": beer, "quantity": 3}]}
        )
        assert counter.status_code == 201, counter.text
        counter_order = counter.json()["id"]
        code_url = run.call("POST", f"/api/orders/{counter_order}/wechat-native", staff).json()["code_url"]
        assert run.press("/native/pay", code_url=code_url).status_code == 303
        assert [a.status_code for a in deliver_due(run.sandbox)] == [204]
        sold = run.call("GET", f"/api/orders/{counter_order}", staff).json()
        assert (sold["status"], sold["paid_fen"]) == ("paid", 1350)
        bill_date = china_date(run.sandbox.orders[checkout["payment"]["out_trade_no"]].success_time or 0)
        credentials = run.demo.sandbox.extensions["wechat_sandbox"].credentials

    # Stop and start again, as a person does between two sessions with the demo.
    with serving(instance, port) as again:
        assert again.sandbox.credentials == credentials  # the same merchant at the same WeChat
        assert again.demo.logins == run.demo.logins
        assert again.demo.sandbox_token == run.demo.sandbox_token  # the browser stays let in
        owner = again.login("owner")
        report = again.call("POST", "/api/payments/reconciliations", owner, json={"bill_date": bill_date})
        assert report.status_code == 200, report.text
        body = report.json()
        assert [d["kind"] for d in body["differences"]] == []
        assert (body["wechat_rows"], body["our_rows"], body["wechat_paid_fen"]) == (2, 2, 400 + 1350)

        from backend import checks

        assert [(r.name, p) for r in checks.run_all() for p in r.problems] == []
