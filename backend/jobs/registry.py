"""Job handlers by name. A handler takes the JSON payload and must be safe to run twice."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

Handler = Callable[[dict[str, Any]], None]

_handlers: dict[str, Handler] = {}


def job(name: str) -> Callable[[Handler], Handler]:
    def register(fn: Handler) -> Handler:
        if name in _handlers and _handlers[name] is not fn:
            raise RuntimeError(f"job {name!r} registered twice")
        _handlers[name] = fn
        return fn

    return register


def handler_for(name: str) -> Handler:
    try:
        return _handlers[name]
    except KeyError:
        raise LookupError(f"no job handler named {name!r}")


def registered() -> list[str]:
    return sorted(_handlers)
