"""System checks: a mistyped rate or algorithm fails `manage.py check`, not the first request."""
from __future__ import annotations

from django.conf import settings
from django.core.checks import Error, Warning, register
from django.core.exceptions import ImproperlyConfigured

from ratelimit.limiters import limiter_for, parse_rate

RATE_SETTINGS = ("RATELIMIT_SUBMISSIONS_RATE", "RATELIMIT_LOGIN_FAILURES_RATE", "RATELIMIT_AUTH_IP_RATE")
MIDDLEWARE = "ratelimit.headers.RateLimitHeadersMiddleware"


@register()
def check_rate_limit_settings(app_configs, **kwargs) -> list:
    """Every rate parses, the submissions algorithm exists, and the headers middleware is on."""
    problems = []
    for name in RATE_SETTINGS:
        try:
            parse_rate(getattr(settings, name))
        except ImproperlyConfigured as exc:
            problems.append(Error(f"{name}: {exc}", id="ratelimit.E001"))
    try:
        limiter_for(settings.RATELIMIT_SUBMISSIONS_ALGORITHM)
    except ImproperlyConfigured as exc:
        problems.append(Error(f"RATELIMIT_SUBMISSIONS_ALGORITHM: {exc}", id="ratelimit.E002"))
    if settings.RATELIMIT_TRUSTED_PROXY_HOPS < 0:
        problems.append(Error("RATELIMIT_TRUSTED_PROXY_HOPS must be 0 or more.", id="ratelimit.E003"))
    if MIDDLEWARE not in settings.MIDDLEWARE:
        problems.append(
            Warning(f"{MIDDLEWARE} is not in MIDDLEWARE: rate-limited responses lack RateLimit-* headers.",
                    id="ratelimit.W001")
        )
    return problems
