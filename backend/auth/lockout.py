"""Password guessing is limited twice: per account (after `max_failures` wrong passwords within the
window it is locked, even to the right password, for `lockout_seconds`) and per client address
(`max_failures_per_address` wrong passwords across any accounts refuse that address until the
window ends). A success clears the account's count. Locks land in the audit log.

The account is keyed by its user id when the login names one (its username and phone share one
count), else by the login as typed: an unknown login locks the same way, so the answers do not
tell which logins exist.
"""

from __future__ import annotations

from dataclasses import dataclass

from backend import audit
from backend.auth import errors
from backend.db import transaction
from backend.throttle import Counters


@dataclass(frozen=True)
class LoginLimits:
    max_failures: int
    window_seconds: int
    lockout_seconds: int
    max_failures_per_address: int


@dataclass(frozen=True)
class LoginGuard:
    counters: Counters
    limits: LoginLimits

    def check(self, account: str, address: str) -> None:
        """Refuse before the password is even checked while the account or the address is locked."""
        locked_for = self.counters.locked_for(f"login:account:{account}")
        if locked_for:
            raise errors.LoginLocked(locked_for)
        from_address = self.counters.count(f"login:address:{address}", self.limits.window_seconds)
        if from_address.count >= self.limits.max_failures_per_address:
            raise errors.LoginThrottled(from_address.seconds_left)

    def failed(self, account: str, address: str, user_id: int | None, login: str) -> None:
        """Count a wrong password; the attempt that reaches a limit locks and is audited."""
        limits = self.limits
        failures = self.counters.hit(f"login:account:{account}", limits.window_seconds)
        if failures.count == limits.max_failures:
            self.counters.lock(f"login:account:{account}", limits.lockout_seconds)
            self.counters.clear(f"login:account:{account}", limits.window_seconds)
            _audit("auth.login_locked", user_id, login, address, failures.count, limits.lockout_seconds)
        from_address = self.counters.hit(f"login:address:{address}", limits.window_seconds)
        if from_address.count == limits.max_failures_per_address:
            _audit(
                "auth.address_throttled",
                user_id,
                login,
                address,
                from_address.count,
                from_address.seconds_left,
            )

    def succeeded(self, account: str) -> None:
        self.counters.clear(f"login:account:{account}", self.limits.window_seconds)


def _audit(action: str, user_id: int | None, login: str, address: str, failures: int, seconds: int) -> None:
    target = ("user", user_id) if user_id is not None else ("login", login)
    with transaction():
        audit.record(None, action, *target, login=login, address=address, failures=failures, seconds=seconds)
