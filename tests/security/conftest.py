"""The app served over real HTTP with the WeChat sandbox (tests.payments), the small drinks shop
with its WeChat shoppers (tests.store), and a world with someone behind every role."""

from __future__ import annotations

from typing import Any

import pytest

from tests.payments.conftest import live, live_server, place, settings, wechat_buyer  # noqa: F401
from tests.security import world as worlds
from tests.store.conftest import shop, shopper  # noqa: F401


@pytest.fixture
def world(client: Any, wechat_sandbox: Any, shop: Any, shopper: Any) -> worlds.World:  # noqa: F811
    return worlds.build(client, wechat_sandbox, shop, shopper)
