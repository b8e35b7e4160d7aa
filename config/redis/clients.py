"""Every Redis client of the project: the sync ones from django-redis, the asyncio one built here.

The sync client services and selectors use is django-redis's connection for the "data" alias
(`settings.CACHES`: blocking pool, short timeouts, one quick retry on a dropped connection, text
replies). redis-py resets a pool in a forked child on first use, so a child (RQ's forking worker,
a pre-forking server) never shares its parent's sockets.
"""
from __future__ import annotations

import threading
import weakref

import django_redis.pool
import redis
import redis.exceptions
import redis.asyncio as aredis
import redis.asyncio.sentinel as aredis_sentinel
import redis.sentinel
from django.conf import settings
from django_redis import get_redis_connection
from redis.asyncio.retry import Retry as AsyncRetry
from redis.backoff import ExponentialBackoff

from config.env import parse_redis_url

DATA_ALIAS = "data"
_lock = threading.Lock()
# One client per process, kept: get_redis_connection() looks the alias up through Django's
# per-thread `caches` on every call (measured 3.1 us against 0.05 us for this global; a request
# makes several calls) and builds a Redis() for every new thread (58 us: it rebuilds ~170
# response callbacks). A client is safe to share between threads (each command borrows a
# pooled connection).
_client: redis.Redis | None = None
# Keyed by the loop itself (weakly): a pool's connections belong to one event loop, and a
# closed loop's entry goes away with it instead of being found again under a reused id().
_async_clients: weakref.WeakKeyDictionary = weakref.WeakKeyDictionary()


# Library -> the versions `_PoolPerOptions` was written and tested against (it overrides
# django-redis' ConnectionFactory.get_or_create_connection_pool).
PATCHES = {"django-redis": ">=7.0,<7.1"}


class _PoolPerOptions:
    """Keep one pool per alias configuration, where django-redis 7 keeps one per URL.

    Upstream keys its process-wide pools by URL alone (jazzband/django-redis#685), so the
    "default" (bytes) and "data" (text) aliases on one REDIS_URL would both get whichever pool
    was built first. Here the key is the URL plus the alias's OPTIONS dict (Django hands every
    thread's backend the same one), which is kept alive so its id() is never reused.
    """

    _pools_by_options: dict[tuple[str, int], tuple[dict, redis.ConnectionPool]] = {}
    _pools_lock = threading.Lock()

    def get_or_create_connection_pool(self, params: dict) -> redis.ConnectionPool:
        key = (params["url"], id(self.options))
        entry = self._pools_by_options.get(key)
        if entry is None:
            with self._pools_lock:
                entry = self._pools_by_options.get(key)
                if entry is None:
                    entry = self._pools_by_options[key] = (self.options, self.get_connection_pool(params))
        return entry[1]

    @classmethod
    def drop_pools(cls) -> None:
        """Disconnect and forget every pool; the next connection builds new ones from settings."""
        with cls._pools_lock:
            for _, pool in cls._pools_by_options.values():
                pool.disconnect()
            cls._pools_by_options.clear()


class ConnectionFactory(_PoolPerOptions, django_redis.pool.ConnectionFactory):
    """django-redis's factory for a plain `redis://` role, one pool per alias configuration."""


class SentinelConnectionFactory(_PoolPerOptions, django_redis.pool.SentinelConnectionFactory):
    """django-redis's Sentinel factory (the pool asks the Sentinels for the primary), one pool per alias."""


def redis_client() -> redis.Redis:
    """Return the process-wide client of the "data" alias (text replies, short timeouts)."""
    global _client
    client = _client
    if client is None:
        with _lock:
            if _client is None:
                _client = get_redis_connection(DATA_ALIAS)
            client = _client
    return client


def _async_options() -> dict:
    # The same settings CACHES["data"] is built from (config/settings.py), so both clients
    # agree on URL, timeouts, pool size, health checks and retry.
    return {
        "decode_responses": True,
        "socket_timeout": settings.REDIS_SOCKET_TIMEOUT,
        "socket_connect_timeout": settings.REDIS_CONNECT_TIMEOUT,
        "health_check_interval": 30,
        "max_connections": settings.REDIS_MAX_CONNECTIONS,
        "timeout": settings.REDIS_SOCKET_TIMEOUT,
    }


