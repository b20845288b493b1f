"""The console's pages and assets as the server sends them (no browser needed)."""

from __future__ import annotations

import json
from typing import Any

from console import menu, vendor


def test_vendored_libraries_match_the_lock_file() -> None:
    assert vendor.check(vendor.load_lock()) == []
    assert sorted(vendor.load_lock()["packages"]) == ["echarts", "vant", "vue"]


def test_shells_and_assets_are_served(client: Any) -> None:
    for path in ("/m/", "/m/login"):
        response = client.get(path)
        assert response.status_code == 200
        html = response.get_data(as_text=True)
        assert "/m/static/vendor/vue/vue.global.prod.js" in html
        assert "/m/static/yc.js" in html
    script = client.get("/m/static/yc.js")
    assert script.status_code == 200
    assert b"intentKey" in script.data
    vant = client.get("/m/static/vendor/vant/vant.min.js")
    assert vant.status_code == 200 and len(vant.data) > 100_000


def test_every_page_in_the_menu_has_its_template_and_roles(client: Any) -> None:
    for page in menu.PAGES:
        assert page.allowed_roles, page
        response = client.get(page.path)
        assert response.status_code == 200, page.path
        roles = json.dumps(list(page.allowed_roles))
        assert f"yc.configure({{pageRoles: {roles}}})" in response.get_data(as_text=True)


def test_unknown_pages_are_404(client: Any) -> None:
    assert client.get("/m/staff/no-such-page").status_code == 404
    assert client.get("/m/base/base").status_code == 404
    assert client.get("/m/../api/auth/me").status_code in (404, 401)
