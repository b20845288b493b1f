"""Start-up shared by the web app, the rq worker and the CLI: bind the database, configure jobs,
and import every domain module so its models and job handlers are registered.
"""

from __future__ import annotations

import importlib

import peewee

from backend import clock
from backend.config import Settings
from backend.db import BaseModel, bind, make_database
from backend.jobs import dispatch

# Every module that defines models or job handlers. Listed once, here, in dependency order.
DOMAIN_MODULES: tuple[str, ...] = (
    "backend.auth.models",
    "backend.audit",
    "backend.idempotency",
    "backend.jobs.models",
    "backend.platform_checks",
    # The sale spine: catalog/customers/orders, stock, journal, receivables, their checks and jobs.
    "backend.kernel.models",
    "backend.inventory.models",
    "backend.ledger.models",
    "backend.receivables.models",
    "backend.ledger.checks",
    "backend.inventory.checks",
    "backend.receivables.checks",
    "store.jobs",
    # Payments: records against WeChat, notifications, refunds, reconciliation, their jobs and checks.
    "payments.models",
    "payments.jobs",
    "payments.checks",
    # The mini-program shop: members, points, stored value, carts, checkout, shipping, after-sales.
    "store.shop_models",
    "store.checks",
    "store.notify",
)


def load_domain_modules() -> None:
    for name in DOMAIN_MODULES:
        importlib.import_module(name)


def all_models() -> list[type[BaseModel]]:
    load_domain_modules()
    seen: list[type[BaseModel]] = []
    stack = list(BaseModel.__subclasses__())
    while stack:
        model = stack.pop(0)
        if model not in seen and not model.__module__.startswith("playhouse"):
            seen.append(model)
        stack.extend(model.__subclasses__())
    return seen


def init(settings: Settings) -> peewee.Database:
    clock.use_zone(settings.timezone)
    database = make_database(settings.database_url, settings.db_pool_size)
    bind(database)
    dispatch.configure(settings.redis_url, settings.rq_queue)
    load_domain_modules()
    return database


_state: dict[str, object] = {}


def configure(settings: Settings) -> peewee.Database:
    """init() and remember the settings for the process-wide clients below."""
    _state.clear()
    _state["settings"] = settings
    return init(settings)


def settings() -> Settings:
    value = _state.get("settings")
    if not isinstance(value, Settings):
        raise RuntimeError("runtime.configure() has not been called")
    return value


def miniprogram_client():
    """wechatpy's WeChatClient for this process; the access token is shared through Redis when configured."""
    client = _state.get("miniprogram_client")
    if client is None:
        from backend.wechat_client import make_miniprogram_client

        current = settings()
        session = None
        if current.redis_url:
            from wechatpy.session.redisstorage import RedisStorage

            session = RedisStorage(dispatch.redis_connection(), prefix="yecai:wechat")
        client = make_miniprogram_client(
            current.wechat_appid, current.wechat_secret, current.wechat_api_base, session=session
        )
        _state["miniprogram_client"] = client
    return client
