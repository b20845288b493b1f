"""Start-up shared by the web app, the rq worker and the CLI: bind the database and configure jobs,
and the process-wide settings and clients domain code reads. Which modules make up the app (models,
job handlers, checks, periodic jobs) is the composition root's business: backend/wiring.py.
"""

from __future__ import annotations

import peewee

from backend import clock
from backend.auth.lockout import LoginGuard, LoginLimits
from backend.config import Settings
from backend.db import bind, make_database
from backend.jobs import dispatch
from backend.throttle import Counters, MemoryStore, RedisStore


def init(settings: Settings) -> peewee.Database:
    clock.use_zone(settings.timezone)
    database = make_database(settings.database_url, settings.db_pool_size)
    bind(database)
    dispatch.configure(settings.redis_url, settings.rq_queue, settings.outbox_redeliver_seconds)
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


def counters() -> Counters:
    """Attempt counters for lockouts and rate limits: shared through Redis when configured (keys
    under the rq queue's name, which keeps one installation apart from another), else in memory."""
    value = _state.get("counters")
    if not isinstance(value, Counters):
        current = settings()
        store: MemoryStore | RedisStore = (
            RedisStore(dispatch.redis_connection(), prefix=f"{current.rq_queue}:throttle:")
            if current.redis_url
            else MemoryStore()
        )
        value = Counters(store)
        _state["counters"] = value
    return value


def login_guard() -> LoginGuard:
    current = settings()
    return LoginGuard(
        counters(),
        LoginLimits(
            max_failures=current.login_max_failures,
            window_seconds=current.login_failure_window_seconds,
            lockout_seconds=current.login_lockout_seconds,
            max_failures_per_address=current.login_max_failures_per_address,
        ),
    )


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
