"""Demo data for the embedded default: accounts to log in with, and whatever each domain seeds.

Loading is idempotent: a second `yecai demo` keeps the existing data and prints the same logins.
"""

from __future__ import annotations

import json
import secrets
from pathlib import Path
from typing import Any

from backend.auth import services as auth
from backend.auth.models import User
from backend.db import transaction
from payments import demo as payments_demo
from store import demo as store_demo
from store.distribution import demo_data as distribution_demo
from store.distribution import demo_history as distribution_history

# Each domain that has demo data adds its seeder here; called in order with no arguments.
SEEDERS = (store_demo.seed, payments_demo.seed, distribution_demo.seed, distribution_history.seed)

DEMO_ACCOUNTS = (
    ("owner", "owner", "老板 Owner", "13800000001"),
    ("staff", "staff", "店员 Staff", "13800000002"),
    ("distributor", "distributor", "经销商 Distributor", "13800000003"),
)


def logins_file(instance_dir: str) -> Path:
    """Where the demo keeps the passwords it generated."""
    return Path(instance_dir) / "demo-logins.json"


def sandbox_token_file(instance_dir: str) -> Path:
    """Where the demo keeps the token its WeChat sandbox's control endpoints and payer page need."""
    return Path(instance_dir) / "demo-sandbox-token"


def sandbox_token(instance_dir: str) -> str:
    """The demo sandbox's control token: made once, kept (owner-only) beside the logins."""
    path = sandbox_token_file(instance_dir)
    if path.exists() and path.read_text().strip():
        return path.read_text().strip()
    path.parent.mkdir(parents=True, exist_ok=True)
    token = secrets.token_urlsafe(24)
    path.touch(mode=0o600)
    path.chmod(0o600)
    path.write_text(token + "\n")
    return token


def load(instance_dir: str) -> dict[str, Any]:
    """Create demo accounts (random passwords, kept in the instance folder) and run the seeders."""
    path = logins_file(instance_dir)
    logins: dict[str, Any] = json.loads(path.read_text()) if path.exists() else {}
    with transaction():
        for role, username, name, phone in DEMO_ACCOUNTS:
            if User.select().where(User.username == username).exists():
                continue
            password = logins.get(username) or secrets.token_urlsafe(9)
            auth.create_user(role, username=username, display_name=name, phone=phone, password=password)
            logins[username] = password
        for seed in SEEDERS:
            seed()
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(logins, indent=2))
    path.chmod(0o600)
    return logins
