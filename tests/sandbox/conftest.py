"""Fixtures for the WeChat sandbox tests: a live sandbox and a notification receiver."""

from __future__ import annotations

import json
import threading
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any

import pytest
from werkzeug.serving import make_server
from werkzeug.wrappers import Request, Response

from payments.sandbox import generate_credentials
from payments.sandbox.credentials import SandboxCredentials
from payments.sandbox.testing import RunningSandbox, running_sandbox


@pytest.fixture(scope="session")
def credentials() -> SandboxCredentials:
    # RSA key generation is the slow part; state is still fresh for every test.
    return generate_credentials()


@pytest.fixture
def sandbox(credentials: SandboxCredentials) -> Iterator[RunningSandbox]:
    with running_sandbox(credentials) as sb:
        yield sb


@dataclass
class Received:
    headers: dict[str, str]
    body: str
    result: dict[str, Any] | None  # what wechatpayv3's callback() returned


@dataclass
class Receiver:
    """A merchant's notify_url: runs wechatpayv3's callback() on every POST."""

    url: str
    status: int = 200
    received: list[Received] = field(default_factory=list)
    lock: threading.Lock = field(default_factory=threading.Lock)

    @property
    def verified(self) -> list[dict[str, Any]]:
        return [r.result for r in self.received if r.result is not None]

    @property
    def rejected(self) -> list[Received]:
        return [r for r in self.received if r.result is None]


@pytest.fixture
def receiver(sandbox: RunningSandbox) -> Iterator[Receiver]:
    pay = sandbox.pay_client()
    holder: list[Receiver] = []

    @Request.application
    def app(request: Request) -> Response:
        body = request.get_data(as_text=True)
        headers = dict(request.headers)
        result = pay.callback(headers, body)
        rec = holder[0]
        with rec.lock:
            rec.received.append(Received(headers, body, result))
        if rec.status in (200, 204):
            return Response(status=rec.status)
        return Response(json.dumps({"code": "FAIL", "message": "失败"}), status=rec.status)

    server = make_server("127.0.0.1", 0, app, threaded=True)
    holder.append(Receiver(url=f"http://127.0.0.1:{server.server_port}/notify"))
    thread = threading.Thread(target=server.serve_forever, args=(0.05,), daemon=True)
    thread.start()
    try:
        yield holder[0]
    finally:
        server.shutdown()
        server.server_close()
        thread.join(timeout=5)
