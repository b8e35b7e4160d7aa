"""The limiter keyspace: every key expires, and no key name carries a username or an address."""
from __future__ import annotations

import pytest

from ratelimit.limiters import FixedWindowLimiter, Rate, SlidingWindowLimiter
from tests.ratelimit.conftest import T0, limiter_keys

RATE = Rate(3, 10_000)


def assert_every_key_expires(redis) -> None:
    for key in limiter_keys(redis):
        assert 0 < redis.pttl(key) <= 15 * 60 * 1000, key


@pytest.mark.parametrize("limiter", [FixedWindowLimiter(), SlidingWindowLimiter()], ids=lambda l: l.algorithm)
def test_no_limiter_key_ever_lacks_a_ttl(redis, limiter):
    key = f"qb:rl:test:{limiter.algorithm}:u1"
    admitted = []
    # Admit, reject, cross window edges, go back in time, give admissions back: after every
    # single step each key that exists has a TTL.
    for ms in [0, 1, 2, 3, 4, 9_999, 10_000, 10_001, 10_002, 10_003, 5_000, 25_000, 25_000, 25_000, 25_000]:
        result = limiter.hit(key=key, rate=RATE, now_ms=T0 + ms)
        if result.allowed:
            admitted.append(result)
        assert_every_key_expires(redis)
    limiter.release(results=admitted[-2:])
    assert_every_key_expires(redis)
    assert redis.exists(key)


def test_keys_written_over_the_api_expire_and_name_no_user_text(api, make_user, redis, settings):
    settings.RATELIMIT_AUTH_IP_RATE = "100/m"
    make_user("Alice.Smith", "correct-horse-1")
    api.post("/api/v1/auth/login", {"username": "Alice.Smith", "password": "wrong-pass"}, format="json")
    api.post("/api/v1/auth/login", {"username": "Alice.Smith", "password": "correct-horse-1"}, format="json")
    keys = limiter_keys(redis)
    assert {k.split(":")[2] for k in keys} == {"auth-ip", "login-failures"}
    assert_every_key_expires(redis)
    for key in keys:
        assert "alice" not in key.lower() and "127.0.0.1" not in key