def _async_retry() -> AsyncRetry:
    # One quick retry on a dropped connection, never on a timeout (see CACHES in settings).
    return AsyncRetry(ExponentialBackoff(cap=0.05, base=0.01), 1, supported_errors=(redis.exceptions.ConnectionError,))


def async_redis_client() -> aredis.Redis:
    """Return the asyncio client whose pool belongs to the running event loop."""
    import asyncio

    loop = asyncio.get_running_loop()
    client = _async_clients.get(loop)
    if client is None:
        # Built here because django-redis has no asyncio client.
        # asyncio connections take their retry policy from the pool's connection kwargs, not
        # from the client: without it a pooled connection left stale by a Redis restart fails
        # its first command instead of reconnecting.
        address = parse_redis_url(settings.REDIS_URL)
        if address.is_sentinel:
            # redis.asyncio's own Sentinel support: the pool asks the Sentinels for the primary
            # on every new connection, so a failover needs no restart. Its pool is not blocking.
            options = _async_options()
            options.pop("timeout")
            sentinel = aredis_sentinel.Sentinel(
                list(address.sentinels),
                sentinel_kwargs={
                    "socket_timeout": settings.REDIS_SOCKET_TIMEOUT,
                    "socket_connect_timeout": settings.REDIS_CONNECT_TIMEOUT,
                },
            )
            pool = aredis_sentinel.SentinelConnectionPool(
                address.master_name, sentinel, db=address.db, password=address.password,
                retry=_async_retry(), retry_on_error=[redis.exceptions.ConnectionError], **options,
            )
        else:
            pool = aredis.BlockingConnectionPool.from_url(
                settings.REDIS_URL,
                retry=_async_retry(),
                retry_on_error=[redis.exceptions.ConnectionError],
                **_async_options(),
            )
        client = _async_clients[loop] = aredis.Redis(connection_pool=pool, retry=_async_retry())
    return client


_role_clients: dict[str, redis.Redis] = {}


def role_client(role: str) -> redis.Redis:
    """Return a sync client of a role's Redis (settings.REDIS_ROLES), through the library that owns it.

    data and cache are django-redis aliases, queue is django-rq's connection; the channels role
    has only asyncio clients (channels_redis), so its sync client for health checks is built
    here from the same address, with redis-py's Sentinel when the role is one.
    """
    if role == "data":
        return redis_client()
    if role == "cache":
        return get_redis_connection("default")
    client = _role_clients.get(role)
    if client is None and role == "queue":
        import django_rq

        # Kept: django-rq builds a new client (and, for Sentinel, a new Sentinel) per call.
        client = _role_clients.setdefault(role, django_rq.get_connection(settings.SCORE_QUEUE))
    if client is None:
        address = settings.REDIS_ROLES[role]
        timeouts = {"socket_timeout": settings.REDIS_SOCKET_TIMEOUT,
                    "socket_connect_timeout": settings.REDIS_CONNECT_TIMEOUT}
        if address.is_sentinel:
            sentinel = redis.sentinel.Sentinel(list(address.sentinels), sentinel_kwargs=timeouts, **timeouts)
            client = sentinel.master_for(address.master_name, db=address.db, password=address.password)
        else:
            client = redis.Redis.from_url(address.url, **timeouts)
        client = _role_clients.setdefault(role, client)
    return client


def reset_clients() -> None:
    """Drop the clients and their pools (tests and settings changes); the next call builds new ones."""
    from django.core.cache import caches

    global _client
    with _lock:
        _client = None
        _async_clients.clear()
        _role_clients.clear()
        ConnectionFactory.drop_pools()
        # This thread's django-redis backends still hold clients on the dropped pools.
        for alias in settings.CACHES:
            client = getattr(caches[alias], "client", None)
            if hasattr(client, "do_close_clients"):
                client.do_close_clients()
