"""Rates are settings an operator types: every documented form parses, a typo is refused."""
from __future__ import annotations

import pytest
from django.core.exceptions import ImproperlyConfigured

from ratelimit.limiters import LimitResult, Rate, parse_rate


@pytest.mark.parametrize(
    "text, rate",
    [
        ("5/60s", Rate(5, 60_000)),
        ("5/m", Rate(5, 60_000)),
        ("10/15m", Rate(10, 900_000)),
        ("300/min", Rate(300, 60_000)),
        ("100/h", Rate(100, 3_600_000)),
        ("1000/day", Rate(1000, 86_400_000)),
        (" 7 / 2 S ", Rate(7, 2_000)),
    ],
)
def test_documented_rate_forms_parse(text, rate):
    assert parse_rate(text) == rate


@pytest.mark.parametrize("text", ["", "5", "5/", "five/m", "0/m", "5/0s", "5/fortnight", "-1/m", "5/m/2"])
def test_malformed_rates_are_refused(text):
    with pytest.raises(ImproperlyConfigured):
        parse_rate(text)


def test_header_seconds_round_up_and_retry_after_is_at_least_one_second():
    blocked = LimitResult(allowed=False, limit=5, remaining=0, reset_ms=1, retry_after_ms=1)
    assert (blocked.reset, blocked.retry_after) == (1, 1)
    blocked = LimitResult(allowed=False, limit=5, remaining=0, reset_ms=59_001, retry_after_ms=59_001)
    assert (blocked.reset, blocked.retry_after) == (60, 60)
    allowed = LimitResult(allowed=True, limit=5, remaining=4, reset_ms=60_000, retry_after_ms=0)
    assert (allowed.reset, allowed.retry_after) == (60, 0)
