"""Invariant checks run by `yecai check`. Each check returns the breaks it found, one readable
line each; an empty list means the invariant holds. Domains add theirs with `@invariant`.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

Check = Callable[[], list[str]]

_checks: dict[str, Check] = {}


def invariant(name: str) -> Callable[[Check], Check]:
    def register(fn: Check) -> Check:
        _checks[name] = fn
        return fn

    return register


@dataclass(frozen=True)
class CheckResult:
    name: str
    problems: list[str]

    @property
    def ok(self) -> bool:
        return not self.problems


def run_all() -> list[CheckResult]:
    results = []
    for name, check in _checks.items():
        try:
            problems = check()
        except Exception as exc:  # a check that cannot run is itself a break
            problems = [f"check could not run: {type(exc).__name__}: {exc}"]
        results.append(CheckResult(name, problems))
    return results


def names() -> list[str]:
    return list(_checks)
