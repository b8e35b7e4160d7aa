"""Django's cache session engine with the cookie stored only as its SHA-256 (SESSION_ENGINE).

Django's own cache engine puts the raw session key in the Redis key name, so a Redis dump (or a
`SCAN`) would hand out working browser cookies; hashing it keeps the promise that bearer
tokens already keep: nothing in Redis can be replayed as a credential.
"""
from __future__ import annotations

from django.conf import settings
from django.contrib.sessions.backends import cache
from django.contrib.sessions.backends.base import SessionBase
from django.core.cache import caches

from accounts import keys


class SessionStore(cache.SessionStore):
    """Cache sessions (CACHES[SESSION_CACHE_ALIAS]) keyed by the hashed cookie value."""

    def __init__(self, session_key: str | None = None) -> None:
        # Django's store looks the cache up when it is made, for every request; most requests
        # (API clients, no cookie) never use it, so it is looked up on first use instead.
        SessionBase.__init__(self, session_key)

    @property
    def _cache(self):
        return caches[settings.SESSION_CACHE_ALIAS]

    @property
    def cache_key(self) -> str:
        return keys.browser_session_cache_key(self._get_or_create_session_key())

    async def acache_key(self) -> str:
        return keys.browser_session_cache_key(await self._aget_or_create_session_key())

    def exists(self, session_key: str) -> bool:
        return bool(session_key) and keys.browser_session_cache_key(session_key) in self._cache

    async def aexists(self, session_key: str) -> bool:
        return bool(session_key) and await self._cache.ahas_key(keys.browser_session_cache_key(session_key))

    def delete(self, session_key: str | None = None) -> None:
        session_key = session_key or self.session_key
        if session_key:
            self._cache.delete(keys.browser_session_cache_key(session_key))

    async def adelete(self, session_key: str | None = None) -> None:
        session_key = session_key or self.session_key
        if session_key:
            await self._cache.adelete(keys.browser_session_cache_key(session_key))
