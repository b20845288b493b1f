"""Browser tests of the phone console: the real app served over HTTP on a free port (with the WeChat
sandbox), driven by Playwright through Debian's Chromium at a phone's size (375×812).

Fixtures:
    live            the app's base URL (its own server thread; the sandbox's notifications reach it)
    page            a fresh Playwright page (logged out), screenshotted into tests/console/screenshots/
                    when the test ends, named after the test
    screenshot      screenshot(name) saves the page now as screenshots/<name>.png and answers the path
    console_login   console_login(user) logs the page in through /m/login and waits for the home menu

Tests run on SQLite. One that needs PostgreSQL too says so:
    @pytest.mark.parametrize("db_kind", ["sqlite", "pg"], indirect=True)

No browser is ever downloaded: Playwright launches /usr/bin/chromium (deploy/debian-packages.txt).
Without it (or without the playwright package) the tests are skipped locally; with CI=true they fail.
"""

from __future__ import annotations

import os
import re
import shutil
import threading
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from werkzeug.serving import BaseWSGIServer, make_server

from tests.conftest import IN_CI

CHROMIUM = os.environ.get("YECAI_TEST_CHROMIUM", "/usr/bin/chromium")
CHROMIUM_FLAGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]
PHONE = {"width": 375, "height": 812}
SCREENSHOTS = Path(__file__).resolve().parent / "screenshots"
# The README's pictures are refreshed only when asked, so a test run leaves the working tree clean.
DOC_SCREENSHOTS = Path(__file__).resolve().parents[2] / "docs" / "screenshots"
UPDATE_DOC_SCREENSHOTS = os.environ.get("YECAI_UPDATE_DOC_SCREENSHOTS") == "1"
PASSWORD = "correct horse 1"  # make_user's default


@pytest.fixture(params=["sqlite"])
def db_kind(request: pytest.FixtureRequest) -> str:
    """Browser tests are slow: SQLite unless a test asks for PostgreSQL too (see the module doc)."""
    return str(request.param)


class _Dispatch:
    """The server starts before the app exists (its URL goes into the settings)."""

    app: Any = None

    def __call__(self, environ: Any, start_response: Any) -> Any:
        return self.app(environ, start_response)


@pytest.fixture
def live_server() -> Iterator[tuple[_Dispatch, BaseWSGIServer]]:
    dispatch = _Dispatch()
    server = make_server("127.0.0.1", 0, dispatch, threaded=True)
    thread = threading.Thread(target=server.serve_forever, args=(0.05,), name="console-app", daemon=True)
    thread.start()
    yield dispatch, server
    server.shutdown()
    server.server_close()
    thread.join(timeout=5)


@pytest.fixture
def settings(settings: Any, live_server: tuple[_Dispatch, BaseWSGIServer]) -> Any:
    _, server = live_server
    return settings.with_overrides(public_base_url=f"http://127.0.0.1:{server.server_port}")


@pytest.fixture
def live(app: Any, live_server: tuple[_Dispatch, BaseWSGIServer]) -> str:
    dispatch, server = live_server
    dispatch.app = app
    return f"http://127.0.0.1:{server.server_port}"


def _browser_problem() -> str | None:
    try:
        import playwright.sync_api  # noqa: F401
    except ImportError:
        return "the playwright package is not installed (pip install -e '.[dev]')"
    if not os.access(CHROMIUM, os.X_OK):
        return f"{CHROMIUM} is missing (apt-get install chromium, see deploy/debian-packages.txt)"
    return None


@pytest.fixture(scope="session")
def browser() -> Iterator[Any]:
    problem = _browser_problem()
    if problem:
        if IN_CI:
            pytest.fail(f"CI requires the browser for the console tests: {problem}", pytrace=False)
        pytest.skip(problem)
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        chromium = playwright.chromium.launch(executable_path=CHROMIUM, headless=True, args=CHROMIUM_FLAGS)
        yield chromium
        chromium.close()


def _file_name(text: str) -> str:
    return re.sub(r"[^A-Za-z0-9_.-]+", "_", text).strip("_")


@pytest.fixture
def page(browser: Any, live: str, request: pytest.FixtureRequest) -> Iterator[Any]:
    context = browser.new_context(
        base_url=live,
        viewport=PHONE,
        device_scale_factor=2,
        is_mobile=True,
        has_touch=True,
        locale="zh-CN",
        timezone_id="Asia/Shanghai",
    )
    # Generous: the first page of a run also starts the live app and Chromium on a busy CI machine.
    context.set_default_timeout(30_000)
    tab = context.new_page()
    errors: list[str] = []
    tab.on("pageerror", lambda exc: errors.append(str(exc)))
    yield tab
    SCREENSHOTS.mkdir(exist_ok=True)
    try:
        tab.screenshot(path=str(SCREENSHOTS / f"{_file_name(request.node.name)}.png"))
    finally:
        context.close()
    assert not errors, f"script errors on the page: {errors}"


@pytest.fixture
def screenshot(page: Any) -> Any:
    def save(name: str, *, full_page: bool = False, docs: bool = False) -> Path:
        """Saves the page now; `docs=True` marks a README picture (docs/screenshots/<name>.png),
        rewritten when YECAI_UPDATE_DOC_SCREENSHOTS=1."""
        SCREENSHOTS.mkdir(exist_ok=True)
        path = SCREENSHOTS / f"{_file_name(name)}.png"
        page.screenshot(path=str(path), full_page=full_page)
        if docs and UPDATE_DOC_SCREENSHOTS:
            DOC_SCREENSHOTS.mkdir(parents=True, exist_ok=True)
            shutil.copy(path, DOC_SCREENSHOTS / f"{name}.png")
        return path

    return save


class ConsoleLogin:
    """console_login(user) logs in through /m/login and waits for the page it lands on;
    console_login.fill_and_submit(user) only fills the login page already open."""

    def __init__(self, page: Any) -> None:
        self.page = page

    def fill_and_submit(self, user: Any, password: str = PASSWORD) -> None:
        self.page.get_by_placeholder("用户名或手机号 Username or phone").fill(user.username)
        self.page.get_by_placeholder("密码 Password").fill(password)
        self.page.get_by_role("button", name="登录 Log in").click()

    def __call__(self, user: Any, password: str = PASSWORD, next_path: str | None = None) -> None:
        self.page.goto("/m/login" + (f"?next={next_path}" if next_path else ""))
        self.fill_and_submit(user, password)
        self.page.wait_for_url(re.compile(re.escape(next_path or "/m/") + "$"))
        # The landing page asks /api/auth/me as it starts: let that answer arrive, so a test that moves
        # the server's clock next (an expired session) does not race the page's own first request.
        self.page.wait_for_load_state("networkidle")


@pytest.fixture
def console_login(page: Any) -> ConsoleLogin:
    return ConsoleLogin(page)
