"""DRF throttles on the Redis limiters: DRF's interface, the counting done atomically in Redis.

Each throttle is one EVALSHA per request. Its answer is recorded on the request, and
`ratelimit.headers.RateLimitHeadersMiddleware` turns the tightest answer into headers.
When Redis is unreachable the failure policy decides: RATELIMIT_FAIL_OPEN off (the default)
lets the error become a 503; on, the request is admitted and a warning logged.
"""
from __future__ import annotations

import logging
from dataclasses import replace
from typing import Callable, TypeVar

from django.conf import settings
from rest_framework.exceptions import Throttled
from rest_framework.throttling import BaseThrottle

from config import metrics
from config.redis.errors import REDIS_DOWN
from ratelimit import keys
from ratelimit.clientip import client_ip
from ratelimit.headers import recorded_results, result_discard, result_record, result_replace
from ratelimit.limiters import LIMITERS, LimitResult, Rate, limiter_for, parse_rate

logger = logging.getLogger(__name__)
T = TypeVar("T")


def _no_clock() -> int | None:
    return None


def under_failure_policy(call: Callable[[], T], scope: str) -> T | None:
    """Run a limiter call; when Redis is unreachable, re-raise (503) or, failing open, return None."""
    try:
        return call()
    except REDIS_DOWN as exc:
        if not settings.RATELIMIT_FAIL_OPEN:
            raise  # counted where it becomes the 503
        metrics.redis_error()
        logger.warning("rate limit %r not enforced, Redis unreachable (RATELIMIT_FAIL_OPEN): %s", scope, exc)
        return None


def attempt_slot(request, scope: str = keys.SUBMISSIONS) -> LimitResult | None:
    """Return the admission this request took on `scope`, for a script to give back in its own round trip."""
    for result in recorded_results(request):
        if result.scope == scope and result.attempt_id:
            return result
    return None


def attempts_forgive(request, *, returned: LimitResult | None = None, replayed: bool = True) -> None:
    """The request was no new attempt after all (a replay, a rejected body): give back what it took.

    `returned` was already given back by the caller's own script; any other admission costs one
    round trip here. A rejection no longer describes a replay, so it then leaves the headers.
    """
    results = recorded_results(request)
    pending = [r for r in results if r.attempt_id and r is not returned]
    released = {}
    for algorithm in {r.algorithm for r in pending}:
        group = [r for r in pending if r.algorithm == algorithm]
        released[algorithm] = under_failure_policy(lambda: LIMITERS[algorithm].release(results=group), "forgive")
    for result in results:
        if not result.allowed and replayed:
            result_discard(request, result)
        elif result.attempt_id and (result is returned or released.get(result.algorithm)):
            result_replace(request, result, result.given_back())


class RejectedAttemptsAreFree:
    """View mixin: an attempt answered with a 4xx other than 429 gives its quota back (API.md).

    A view whose own script already gave the slot back sets `quota_returned` to that admission.
    """

    quota_returned: LimitResult | None = None

    def handle_exception(self, exc):
        response = super().handle_exception(exc)
        if 400 <= response.status_code < 500 and response.status_code != 429:
            attempts_forgive(self.request, returned=self.quota_returned, replayed=False)
        return response


