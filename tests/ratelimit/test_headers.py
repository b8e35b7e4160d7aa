"""Which limit the headers report when several apply: the one closest to refusing."""
from __future__ import annotations

from ratelimit.headers import rate_limit_headers, tightest
from ratelimit.limiters import LimitResult


def result(remaining: int, limit: int = 10, reset_ms: int = 60_000, allowed: bool = True) -> LimitResult:
    return LimitResult(
        allowed=allowed, limit=limit, remaining=remaining, reset_ms=reset_ms,
        retry_after_ms=0 if allowed else reset_ms,
    )


def test_a_rejecting_limit_wins():
    blocked = result(0, limit=300, allowed=False)
    assert tightest([result(0, limit=10), blocked, result(5)]) is blocked


def test_otherwise_fewest_remaining_then_longest_reset():
    few = result(2, limit=300)
    assert tightest([result(9, limit=10), few]) is few
    later = result(2, reset_ms=900_000)
    assert tightest([result(2), later]) is later


def test_header_values():
    assert rate_limit_headers(result(3, limit=5, reset_ms=12_345)) == {
        "RateLimit-Limit": "5", "RateLimit-Remaining": "3", "RateLimit-Reset": "13",
    }
    assert rate_limit_headers(result(0, limit=5, reset_ms=400, allowed=False))["Retry-After"] == "1"
