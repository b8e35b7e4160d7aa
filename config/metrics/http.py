"""HTTP request metrics by route template: Django's middleware here, and `observe` for the fast path.

The route label is the URL pattern that answered, written as a template (`/api/v1/quizzes/{quiz_id}`),
never the raw path: ids would make a series per quiz. Paths no pattern routes are `unmatched`,
files WhiteNoise serves `static`. Each (route, method, status) keeps its own counter child, so a
request costs two dict lookups and two memory-mapped writes (bench/metrics_cost.py).
"""
from __future__ import annotations

import re
import time
from functools import lru_cache
from typing import Awaitable, Callable

from asgiref.sync import iscoroutinefunction, markcoroutinefunction
from django.conf import settings
from django.core.exceptions import MiddlewareNotUsed
from django.http import HttpRequest, HttpResponse
from django.urls import ResolverMatch

from config import metrics

UNMATCHED = "unmatched"
_NAMED_GROUP = re.compile(r"\(\?P<(\w+)>(?:[^()]|\([^()]*\))*\)")
_CONVERTER = re.compile(r"<(?:\w+:)?(\w+)>")
_CATCH_ALL = "not-found"  # config.urls.NOT_FOUND: the pattern that answers every unrouted path


@lru_cache(maxsize=512)
def route_template(route: str) -> str:
    """A resolver's route (`api/v1/^quizzes/(?P<quiz_id>[^/.]+)$`) as `/api/v1/quizzes/{quiz_id}`."""
    template = _CONVERTER.sub(r"{\1}", _NAMED_GROUP.sub(r"{\1}", route))
    return "/" + template.replace("^", "").replace("$", "").replace("\\", "")


def route_label(match: ResolverMatch | None, path: str = "") -> str:
    """The route label of a resolved request (`static` or `unmatched` when nothing resolved)."""
    if match is None or match.url_name == _CATCH_ALL:
        return "static" if path.startswith(_static_prefix()) else UNMATCHED
    return route_template(match.route)


@lru_cache(maxsize=1)
def _static_prefix() -> str:
    return "/" + settings.STATIC_URL.lstrip("/")


class _Series:
    """The counter and histogram children per label set, looked up once each."""

    def __init__(self) -> None:
        self.counts: dict[tuple[str, str, int], object] = {}
        self.durations: dict[tuple[str, str], object] = {}

    def observe(self, route: str, method: str, status: int, seconds: float) -> None:
        count = self.counts.get((route, method, status))
        if count is None:
            count = self.counts[(route, method, status)] = metrics.http_requests.labels(
                route, metrics.method_label(method), str(status))
        duration = self.durations.get((route, method))
        if duration is None:
            duration = self.durations[(route, method)] = metrics.http_request_duration.labels(
                route, metrics.method_label(method))
        count.inc()
        duration.observe(seconds)


SERIES = _Series()
observe = SERIES.observe  # (route, method, status, seconds): also called by config/http/fastpath.py


class RequestMetricsMiddleware:
    """Count and time every request Django answers, by route template, method and status."""

    sync_capable = True
    async_capable = True

    def __init__(self, get_response: Callable) -> None:
        if not metrics.ENABLED:
            raise MiddlewareNotUsed
        self.get_response = get_response
        self.is_async = iscoroutinefunction(get_response)
        if self.is_async:
            markcoroutinefunction(self)

    def __call__(self, request: HttpRequest) -> HttpResponse | Awaitable[HttpResponse]:
        if self.is_async:
            return self._acall(request)
        started, status = time.perf_counter(), 500
        try:
            response = self.get_response(request)
            status = response.status_code
            return response
        finally:
            self._done(request, status, started)

    async def _acall(self, request: HttpRequest) -> HttpResponse:
        started, status = time.perf_counter(), 500
        try:
            response = await self.get_response(request)
            status = response.status_code
            return response
        finally:
            self._done(request, status, started)

    @staticmethod
    def _done(request: HttpRequest, status: int, started: float) -> None:
        route = route_label(getattr(request, "resolver_match", None), request.path_info)
        observe(route, request.method, status, time.perf_counter() - started)
