"""What a person meets first: `/` in a browser, and a clear way out when the port is taken."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest


def test_home_page_leads_to_the_docs_and_shows_no_demo_links_outside_the_demo(client, settings):
    page = client.get("/")
    assert page.status_code == 200 and page.mimetype == "text/html"
    text = page.get_data(as_text=True)
    assert 'href="/api/docs"' in text and 'href="/healthz"' in text and "接口文档 API docs" in text
    # Without the sandbox mounted (production) there is no payer page and no logins file to point at.
    assert "/sandbox" not in text and "demo-logins.json" not in text and settings.instance_dir not in text


@pytest.fixture
def busy_port() -> Iterator[int]:
    """Something else already listens on a port."""
    other = socket.socket()
    other.bind(("127.0.0.1", 0))
    other.listen(1)
    yield other.getsockname()[1]
    other.close()


def _yecai(*args: str, cwd: Path, **env: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "backend.cli", *args],
        cwd=cwd,
        env={**os.environ, **env},
        capture_output=True,
        text=True,
        timeout=60,
    )


def test_demo_on_a_busy_port_says_which_option_to_use_and_does_nothing(busy_port, tmp_path):
    instance = tmp_path / "demo"
    result = _yecai("demo", "--port", str(busy_port), "--instance", str(instance), cwd=tmp_path)
    assert result.returncode == 1
    assert result.stderr == (
        f"Error: 端口 {busy_port} 已被占用 / port {busy_port} is in use: "
        f"try `python3 dev.py demo --port {busy_port + 1}`\n"
    )
    assert not instance.exists()  # failed before migrating, seeding or minting sandbox keys


def test_serve_on_a_busy_port_says_which_option_to_use(busy_port, tmp_path):
    result = _yecai(
        "serve",
        "--port",
        str(busy_port),
        cwd=tmp_path,
        YECAI_SECRET_KEY="a-long-enough-secret-key",
        YECAI_INSTANCE_DIR=str(tmp_path),
    )
    assert result.returncode == 1
    assert result.stderr == (
        f"Error: 端口 {busy_port} 已被占用 / port {busy_port} is in use: try `yecai serve --port {busy_port + 1}`\n"
    )
