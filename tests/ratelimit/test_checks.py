"""A mistyped rate-limit setting fails `manage.py check` instead of the first limited request."""
from __future__ import annotations

from ratelimit.checks import check_rate_limit_settings


def ids(settings) -> list[str]:
    return [problem.id for problem in check_rate_limit_settings(None)]


def test_default_settings_pass(settings):
    assert ids(settings) == []


def test_bad_values_are_reported(settings):
    settings.RATELIMIT_AUTH_IP_RATE = "300 per minute"
    settings.RATELIMIT_SUBMISSIONS_ALGORITHM = "leaky"
    settings.RATELIMIT_TRUSTED_PROXY_HOPS = -1
    settings.MIDDLEWARE = [m for m in settings.MIDDLEWARE if not m.startswith("ratelimit.")]
    assert ids(settings) == ["ratelimit.E001", "ratelimit.E002", "ratelimit.E003", "ratelimit.W001"]
