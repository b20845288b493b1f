"""Fixtures of the stateful property test."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest


@pytest.fixture(scope="module")
def sale_sandbox() -> Iterator[Any]:
    """A WeChat sandbox of these tests' own: sequences move its clock by hours and leave it owing
    notifications, which must never reach another test's app."""
    from payments.sandbox.testing import running_sandbox

    with running_sandbox() as sandbox:
        yield sandbox


@pytest.fixture
def no_waiting(monkeypatch: pytest.MonkeyPatch, sale_sandbox: Any) -> None:
    """The payment code's polling moves WeChat's clock instead of sleeping."""
    from payments import codepay

    monkeypatch.setattr(codepay, "sleep", sale_sandbox.advance)
