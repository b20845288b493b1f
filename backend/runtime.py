"""Start-up shared by the web app, the rq worker and the CLI: bind the database and configure jobs,
and the process-wide settings and clients domain code reads. Which modules make up the app (models,
job handlers, checks, periodic jobs) is the composition root's business: backend/wiring.py.
"""

from __future__ import annotations

import peewee

from backend import clock
from backend.config import Settings
from backend.db import bind, make_database
from backend.jobs import dispatch


def init(settings: Settings) -> peewee.Database:
    clock.use_zone(settings.timezone)
    database = make_database(settings.database_url, settings.db_pool_size)
    bind(database)
    dispatch.configure(settings.redis_url, settings.rq_queue)
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
