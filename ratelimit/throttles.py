"""DRF throttles backed by the Redis limiters (placeholder until the limiter lands)."""
from rest_framework.throttling import BaseThrottle


class SubmissionRateThrottle(BaseThrottle):
    """Per-user submission limit. Placeholder: admits everything."""

    def allow_request(self, request, view) -> bool:
        return True
