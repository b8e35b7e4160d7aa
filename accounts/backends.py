"""The Django authentication backend over the Redis user store (the browser login's)."""
from __future__ import annotations

from django.contrib.auth.backends import BaseBackend

from accounts import selectors, services
from accounts.user import CheckedUser
from ratelimit.throttles import AuthIpRateThrottle, LoginFailureThrottle


class LoginThrottled(Exception):
    """Too many login attempts (per client address or per username); try again later."""

    def __init__(self, retry_after: int) -> None:
        super().__init__(f"retry after {retry_after} s")
        self.retry_after = retry_after


class RedisUserBackend(BaseBackend):
    """Check a username and password against Redis, under the limits of POST /api/v1/auth/login.

    The client address budget is taken first, then a per-username failure slot, which a right
    password gives back: the same order and counting as accounts.apis.LoginApi.
    """

    def authenticate(self, request, username: str | None = None, password: str | None = None, **kwargs):
        if request is None or username is None or password is None:
            return None
        ip = AuthIpRateThrottle()
        if not ip.allow_request(request, None):
            raise LoginThrottled(_seconds(ip.wait()))
        # The API's own rules for a username and password; imported here because DRF's views,
        # which accounts.apis needs, load the authentication classes that import this module.
        from accounts.apis import Credentials

        if not Credentials(data={"username": username, "password": password}).is_valid():
            return None  # the API would answer 400 here: no username slot is taken
        failures = LoginFailureThrottle(username=username)
        if not failures.allow_request(request, None):
            raise LoginThrottled(_seconds(failures.wait()))
        try:
            user = services.user_authenticate(username=username, password=password)
        except services.InvalidCredentials:
            return None  # its slot stays: a failure
        except services.AccountSuspended:
            return None  # a suspended account cannot log in from a browser either
        failures.forgive(request)
        return CheckedUser(id=user["id"], username=user["username"], role=user["role"])

    def get_user(self, user_id):
        """The user with this id (Django's interface; browser requests resolve their session)."""
        found = selectors.user_identity(user_id=user_id) if services.USER_ID_RE.fullmatch(str(user_id)) else None
        return None if found is None else CheckedUser(**found)


def _seconds(wait: float | None) -> int:
    return max(1, int(round(wait or 1)))
