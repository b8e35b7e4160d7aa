"""One log line per HTTP request: method, path, status, duration_ms, user_id.

Only those fields are written. Never the query string, headers or body: bearer tokens travel in
headers, passwords in bodies, one-time tickets in query strings. It sits first in MIDDLEWARE, so
the status is the one the client got (after the JSON error middleware) and the duration covers
the whole stack. `LOG_REQUESTS=0` removes it; `LOG_FORMAT` picks JSON or text (config/logging.py).
"""
from __future__ import annotations

import logging
import time
from typing import Awaitable, Callable

from asgiref.sync import iscoroutinefunction, markcoroutinefunction
from django.conf import settings
from django.core.exceptions import MiddlewareNotUsed
from django.http import HttpRequest, HttpResponse

logger = logging.getLogger("quizboard.requests")


def request_user_id(request: HttpRequest) -> str | None:
    """The authenticated user's id, if the view authenticated one (DRF sets `request.user`)."""
    user = getattr(request, "user", None)
    return getattr(user, "id", None) if getattr(user, "is_authenticated", False) else None


def log_request(request: HttpRequest, status: int, started: float) -> None:
    """Write the request's line; `started` is a `time.perf_counter()` reading."""
    log_line(request.method, request.path, status, started, request_user_id(request))


def log_line(method: str, path: str, status: int, started: float, user_id: str | None) -> None:
    """The one place a request line is written (also by config/http/fastpath.py, outside Django)."""
    duration_ms = round((time.perf_counter() - started) * 1000, 2)
    fields = {"method": method, "path": path, "status": status, "duration_ms": duration_ms, "user_id": user_id}
    logger.info("%s %s %s %.2fms user=%s", method, path, status, duration_ms, user_id or "-", extra=fields)


class TimedRequestMiddleware:
    """Time every request, sync or async, including ones that end in an exception; `done` gets its outcome.

    The base of the request log and the request metrics (config/metrics/http.py): each sees the
    status the client got and the duration of the whole stack inside it.
    """

    sync_capable = True
    async_capable = True

    def __init__(self, get_response: Callable) -> None:
        if not self.enabled():
            raise MiddlewareNotUsed
        self.get_response = get_response
        self.is_async = iscoroutinefunction(get_response)
        if self.is_async:
            markcoroutinefunction(self)

    @staticmethod
    def enabled() -> bool:
        return True

    def done(self, request: HttpRequest, status: int, started: float) -> None:
        raise NotImplementedError

    def __call__(self, request: HttpRequest) -> HttpResponse | Awaitable[HttpResponse]:
        if self.is_async:
            return self._acall(request)
        started, status = time.perf_counter(), 500
        try:
            response = self.get_response(request)
            status = response.status_code
            return response
        finally:
            self.done(request, status, started)

    async def _acall(self, request: HttpRequest) -> HttpResponse:
        started, status = time.perf_counter(), 500
        try:
            response = await self.get_response(request)
            status = response.status_code
            return response
        finally:
            self.done(request, status, started)


class RequestLogMiddleware(TimedRequestMiddleware):
    """Log every request once, sync or async, including ones that end in an exception."""

    @staticmethod
    def enabled() -> bool:
        return settings.LOG_REQUESTS

    def done(self, request: HttpRequest, status: int, started: float) -> None:
        log_request(request, status, started)
