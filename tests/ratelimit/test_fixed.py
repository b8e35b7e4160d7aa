"""Fixed window: at most N admissions per aligned window, and its 2x burst at the edge."""
from __future__ import annotations

from ratelimit.limiters import FixedWindowLimiter, Rate, SlidingWindowLimiter
from tests.ratelimit.conftest import T0

FIVE_PER_MINUTE = Rate(5, 60_000)
KEY = "qb:rl:test:fixed:u1"
limiter = FixedWindowLimiter()


def hit(now_ms: int, key: str = KEY):
    return limiter.hit(key=key, rate=FIVE_PER_MINUTE, now_ms=now_ms)


def test_five_admitted_then_rejected_until_the_window_edge():
    results = [hit(T0 + 10_000 + i) for i in range(6)]
    assert [r.allowed for r in results] == [True] * 5 + [False]
    assert [r.remaining for r in results] == [4, 3, 2, 1, 0, 0]
    assert results[5].retry_after_ms == 60_000 - 10_005  # until T0 + 60 s, the window edge
    just_before = hit(T0 + 59_999)
    assert not just_before.allowed and just_before.retry_after_ms == 1
    at_edge = hit(T0 + 60_000)
    assert at_edge.allowed and at_edge.remaining == 4 and at_edge.reset_ms == 60_000


def test_the_fixed_window_admits_twice_the_limit_across_the_edge_and_sliding_does_not():
    sliding = SlidingWindowLimiter()
    burst = [T0 + 59_900] * 5 + [T0 + 60_000] * 5  # ten attempts within 100 ms
    fixed_admitted = sum(hit(t).allowed for t in burst)
    sliding_admitted = sum(
        sliding.hit(key="qb:rl:test:sliding:u1", rate=FIVE_PER_MINUTE, now_ms=t).allowed for t in burst
    )
    assert fixed_admitted == 10
    assert sliding_admitted == 5


def test_rejected_attempts_neither_count_nor_extend_the_block(redis):
    for _ in range(5):
        hit(T0)
    redis.pexpire(KEY, 30_000)  # stand-in for time having passed in Redis
    for ms in range(1_000, 60_000, 500):
        assert not hit(T0 + ms).allowed
    assert redis.hget(KEY, "count") == "5"
    assert 0 < redis.pttl(KEY) <= 30_000
    assert hit(T0 + 60_000).allowed


def test_key_expires_at_the_window_edge(redis):
    hit(T0 + 45_000)
    assert 10_000 < redis.pttl(KEY) <= 15_000
    assert redis.type(KEY) == "hash"


def test_redis_time_is_used_when_no_time_is_injected(redis):
    def minute() -> int:
        seconds, _ = redis.time()
        return seconds // 60

    for _ in range(3):  # a real minute may end mid-test; then try again in the next one
        redis.delete(KEY)
        before = minute()
        results = [limiter.hit(key=KEY, rate=FIVE_PER_MINUTE) for _ in range(6)]
        if minute() == before:
            break
    assert [r.allowed for r in results] == [True] * 5 + [False]
    assert 0 < results[5].retry_after_ms <= 60_000
    assert results[5].retry_after_ms == results[5].reset_ms  # both: until the minute ends
