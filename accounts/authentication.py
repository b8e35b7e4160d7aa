"""DRF authentication: `Authorization: Bearer <token>` (the API's), or a browser login's session cookie."""
from __future__ import annotations

from django.core.exceptions import ImproperlyConfigured
from rest_framework.authentication import BaseAuthentication, SessionAuthentication, get_authorization_header
from rest_framework.exceptions import AuthenticationFailed

from accounts.browser import browser_session_user


def bearer_token(request) -> str | None:
    """Return the bearer token of a request, or None when it carries none."""
    header = get_authorization_header(request).split()
    if not header or header[0].lower() != b"bearer":
        return None
    if len(header) != 2:
        raise AuthenticationFailed("Malformed Authorization header; use 'Bearer <token>'.")
    try:
        return header[1].decode("ascii")
    except UnicodeDecodeError as exc:
        raise AuthenticationFailed("The token contains invalid characters.") from exc


class BearerSessionAuthentication(BaseAuthentication):
    """Authenticate with a session token through RedisSessionMiddleware's lookup (one round trip)."""

    keyword = "Bearer"

    def authenticate(self, request):
        token = bearer_token(request)
        if token is None:
            return None
        lookup = getattr(request._request, "bearer_session", None)
        if lookup is None:
            raise ImproperlyConfigured("Bearer sessions need accounts.middleware.RedisSessionMiddleware.")
        user = lookup(token)
        if user is None:
            raise AuthenticationFailed("The session is invalid or has expired.")
        return user, token

    def authenticate_header(self, request) -> str:
        return 'Bearer realm="api"'


class BrowserSessionAuthentication(SessionAuthentication):
    """DRF's session authentication (CSRF on unsafe methods) over the browser login's session."""

    def authenticate(self, request):
        user = browser_session_user(request._request)
        if user is None:
            return None
        self.enforce_csrf(request)
        return user, None