class RedisRateThrottle(BaseThrottle):
    """DRF's throttle interface (`scope`, `rate`, `parse_rate`, `get_cache_key`, `allow_request`,
    `wait`) over a fixed or sliding window limiter; a rejected attempt is not counted."""

    scope = ""
    rate_setting = ""  # the settings name holding this throttle's rate, e.g. "5/60s"
    algorithm = "sliding"
    # Epoch ms handed to the limiter; None lets the script read Redis TIME. Tests inject a clock.
    timer: Callable[[], int | None] = staticmethod(_no_clock)

    def __init__(self) -> None:
        self.rate = self.get_rate()
        self.parsed_rate: Rate = self.parse_rate(self.rate)
        self.limiter = limiter_for(self.get_algorithm())
        self.result: LimitResult | None = None

    def get_rate(self) -> str:
        return getattr(settings, self.rate_setting)

    def get_algorithm(self) -> str:
        return self.algorithm

    def parse_rate(self, rate: str) -> Rate:
        return parse_rate(rate)

    def get_ident(self, request) -> str:
        """The client address, trusting only RATELIMIT_TRUSTED_PROXY_HOPS proxies."""
        return client_ip(request.META)

    def get_cache_key(self, request, view) -> str | None:
        """The limiter key for this request, or None to leave it unlimited."""
        raise NotImplementedError

    def allow_request(self, request, view) -> bool:
        if not settings.RATELIMIT_ENABLED:
            return True
        key = self.get_cache_key(request, view)
        if key is None:
            return True
        result = under_failure_policy(
            lambda: self.limiter.hit(key=key, rate=self.parsed_rate, now_ms=self.timer()), self.scope
        )
        if result is None:
            return True
        self.result = result = replace(result, scope=self.scope)
        result_record(request, result)
        if not result.allowed:
            metrics.ratelimit_rejections.labels(self.scope).inc()
        return result.allowed

    def wait(self) -> float | None:
        if self.result is None or self.result.allowed:
            return None
        return float(self.result.retry_after)


class SubmissionRateThrottle(RedisRateThrottle):
    """Quiz submissions per user: RATELIMIT_SUBMISSIONS_RATE, sliding or fixed by setting."""

    scope = keys.SUBMISSIONS
    rate_setting = "RATELIMIT_SUBMISSIONS_RATE"

    def get_algorithm(self) -> str:
        return settings.RATELIMIT_SUBMISSIONS_ALGORITHM

    def get_cache_key(self, request, view) -> str | None:
        user = request.user
        if not getattr(user, "is_authenticated", False):
            return None  # the endpoint answers 401 before throttling; nothing to count
        return keys.submissions(user.id, self.limiter.algorithm)


class GroupJoinRateThrottle(RedisRateThrottle):
    """Group joins per user: RATELIMIT_GROUP_JOIN_RATE (sliding); an unknown code counts too."""

    scope = keys.GROUP_JOIN
    rate_setting = "RATELIMIT_GROUP_JOIN_RATE"

    def get_cache_key(self, request, view) -> str | None:
        user = request.user
        if not getattr(user, "is_authenticated", False):
            return None  # the endpoint answers 401 before throttling; nothing to count
        return keys.group_join(user.id, self.limiter.algorithm)


class AuthIpRateThrottle(RedisRateThrottle):
    """Login and register calls per client address, one shared budget: RATELIMIT_AUTH_IP_RATE."""

    scope = keys.AUTH_IP
    rate_setting = "RATELIMIT_AUTH_IP_RATE"

    def get_cache_key(self, request, view) -> str:
        return keys.auth_ip(self.get_ident(request), self.limiter.algorithm)


class LoginFailureThrottle(RedisRateThrottle):
    """Failed logins per username: RATELIMIT_LOGIN_FAILURES_RATE.

    Every attempt takes a slot before the password is checked, so parallel guesses cannot
    overrun the limit; a correct password gives its slot back (`forgive`). Used by the login
    view once the body is valid (the username comes from it), not as a `throttle_classes` entry.
    """

    scope = keys.LOGIN_FAILURES
    rate_setting = "RATELIMIT_LOGIN_FAILURES_RATE"
    algorithm = "sliding"  # `forgive` removes one entry, which only a sliding log has

    def __init__(self, username: str) -> None:
        super().__init__()
        self.username = username

    def get_cache_key(self, request, view) -> str:
        return keys.login_failures(self.username, self.limiter.algorithm)

    def check(self, request, view) -> None:
        """Take a slot for this attempt, or raise Throttled (429) while the username is blocked."""
        if not self.allow_request(request, view):
            raise Throttled(wait=self.wait())

    def forgive(self, request) -> None:
        """Give back this attempt's slot: the password was right, so it was no failure."""
        result = self.result
        if result is None or result.attempt_id is None:
            return
        removed = under_failure_policy(lambda: self.limiter.release(results=[result]), self.scope)
        if removed:
            self.result = result.given_back()
            result_replace(request, result, self.result)
