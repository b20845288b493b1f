"""Job handlers by name. A handler takes the JSON payload and must be safe to run twice.

Each handler declares how it is delivered, because nothing may leave the database while a
transaction is open (a slow remote side would hold the outbox row's lock, and whatever else):
- LOCAL (the default): database work only; it runs inside the transaction that marks the row done.
- REMOTE_DEDUPES: it calls a remote side that deduplicates (a refund by out_refund_no, a close by
  out_trade_no); it runs with no transaction open and is simply retried until it succeeds.
- AT_MOST_ONCE: a repeat would be seen (a subscribe message must not arrive twice); the attempt is
  committed first, the call runs with no transaction open, and an attempt that never finished
  (the process died mid-call) is left flagged for a person instead of being repeated.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

Handler = Callable[[dict[str, Any]], None]

LOCAL = "local"
REMOTE_DEDUPES = "remote_dedupes"
AT_MOST_ONCE = "at_most_once"
DELIVERIES = (LOCAL, REMOTE_DEDUPES, AT_MOST_ONCE)

_handlers: dict[str, Handler] = {}
_deliveries: dict[str, str] = {}


def job(name: str, *, delivery: str = LOCAL) -> Callable[[Handler], Handler]:
    if delivery not in DELIVERIES:
        raise ValueError(f"unknown delivery {delivery!r}")

    def register(fn: Handler) -> Handler:
        if name in _handlers and _handlers[name] is not fn:
            raise RuntimeError(f"job {name!r} registered twice")
        _handlers[name] = fn
        _deliveries[name] = delivery
        return fn

    return register


def handler_for(name: str) -> Handler:
    try:
        return _handlers[name]
    except KeyError:
        raise LookupError(f"no job handler named {name!r}")


def delivery_of(name: str) -> str:
    handler_for(name)
    return _deliveries[name]


def registered() -> list[str]:
    return sorted(_handlers)
