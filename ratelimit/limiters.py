"""The two window algorithms behind one interface; every check is one atomic Lua call.

This module is the ratelimit app's service layer: all of its Redis writes live here.
DRF's `SimpleRateThrottle` reads a history, edits it in Python and writes it back, so parallel
requests race past the limit (DRF issues 5181, 8127). The interface is kept (see throttles.py);
the counting happens inside one script per algorithm, so it costs one EVALSHA and cannot race.
"""
from __future__ import annotations

import functools
import math
import re
import secrets
from dataclasses import dataclass, replace
from pathlib import Path

from django.core.exceptions import ImproperlyConfigured

from config.redis.clients import redis_client
from config.redis.lua import LuaScript

_LUA = Path(__file__).parent / "lua"

_UNIT_SECONDS = {
    "s": 1, "sec": 1, "second": 1, "seconds": 1,
    "m": 60, "min": 60, "minute": 60, "minutes": 60,
    "h": 3600, "hour": 3600, "hours": 3600,
    "d": 86400, "day": 86400, "days": 86400,
}
_RATE_RE = re.compile(r"^\s*(\d+)\s*/\s*(\d*)\s*([a-z]+)\s*$", re.IGNORECASE)


@dataclass(frozen=True)
class Rate:
    """At most `limit` admissions per `window_ms` milliseconds."""

    limit: int
    window_ms: int

    def __str__(self) -> str:
        return f"{self.limit}/{self.window_ms // 1000}s"


@functools.lru_cache(maxsize=64)  # throttles parse their setting on every request
def parse_rate(rate: str) -> Rate:
    """Parse "5/m", "5/60s", "10/15m", "300/min" or "1000/d" into a Rate."""
    match = _RATE_RE.match(rate or "")
    unit = _UNIT_SECONDS.get(match.group(3).lower()) if match else None
    if match is None or unit is None:
        raise ImproperlyConfigured(f"invalid rate {rate!r}: use <count>/<n><s|m|h|d>, e.g. 5/60s")
    limit, multiple = int(match.group(1)), int(match.group(2) or 1)
    if limit < 1 or multiple < 1:
        raise ImproperlyConfigured(f"invalid rate {rate!r}: count and period must be positive")
    return Rate(limit=limit, window_ms=multiple * unit * 1000)


@dataclass(frozen=True)
class LimitResult:
    """One limiter's answer for one attempt (DRF-style `wait()` is `retry_after`)."""

    allowed: bool
    limit: int
    remaining: int
    reset_ms: int  # until a slot frees (sliding) or the window restarts (fixed)
    retry_after_ms: int  # 0 when allowed
    key: str = ""
    algorithm: str = ""  # "sliding" or "fixed": the limiter that can give this admission back
    scope: str = ""  # the throttle's scope ("submissions", ...), set when a throttle records it
    # What `release` needs to give this admission back: the sliding log's entry, or the start
    # of the fixed window it was counted in. None once given back, or when nothing was admitted.
    attempt_id: str | None = None

    @property
    def reset(self) -> int:
        """Whole seconds until a slot frees (rounded up, so waiting that long is enough)."""
        return math.ceil(self.reset_ms / 1000)

    @property
    def retry_after(self) -> int:
        """Whole seconds a rejected client should wait (>= 1); 0 when allowed."""
        return 0 if self.allowed else max(1, math.ceil(self.retry_after_ms / 1000))

    def given_back(self) -> "LimitResult":
        """The same result after its admission was handed back (see `SlidingWindowLimiter.release`)."""
        remaining = min(self.limit, self.remaining + 1)
        reset_ms = 0 if remaining == self.limit else self.reset_ms
        return replace(self, remaining=remaining, reset_ms=reset_ms, attempt_id=None)


class WindowLimiter:
    """One algorithm: `hit` admits or rejects an attempt against a rate in one round trip."""

    algorithm = ""
    script: LuaScript

    def hit(self, *, key: str, rate: Rate, now_ms: int | None = None, client=None) -> LimitResult:
        """Admit (and count) an attempt on `key`, or reject it without counting it."""
        # A sliding log's entry needs a unique member; random, so parallel callers never collide.
        attempt_id = secrets.token_hex(8)
        now_arg = "" if now_ms is None else str(int(now_ms))
        raw = self.script(keys=[key], args=self._args(rate, now_arg, attempt_id), client=client)
        allowed, count, reset_ms, retry_ms = (int(v) for v in raw[:4])
        return LimitResult(
            allowed=bool(allowed),
            limit=rate.limit,
            remaining=max(0, rate.limit - count),
            reset_ms=max(0, reset_ms),
            retry_after_ms=max(0, retry_ms),
            key=key,
            algorithm=self.algorithm,
            attempt_id=self._release_token(raw, attempt_id) if allowed else None,
        )

    def _args(self, rate: Rate, now_arg: str, attempt_id: str) -> list:
        return [rate.limit, rate.window_ms, now_arg]

    def _release_token(self, raw: list, attempt_id: str) -> str:
        return attempt_id

    def release(self, *, results: list[LimitResult], client=None) -> int:
        """Give back what these admissions took (one round trip); return how many were given back."""
        entries = [r for r in results if r.attempt_id]
        if not entries:
            return 0
        pipe = (client or redis_client()).pipeline(transaction=False)
        for result in entries:
            self._queue_release(pipe, result)
        return sum(int(n) for n in pipe.execute())

    def _queue_release(self, pipe, result: LimitResult) -> None:
        raise NotImplementedError


class FixedWindowLimiter(WindowLimiter):
    """A counter per aligned window (HINCRBY, with PEXPIRE on the window's first hit)."""

    algorithm = "fixed"
    script = LuaScript(_LUA / "fixed_window.lua")
    release_script = LuaScript(_LUA / "fixed_window_release.lua")

    def _release_token(self, raw: list, attempt_id: str) -> str:
        return str(raw[4])  # the window the admission was counted in

    def _queue_release(self, pipe, result: LimitResult) -> None:
        self.release_script(keys=[result.key], args=[result.attempt_id], client=pipe)


class SlidingWindowLimiter(WindowLimiter):
    """A sorted set of admission times: exact over any rolling window, at one entry per admission."""

    algorithm = "sliding"
    script = LuaScript(_LUA / "sliding_window.lua")

    def _args(self, rate: Rate, now_arg: str, attempt_id: str) -> list:
        return [rate.limit, rate.window_ms, now_arg, attempt_id]

    def _queue_release(self, pipe, result: LimitResult) -> None:
        pipe.zrem(result.key, result.attempt_id)


LIMITERS: dict[str, WindowLimiter] = {
    limiter.algorithm: limiter for limiter in (FixedWindowLimiter(), SlidingWindowLimiter())
}


def limiter_for(algorithm: str) -> WindowLimiter:
    """Return the limiter for "fixed" or "sliding"."""
    try:
        return LIMITERS[algorithm]
    except KeyError:
        raise ImproperlyConfigured(
            f"unknown rate-limit algorithm {algorithm!r}; use one of {sorted(LIMITERS)}"
        ) from None
