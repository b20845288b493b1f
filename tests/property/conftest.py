"""Fixtures of the stateful property test."""

from __future__ import annotations

from typing import Any

import pytest


@pytest.fixture
def no_waiting(monkeypatch: pytest.MonkeyPatch, wechat_sandbox: Any) -> None:
    """The payment code's polling moves WeChat's clock instead of sleeping."""
    from payments import codepay

    monkeypatch.setattr(codepay, "sleep", wechat_sandbox.advance)
