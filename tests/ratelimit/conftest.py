"""Fixtures for the ratelimit tests: an injected clock, the limiter keys, probe endpoints."""
from __future__ import annotations

import pytest

from ratelimit.throttles import RedisRateThrottle

# A minute boundary (epoch ms), so fixed windows start exactly here.
T0 = 1_700_000_040_000
assert T0 % 60_000 == 0


class Clock:
    """Epoch milliseconds handed to every limiter instead of Redis TIME."""

    def __init__(self, ms: int) -> None:
        self.ms = ms

    def __call__(self) -> int:
        return self.ms

    def advance(self, seconds: float) -> None:
        self.ms += round(seconds * 1000)


@pytest.fixture
def clock(monkeypatch) -> Clock:
    """Inject time into every throttle (the login failure limit included)."""
    clock = Clock(T0)
    monkeypatch.setattr(RedisRateThrottle, "timer", staticmethod(clock))
    return clock


def limiter_keys(redis) -> list[str]:
    """Every rate-limit key in Redis."""
    return sorted(redis.scan_iter(match="qb:rl:*"))


@pytest.fixture
def rl_keys(redis):
    return lambda: limiter_keys(redis)
