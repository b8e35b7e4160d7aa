"""The one Redis client factory: every module gets its connection here.

One connection pool per process (redis-py resets a pool after fork), built from `REDIS_URL`
with short timeouts, so an unreachable Redis fails fast and becomes a 503.
"""
from __future__ import annotations

import threading
from pathlib import Path

import redis
import redis.asyncio as aredis
from django.conf import settings
from redis.backoff import ExponentialBackoff
from redis.commands.core import Script
from redis.retry import Retry

_lock = threading.Lock()
_pool: redis.ConnectionPool | None = None
_async_pools: dict[int, aredis.ConnectionPool] = {}


def _options() -> dict:
    return {
        "decode_responses": True,
        "socket_timeout": settings.REDIS_SOCKET_TIMEOUT,
        "socket_connect_timeout": settings.REDIS_CONNECT_TIMEOUT,
        "health_check_interval": 30,
        "max_connections": settings.REDIS_MAX_CONNECTIONS,
    }


def _retry() -> Retry:
    # One quick retry covers a connection dropped by a Redis restart; more would only delay
    # the 503 a client should see when Redis is really gone.
    return Retry(ExponentialBackoff(cap=0.05, base=0.01), 1)


def redis_client() -> redis.Redis:
    """Return a client on the process-wide pool (text replies, short timeouts)."""
    global _pool
    if _pool is None:
        with _lock:
            if _pool is None:
                _pool = redis.ConnectionPool.from_url(settings.REDIS_URL, **_options())
    return redis.Redis(connection_pool=_pool, retry=_retry())


def async_redis_client() -> aredis.Redis:
    """Return an asyncio client on a pool owned by the running event loop's thread."""
    import asyncio

    loop_id = id(asyncio.get_running_loop())
    pool = _async_pools.get(loop_id)
    if pool is None:
        pool = aredis.ConnectionPool.from_url(settings.REDIS_URL, **_options())
        _async_pools[loop_id] = pool
    return aredis.Redis(connection_pool=pool, retry=_retry())


def reset_clients() -> None:
    """Drop the pools (tests and settings changes); the next call builds new ones."""
    global _pool
    with _lock:
        if _pool is not None:
            _pool.disconnect()
        _pool = None
        _async_pools.clear()


_scripts: dict[str, str] = {}


def lua_source(path: Path) -> str:
    """Return the text of a `.lua` file, read once per process."""
    key = str(path)
    if key not in _scripts:
        _scripts[key] = path.read_text()
    return _scripts[key]


class LuaScript:
    """A `.lua` file run with EVALSHA (falling back to EVAL on NOSCRIPT), or EVAL in a pipeline.

    redis-py's `Script` binds to one client; this keeps one binding per process pool so a
    module can declare its scripts at import time. Inside a pipeline redis-py's `Script` adds
    a `SCRIPT EXISTS` round trip to every execute, so there we send the source with EVAL
    (Redis caches the compiled script by its SHA either way) and keep the pipeline one round trip.
    """

    def __init__(self, path: Path) -> None:
        self.path = path
        self._script: Script | None = None
        self._pool_id: int | None = None

    @property
    def source(self) -> str:
        return lua_source(self.path)

    def _bound(self, client: redis.Redis) -> Script:
        pool_id = id(client.connection_pool)
        if self._script is None or self._pool_id != pool_id:
            self._script = client.register_script(self.source)
            self._pool_id = pool_id
        return self._script

    def __call__(self, *, keys: list[str], args: list, client=None):
        """Run the script now, or queue it on `client` when that is a pipeline."""
        if isinstance(client, redis.client.Pipeline):
            return client.eval(self.source, len(keys), *keys, *args)
        target = client if client is not None else redis_client()
        return self._bound(target)(keys=keys, args=args, client=target)
