"""The RateLimit-* and Retry-After headers, written in one place: this middleware.

Throttles record each limiter's answer on the request; the middleware reports the tightest on
the way out, so successful responses, 429s and other errors of a limited endpoint all carry
the same headers without any view taking part.
"""
from __future__ import annotations

from typing import Callable

from django.http import HttpRequest, HttpResponse

from ratelimit.limiters import LimitResult

_RESULTS = "_ratelimit_results"


def _http_request(request) -> HttpRequest:
    # DRF's Request keeps attributes to itself; the middleware only sees the Django request.
    return getattr(request, "_request", request)


def result_record(request, result: LimitResult) -> None:
    """Remember a limiter's answer for this request's headers."""
    http = _http_request(request)
    results = getattr(http, _RESULTS, None)
    if results is None:
        results = []
        setattr(http, _RESULTS, results)
    results.append(result)


def result_replace(request, old: LimitResult, new: LimitResult) -> None:
    """Swap a recorded answer for its updated version (after an admission was given back)."""
    results = getattr(_http_request(request), _RESULTS, [])
    for i, result in enumerate(results):
        if result is old:
            results[i] = new


def result_discard(request, result: LimitResult) -> None:
    """Forget a recorded answer: it no longer describes this request."""
    results = getattr(_http_request(request), _RESULTS, [])
    results[:] = [r for r in results if r is not result]


def recorded_results(request) -> list[LimitResult]:
    """Every limiter answer recorded on this request, in order."""
    return list(getattr(_http_request(request), _RESULTS, []))


def tightest(results: list[LimitResult]) -> LimitResult:
    """The limit closest to refusing: a rejecting one first, then fewest left, then longest reset."""
    return min(results, key=lambda r: (r.allowed, r.remaining, -r.reset_ms))


def rate_limit_headers(result: LimitResult) -> dict[str, str]:
    """RateLimit-Limit/Remaining/Reset for `result`, plus Retry-After when it rejected."""
    headers = {
        "RateLimit-Limit": str(result.limit),
        "RateLimit-Remaining": str(result.remaining),
        "RateLimit-Reset": str(result.reset),
    }
    if not result.allowed:
        headers["Retry-After"] = str(result.retry_after)
    return headers


class RateLimitHeadersMiddleware:
    """Add the tightest recorded limit's headers to the response of a rate-limited request."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]):
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        response = self.get_response(request)
        results = recorded_results(request)
        if results:
            for name, value in rate_limit_headers(tightest(results)).items():
                response[name] = value
        return response
