"""Job handlers by name. A handler takes the JSON payload and must be safe to run twice.

Each handler must declare how it is delivered (registering one without a delivery is refused), because
nothing may leave the database while a transaction is open (a slow remote side would hold the outbox
row's lock, and whatever else), and because a call that is repeated after a crash must be harmless:
- LOCAL: database work only; it runs inside the transaction that marks the row done.
- REMOTE_DEDUPES: it calls a remote side that deduplicates (a refund by out_refund_no, a close by
  out_trade_no); it runs with no transaction open and is simply retried until it succeeds.
- AT_MOST_ONCE: a repeat would be seen (a subscribe message must not arrive twice, and spends the
  customer's one-time subscription); the attempt is committed as started first, the call runs with no
  transaction open, and a run that finds an attempt unfinished (the process died mid-call) marks the
  row needs_attention for a person (`yecai check` lists it) instead of calling again: WeChat has no
  way to ask whether a subscribe message went out.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

Handler = Callable[[dict[str, Any]], None]

LOCAL = "local"
REMOTE_DEDUPES = "remote_dedupes"
AT_MOST_ONCE = "at_most_once"
DELIVERIES = (LOCAL, REMOTE_DEDUPES, AT_MOST_ONCE)


class NotDelivered(Exception):
    """Raised by an at-most-once handler when the remote side refused (answered with an error): nothing
    went out, so the row is retried. Any other failure of such a handler flags the row instead."""


_handlers: dict[str, Handler] = {}
_deliveries: dict[str, str] = {}


def job(name: str, *, delivery: str) -> Callable[[Handler], Handler]:
    """Register a handler; `delivery` is required, so every job that calls out says what a retry does."""
    if delivery not in DELIVERIES:
        raise ValueError(f"job {name!r}: delivery must be one of {DELIVERIES}, not {delivery!r}")

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
