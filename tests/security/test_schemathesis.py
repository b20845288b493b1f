"""schemathesis against the live app (served over HTTP, with the WeChat sandbox) on SQLite and on
PostgreSQL: requests generated from the OpenAPI document, valid and invalid, as the roles each
operation admits. Every answer must be a non-5xx and match what the document says.

Bounded in time: YECAI_FUZZ_SECONDS per database (default 150). To search longer, e.g. half an hour
per database:

    YECAI_FUZZ_SECONDS=1800 .venv/bin/pytest tests/security/test_schemathesis.py -s

Each failure is printed with the request that caused it; pin a real one as a plain test in
tests/security/test_found_by_probes.py when fixing it.
"""

from __future__ import annotations

import itertools
import os
import threading
from collections import Counter, defaultdict
from typing import Any

import pytest
import schemathesis
from schemathesis.engine import Status, events

from tests.security import world as worlds
from tests.security.probes import PUBLIC

FUZZ_SECONDS = int(os.environ.get("YECAI_FUZZ_SECONDS", "150"))
CHECKS = ("not_a_server_error", "response_schema_conformance", "content_type_conformance")


@pytest.fixture
def settings(settings: Any) -> Any:
    # Let the generated requests past the per-minute limit on costly endpoints, so they reach the
    # code behind it; the limit itself is tested in tests/store/test_rate_limits.py. Likewise the
    # lockouts: generated wrong passwords would otherwise lock the address the fuzzer's own logins
    # come from (tests/platform/test_login_lockout.py covers them).
    return settings.with_overrides(
        costly_requests_per_minute=1_000_000,
        login_max_failures=1_000_000,
        login_max_failures_per_address=1_000_000,
    )


class RoleTokens:
    """Bearer tokens for each operation's admitted roles, in turn; a session that a generated
    request revoked (logout, DELETE of one's own session) is replaced before the next use."""

    def __init__(self, client: Any, sandbox: Any, world: worlds.World) -> None:
        self.client, self.sandbox = client, sandbox
        self.by_role: dict[str, itertools.cycle[worlds.Principal]] = {}
        for role in ("customer", "distributor", "staff", "owner"):
            self.by_role[role] = itertools.cycle([p for p in world.principals if p.role == role])
        self.lock = threading.Lock()
        self.used: Counter[str] = Counter()

    def for_operation(self, doc: dict[str, Any]) -> worlds.Principal | None:
        roles = [r for r in doc.get("x-roles", ()) if r != PUBLIC]
        if not roles:
            return None
        with self.lock:
            role = roles[sum(self.used.values()) % len(roles)]
            principal = next(self.by_role[role])
            self.used[principal.name] += 1
            if not self._alive(principal):
                worlds.relogin(self.client, self.sandbox, principal)
        return principal

    def _alive(self, principal: worlds.Principal) -> bool:
        from backend.auth import services as auth
        from backend.errors import DomainError

        try:
            auth.authenticate(principal.headers["Authorization"].removeprefix("Bearer "))
        except DomainError:
            return False
        return True


@pytest.mark.timeout(FUZZ_SECONDS + 300)  # the budget, plus building the world and tearing down
def test_generated_requests_get_no_server_error_and_answers_match_the_document(
    client, live, wechat_sandbox, world, db_kind
):
    tokens = RoleTokens(client, wechat_sandbox, world)
    config = schemathesis.Config.from_dict(
        {
            "max-time": FUZZ_SECONDS,
            "seed": 20261201,
            "checks": {"enabled": False, **{name: {"enabled": True} for name in CHECKS}},
            "phases": {"stateful": {"enabled": False}},
            "generation": {"max-examples": 50},
            "request-timeout": 30,
        }
    )
    schema = schemathesis.openapi.from_url(f"{live}/api/openapi.json", config=config)
    schema.config.update(base_url=live)

    @schema.auth(refresh_interval=None)
    class ByRole:
        def get(self, case: Any, ctx: Any) -> worlds.Principal | None:
            return tokens.for_operation(case.operation.definition.raw)

        def set(self, case: Any, principal: worlds.Principal | None, ctx: Any) -> None:
            if principal is not None:
                case.headers = {**(case.headers or {}), **principal.headers}

    requests: Counter[str] = Counter()
    answers: defaultdict[str, Counter[int]] = defaultdict(Counter)
    failures: list[str] = []
    stop_reason = None
    phases: list[str] = []
    for event in schemathesis.engine.from_schema(schema).execute():
        if isinstance(event, events.ScenarioFinished):
            requests[event.recorder.label] += len(event.recorder.interactions)
            for interaction in event.recorder.interactions.values():
                if interaction.response is not None:
                    answers[event.recorder.label][interaction.response.status_code // 100] += 1
            for case_id, checks in event.recorder.checks.items():
                for check in checks:
                    if check.status == Status.FAILURE and check.failure_info is not None:
                        failures.append(_describe(event.recorder, case_id, check))
        elif isinstance(event, events.NonFatalError):
            failures.append(f"{event.label}: {event.info.title}: {event.info.message}")
        elif isinstance(event, events.FatalError):
            raise event.exception
        elif isinstance(event, events.PhaseFinished):
            phases.append(f"{event.phase.name.value}:{event.status.value}")
        elif isinstance(event, events.EngineFinished):
            stop_reason = event.stop_reason

    print(
        f"\nschemathesis [{db_kind}]: {sum(requests.values())} requests over {len(requests)} operations "
        f"({stop_reason}; phases {', '.join(phases)}), {len(failures)} failures; "
        f"sessions used: {dict(tokens.used)}"
    )
    never_served = sorted(op for op in requests if not answers[op][2])
    print(f"operations never answered 2xx: {len(never_served)}", *never_served, sep="\n  ")
    print(*sorted(set(failures)), sep="\n")
    assert sorted(set(failures)) == []


def _describe(recorder: Any, case_id: str, check: Any) -> str:
    interaction = recorder.interactions.get(case_id)
    request = response = ""
    if interaction is not None:
        body = interaction.request.body
        request = f"{interaction.request.method} {interaction.request.uri} {body[:300] if body else ''}"
        if interaction.response is not None:
            response = f"-> {interaction.response.status_code} {interaction.response.content[:300]!r}"
    info = check.failure_info.failure
    return f"{recorder.label}: {check.name}: {info.title} {info.message[:300]} [{request} {response}]"
