"""Session middleware: give each request its bearer-session lookup, run on first use, at most once.

The middleware only attaches `request.bearer_session(token)`; the DRF authentication class
(accounts/authentication.py) calls it inside the view, so a Redis failure surfaces in the view's
exception handling as a 503 instead of an HTML error page from the middleware layer.
"""
from __future__ import annotations

import functools
from typing import Awaitable, Callable

from asgiref.sync import iscoroutinefunction, markcoroutinefunction
from django.http import HttpRequest, HttpResponse

from accounts.services import session_touch
from accounts.user import RedisUser

_UNRESOLVED = object()


def resolve_session(request: HttpRequest, token: str) -> RedisUser | None:
    """Return the session user for `token`, touching Redis only once per request."""
    cached = getattr(request, "_redis_session", _UNRESOLVED)
    if cached is _UNRESOLVED or getattr(request, "_redis_session_token", None) != token:
        cached = session_touch(token=token)
        request._redis_session = cached
        request._redis_session_token = token
    return cached


class RedisSessionMiddleware:
    """Attach `request.bearer_session(token) -> RedisUser | None`, cached for the request.

    Sync and async capable: it does no I/O itself, so under an ASGI server it never forces
    Django to switch threads (an async chain stays async when every middleware allows it).
    """

    sync_capable = True
    async_capable = True

    def __init__(self, get_response: Callable) -> None:
        self.get_response = get_response
        if iscoroutinefunction(get_response):
            markcoroutinefunction(self)

    def __call__(self, request: HttpRequest) -> HttpResponse | Awaitable[HttpResponse]:
        # With an async get_response this returns its coroutine, which Django awaits.
        request.bearer_session = functools.partial(resolve_session, request)
        return self.get_response(request)
