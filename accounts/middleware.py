"""Session middleware: resolve a request's bearer session lazily, at most once per request.

Resolution happens on first use (inside the view), so a Redis failure surfaces in the view's
exception handling as a 503 instead of an HTML error page from the middleware layer.
"""
from __future__ import annotations

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
    """Expose `request.session_user()` to plain Django views (DRF uses its auth class).

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
        request.session_user = lambda: self._user(request)
        return self.get_response(request)

    @staticmethod
    def _user(request: HttpRequest) -> RedisUser | None:
        header = request.META.get("HTTP_AUTHORIZATION", "")
        scheme, _, token = header.partition(" ")
        if scheme.lower() != "bearer" or not token.strip():
            return None
        return resolve_session(request, token.strip())
