"""The journal refuses an entry only when the caller has a bug: these are internal errors."""

from __future__ import annotations

from backend.errors import InternalError


class UnbalancedEntry(InternalError):
    message = "The journal entry does not balance"


class UnknownAccount(InternalError):
    message = "Unknown account code"
