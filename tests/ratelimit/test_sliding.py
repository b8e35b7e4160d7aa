"""Sliding window: at most N admissions in any rolling window, with exact boundaries."""
from __future__ import annotations

from ratelimit.limiters import Rate, SlidingWindowLimiter
from tests.ratelimit.conftest import T0

FIVE_PER_MINUTE = Rate(5, 60_000)
KEY = "qb:rl:test:sliding:u1"
limiter = SlidingWindowLimiter()


def hit(now_ms: int, key: str = KEY, rate: Rate = FIVE_PER_MINUTE):
    return limiter.hit(key=key, rate=rate, now_ms=now_ms)


def test_five_admitted_then_the_sixth_rejected():
    results = [hit(T0 + i * 1000) for i in range(6)]
    assert [r.allowed for r in results] == [True] * 5 + [False]
    assert [r.remaining for r in results] == [4, 3, 2, 1, 0, 0]
    # The oldest entry (T0) frees a slot at T0 + 60 s; the sixth came at T0 + 5 s.
    assert results[5].retry_after_ms == 55_000
    assert results[5].retry_after == 55


def test_a_slot_frees_exactly_sixty_seconds_after_the_oldest_hit():
    for i in range(5):
        assert hit(T0 + i * 1000).allowed
    just_before = hit(T0 + 59_999)
    assert not just_before.allowed and just_before.retry_after_ms == 1
    at_edge = hit(T0 + 60_000)
    assert at_edge.allowed and at_edge.remaining == 0
    # Only one slot freed: the next one is the entry from T0 + 1 s.
    again = hit(T0 + 60_000)
    assert not again.allowed and again.retry_after_ms == 1_000
    assert hit(T0 + 61_000).allowed


def test_rejected_attempts_neither_count_nor_extend_the_block(redis):
    for _ in range(5):
        assert hit(T0).allowed
    redis.pexpire(KEY, 30_000)  # stand-in for time having passed in Redis
    for ms in range(1_000, 60_000, 500):
        assert not hit(T0 + ms).allowed
    assert redis.zcard(KEY) == 5
    assert 0 < redis.pttl(KEY) <= 30_000  # no rejected attempt touched the TTL
    assert hit(T0 + 60_000).allowed  # free exactly when it would have been without them


def test_key_lives_one_window_after_the_newest_admission(redis):
    hit(T0)
    assert 55_000 < redis.pttl(KEY) <= 60_000
    assert redis.type(KEY) == "zset"


def test_entries_at_the_same_instant_are_all_counted():
    results = [hit(T0) for _ in range(6)]
    assert [r.allowed for r in results] == [True] * 5 + [False]


def test_keys_are_independent():
    for _ in range(5):
        hit(T0, key=KEY)
    assert not hit(T0, key=KEY).allowed
    assert hit(T0, key="qb:rl:test:sliding:u2").allowed


def test_redis_time_is_used_when_no_time_is_injected(redis):
    results = [limiter.hit(key=KEY, rate=FIVE_PER_MINUTE) for _ in range(6)]
    assert [r.allowed for r in results] == [True] * 5 + [False]
    assert 50_000 < results[5].retry_after_ms <= 60_000
    seconds, micros = redis.time()
    newest = redis.zrange(KEY, -1, -1, withscores=True)[0][1]
    assert abs(newest - (seconds * 1000 + micros // 1000)) < 5_000


def test_release_gives_the_slot_back():
    results = [hit(T0) for _ in range(5)]
    assert not hit(T0).allowed
    assert limiter.release(results=[results[2]]) == 1
    assert hit(T0).allowed
    assert limiter.release(results=[results[2]]) == 0  # a second release changes nothing
