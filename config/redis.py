"""The one Redis client factory: every module gets its connection here.

One connection pool per process (redis-py resets a pool after fork), built from `REDIS_URL`
with short timeouts, so an unreachable Redis fails fast and becomes a 503.
"""
from __future__ import annotations

import threading
import weakref
from pathlib import Path

import redis
import redis.exceptions
import redis.asyncio as aredis
from django.conf import settings
from redis.asyncio.retry import Retry as AsyncRetry
from redis.backoff import ExponentialBackoff
from redis.commands.core import AsyncScript, Script
from redis.retry import Retry

_lock = threading.Lock()
# One client per pool, built once: redis-py's Redis() constructor rebuilds its table of ~170
# response callbacks each time, which profiling showed cost more than a round trip per call.
# A client is safe to share between threads (each command borrows a pooled connection).
_client: redis.Redis | None = None
# Keyed by the loop itself (weakly): a pool's connections belong to one event loop, and a
# closed loop's entry goes away with it instead of being found again under a reused id().
_async_clients: weakref.WeakKeyDictionary = weakref.WeakKeyDictionary()


def _options() -> dict:
    return {
        "decode_responses": True,
        "socket_timeout": settings.REDIS_SOCKET_TIMEOUT,
        "socket_connect_timeout": settings.REDIS_CONNECT_TIMEOUT,
        "health_check_interval": 30,
        "max_connections": settings.REDIS_MAX_CONNECTIONS,
        # Blocking pools: at the cap a caller waits (up to the socket timeout) for a connection
        # to come back instead of failing at once. Under an ASGI server every in-flight sync
        # request runs on its own thread, so a burst of concurrent requests can briefly want
        # more connections than the cap; waiting a moment beats answering 503.
        "timeout": settings.REDIS_SOCKET_TIMEOUT,
    }


def _retry(cls: type = Retry):
    # One quick retry covers a connection dropped by a Redis restart; more would only delay
    # the 503 a client should see when Redis is really gone. A timeout is not retried: a
    # stalled Redis would make the client wait out a second one (measured: 2.0 s vs 1.0 s).
    return cls(ExponentialBackoff(cap=0.05, base=0.01), 1, supported_errors=(redis.exceptions.ConnectionError,))


def redis_client() -> redis.Redis:
    """Return the process-wide client on the process-wide pool (text replies, short timeouts)."""
    global _client
    if _client is None:
        with _lock:
            if _client is None:
                pool = redis.BlockingConnectionPool.from_url(settings.REDIS_URL, **_options())
                _client = redis.Redis(connection_pool=pool, retry=_retry())
    return _client


def async_redis_client() -> aredis.Redis:
    """Return the asyncio client whose pool belongs to the running event loop."""
    import asyncio

    loop = asyncio.get_running_loop()
    client = _async_clients.get(loop)
    if client is None:
        # asyncio connections take their retry policy from the pool's connection kwargs, not
        # from the client: without it a pooled connection left stale by a Redis restart fails
        # its first command instead of reconnecting.
        pool = aredis.BlockingConnectionPool.from_url(
            settings.REDIS_URL,
            retry=_retry(AsyncRetry),
            retry_on_error=[redis.exceptions.ConnectionError],
            **_options(),
        )
        client = _async_clients[loop] = aredis.Redis(connection_pool=pool, retry=_retry(AsyncRetry))
    return client


def reset_clients() -> None:
    """Drop the clients and their pools (tests and settings changes); the next call builds new ones."""
    global _client
    with _lock:
        if _client is not None:
            _client.connection_pool.disconnect()
        _client = None
        _async_clients.clear()


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
        # The asyncio binding, built on first use (building one hashes the source). It is always
        # called with the running loop's client, so the client it was built with is moot.
        self._async_script: AsyncScript | None = None

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

    async def run_async(self, *, keys: list[str], args: list):
        """Run the script on the running event loop's pool (EVALSHA, loading on NOSCRIPT)."""
        # A separate binding from the sync one, so threads and the loop never swap it under each other.
        client = async_redis_client()
        if self._async_script is None:
            self._async_script = client.register_script(self.source)
        return await self._async_script(keys=keys, args=args, client=client)
