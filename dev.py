#!/usr/bin/env python3
"""Developer entry point that needs only Python 3.11+ and git: it builds .venv and installs yecai itself.

python3 dev.py demo     start the whole product on the embedded default with demo data
python3 dev.py test     lint, type-check, drift-check and run the whole test suite
python3 dev.py help     list every command
"""

from __future__ import annotations

import hashlib
import os
import subprocess
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parent
VENV = ROOT / ".venv"
BIN = VENV / ("Scripts" if os.name == "nt" else "bin")
STAMP = VENV / ".yecai-installed"


def run(*args: str | Path, env: dict[str, str] | None = None) -> None:
    print("+", " ".join(str(a) for a in args), flush=True)
    result = subprocess.run([str(a) for a in args], cwd=ROOT, env=env)
    if result.returncode:
        sys.exit(result.returncode)


def ensure_venv() -> None:
    """Create .venv and (re)install when pyproject.toml changed since the last install."""
    if sys.version_info < (3, 11):  # noqa: UP036 - dev.py runs on whatever python3 the machine has
        sys.exit("yecai needs Python 3.11 or newer")
    wanted = hashlib.sha256((ROOT / "pyproject.toml").read_bytes()).hexdigest()
    if not (BIN / "python").exists():
        run(sys.executable, "-m", "venv", VENV)
    if not STAMP.exists() or STAMP.read_text() != wanted:
        run(BIN / "python", "-m", "pip", "install", "--quiet", "--upgrade", "pip")
        run(BIN / "python", "-m", "pip", "install", "--quiet", "-e", ".[dev]")
        STAMP.write_text(wanted)


def demo(args: list[str]) -> None:
    """Start yecai on SQLite with demo data and the WeChat sandbox (http://127.0.0.1:8000/api/docs)."""
    ensure_venv()
    os.execv(BIN / "yecai", [str(BIN / "yecai"), "demo", *args])


def lint(_: list[str]) -> None:
    """ruff (lint and format check), mypy, and the import contracts (layers) in pyproject.toml."""
    ensure_venv()
    run(BIN / "ruff", "check", ".")
    run(BIN / "ruff", "format", "--check", ".")
    run(BIN / "mypy")
    run(BIN / "lint-imports")


def drift(_: list[str]) -> None:
    """Migrate a fresh SQLite database and fail if the models and migrations differ."""
    ensure_venv()
    with tempfile.TemporaryDirectory() as scratch:
        env = {
            **os.environ,
            "YECAI_DATABASE_URL": f"sqlite:///{scratch}/drift.sqlite3",
            "YECAI_INSTANCE_DIR": scratch,
        }
        run(BIN / "yecai", "db", "upgrade", env=env)
        run(BIN / "yecai", "db", "check-drift", env=env)


def test(args: list[str]) -> None:
    """The whole suite: lint, types, drift, then pytest on SQLite and on PostgreSQL + Redis."""
    lint([])
    drift([])
    run(BIN / "pytest", "-q", *args)


def drills(args: list[str]) -> None:
    """Crash, restart, two-node and backup drills on a private PostgreSQL, Redis and nginx (tests/drills)."""
    ensure_venv()
    run(BIN / "pytest", "-q", "tests/drills", *args)


def bench(args: list[str]) -> None:
    """Place-and-pay throughput of the app under gunicorn vs. bare SQL under pgbench (see bench/README.md)."""
    ensure_venv()
    run(BIN / "python", "bench/place_and_pay.py", *(args or ["--floor"]))


def vendor(args: list[str]) -> None:
    """Refresh the console's vendored Vue, Vant and ECharts from npm at the pinned, verified versions."""
    run(sys.executable, "console/vendor.py", *args)


def soak(args: list[str]) -> None:
    """Explore random sale sequences for long: --examples N (default 10000), --seed S, --steps K."""
    import argparse
    import secrets

    parser = argparse.ArgumentParser(prog="python3 dev.py soak")
    parser.add_argument("--examples", type=int, default=10_000)
    parser.add_argument("--seed", type=int, default=None, help="replay an exploration (default: a new one)")
    parser.add_argument("--steps", type=int, default=20, help="events per sequence at most")
    options = parser.parse_args(args)
    ensure_venv()
    seed = options.seed if options.seed is not None else secrets.randbelow(2**32)
    print(f"soak: {options.examples} sequences from seed {seed} (a failure is kept by adding the seed to")
    print("tests/property/seeds.txt; tests/property/README.md says how)", flush=True)
    env = {
        **os.environ,
        "YECAI_PROPERTY_EXAMPLES": str(options.examples),
        "YECAI_PROPERTY_SEED": str(seed),
        "YECAI_PROPERTY_STEPS": str(options.steps),
        "YECAI_PROPERTY_PROGRESS": "500",
    }
    test = "tests/property/test_sale_sequences.py::test_sale_sequences_on_sqlite"
    run(BIN / "pytest", test, "-q", "-s", "-p", "no:cacheprovider", "--timeout=0", env=env)


def help_(_: list[str]) -> None:
    """List the commands."""
    for name, fn in COMMANDS.items():
        print(f"  python3 dev.py {name:6s} {(fn.__doc__ or '').strip().splitlines()[0]}")


COMMANDS = {
    "demo": demo,
    "test": test,
    "lint": lint,
    "drift": drift,
    "drills": drills,
    "bench": bench,
    "vendor": vendor,
    "soak": soak,
    "help": help_,
}

if __name__ == "__main__":
    command, *rest = sys.argv[1:] or ["help"]
    if command not in COMMANDS:
        help_([])
        sys.exit(2)
    COMMANDS[command](rest)
