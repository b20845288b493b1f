"""yecai's core: configuration, database, auth and roles, jobs, CLI, and the back-office domains."""

from __future__ import annotations

from typing import Any


def create_app(config: Any = None, **kwargs: Any) -> Any:
    from backend.app import create_app as _create_app

    return _create_app(config, **kwargs)


__all__ = ["create_app"]
