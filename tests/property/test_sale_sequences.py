"""The stateful property test: random sequences of every business event (tests/property/machine.py),
with `yecai check` and the model's assertions after every step.

    YECAI_PROPERTY_EXAMPLES     sequences on SQLite (default 200)
    YECAI_PROPERTY_PG_EXAMPLES  sequences on PostgreSQL (default 10)
    YECAI_PROPERTY_STEPS        steps per sequence at most (default 20)
    YECAI_PROPERTY_SEED         explore from this seed instead of the fixed CI one (the soak sets it)

`python3 dev.py soak --examples 10000` runs a long exploration (README, Commands). A sequence that
once failed is kept: its seed in tests/property/seeds.txt (replayed below) and its steps as a plain
test in tests/property/test_regressions.py.
"""

from __future__ import annotations

import os
import time
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, Phase, settings
from hypothesis import seed as hypothesis_seed
from hypothesis.stateful import run_state_machine_as_test

from tests.property.machine import SaleMachine
from tests.property.world import world

SEEDS = Path(__file__).with_name("seeds.txt")


def _int(name: str, default: int) -> int:
    return int(os.environ.get(name) or default)


def _settings(examples: int, *, explore: bool) -> settings:
    return settings(
        max_examples=examples,
        stateful_step_count=_int("YECAI_PROPERTY_STEPS", 20),
        deadline=None,
        # CI replays the same sequences every run; the soak explores new ones from its seed.
        derandomize=not explore,
        database=None,
        phases=[Phase.explicit, Phase.reuse, Phase.generate, Phase.target, Phase.shrink],
        suppress_health_check=list(HealthCheck),
        print_blob=True,
    )


def kept_seeds() -> list[int]:
    lines = SEEDS.read_text().splitlines() if SEEDS.exists() else []
    return [int(line.split("#")[0]) for line in lines if line.split("#")[0].strip()]


def _run(kind: str, sandbox: Any, tmp_path: Path, examples: int, pg_url: str | None = None) -> None:
    explore = os.environ.get("YECAI_PROPERTY_SEED")
    started = time.monotonic()
    with world(kind, sandbox, tmp_path, pg_url) as here:
        SaleMachine.world = here
        here.progress = _int("YECAI_PROPERTY_PROGRESS", 0)
        run = _runner(_settings(examples, explore=bool(explore)))
        (hypothesis_seed(int(explore))(run) if explore else run)()
        print(f"\n{here.sequences} sequences on {kind} in {time.monotonic() - started:.0f} s")


def _runner(chosen: settings) -> Any:
    def run() -> None:
        run_state_machine_as_test(SaleMachine, settings=chosen)

    return run


# The exploration is sized by sequences, not by time: its run time follows the examples asked for
# (YECAI_PROPERTY_EXAMPLES) and the machine, so it is not held to the suite's per-test timeout.
@pytest.mark.timeout(1800)
def test_sale_sequences_on_sqlite(sale_sandbox: Any, tmp_path: Path, no_waiting: None) -> None:
    _run("sqlite", sale_sandbox, tmp_path, _int("YECAI_PROPERTY_EXAMPLES", 200))


@pytest.mark.pg
@pytest.mark.timeout(1800)
def test_sale_sequences_on_postgresql(
    sale_sandbox: Any, tmp_path: Path, no_waiting: None, pg_url: str
) -> None:
    _run("pg", sale_sandbox, tmp_path, _int("YECAI_PROPERTY_PG_EXAMPLES", 10), pg_url)


@pytest.mark.parametrize(
    "kept", kept_seeds() or [pytest.param(None, marks=pytest.mark.skip("no seeds kept"))]
)
def test_kept_seeds(kept: int, sale_sandbox: Any, tmp_path: Path, no_waiting: None) -> None:
    """Sequences that once found a defect, replayed from their seed."""
    with world("sqlite", sale_sandbox, tmp_path) as here:
        SaleMachine.world = here
        hypothesis_seed(kept)(_runner(_settings(_int("YECAI_PROPERTY_EXAMPLES", 200), explore=True)))()
