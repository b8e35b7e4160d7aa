"""Browser sessions for the browsable API and the live page: DRF's login and logout views.

A browser login opens an ordinary accounts session (the one a bearer token names) and keeps its
id in a Django session, so everything sessions do holds for browsers too: the 30 minute idle
timeout and 24 h cap, `logout-all`, `GET /auth/sessions`, WebSocket tickets, and closing the
session's sockets (4401) when it ends. The cookie is Django's session cookie; the token itself
is never issued.
"""
from __future__ import annotations

from django.contrib.auth.forms import AuthenticationForm
from django.contrib.auth.views import LoginView, LogoutView
from django.core.exceptions import ValidationError
from django.http import HttpRequest, HttpResponseRedirect
from django.middleware.csrf import rotate_token
from django.urls import path

from accounts import services
from accounts.backends import LoginThrottled
from accounts.user import CheckedUser, RedisUser

SESSION_REF = "qb_session"  # {"sid": accounts session id, "uid": user id}
_UNRESOLVED = object()


def browser_login(request: HttpRequest, user: CheckedUser) -> None:
    """Open an accounts session for `user` and tie this browser to it (a new cookie value)."""
    browser_logout(request)
    session = services.session_create(user={"id": user.id, "username": user.username, "role": user.role})
    request.session.cycle_key()  # never keep a cookie value chosen before the login
    request.session[SESSION_REF] = {"sid": session.session_id, "uid": user.id}
    rotate_token(request)


def browser_logout(request: HttpRequest) -> None:
    """End this browser's accounts session (its sockets close with 4401) and its cookie session."""
    ref = request.session.get(SESSION_REF)
    if ref:
        services.sessions_end(user_id=ref["uid"], session_ids=[ref["sid"]])
    request.session.flush()


def browser_session_user(request: HttpRequest) -> RedisUser | None:
    """The user of this browser's live session (sliding its idle timeout), once per request."""
    cached = getattr(request, "_browser_user", _UNRESOLVED)
    if cached is _UNRESOLVED:
        ref = request.session.get(SESSION_REF) if hasattr(request, "session") else None
        cached = services.session_touch_by_id(session_id=ref["sid"], user_id=ref["uid"]) if ref else None
        request._browser_user = cached
    return cached


class BrowserLoginForm(AuthenticationForm):
    """Django's login form; too many attempts is a form error that the view answers with 429."""

    retry_after: int | None = None

    def clean(self):
        try:
            return super().clean()
        except LoginThrottled as exc:
            self.retry_after = exc.retry_after
            raise ValidationError(
                "Too many login attempts. Try again in %(seconds)s s.",
                code="rate_limited",
                params={"seconds": exc.retry_after},
            ) from None


class BrowserLoginView(LoginView):
    """DRF's login page (CSRF-protected, `?next=`), backed by the Redis users and limits."""

    template_name = "rest_framework/login.html"
    form_class = BrowserLoginForm

    def form_valid(self, form):
        browser_login(self.request, form.get_user())
        return HttpResponseRedirect(self.get_success_url())

    def form_invalid(self, form):
        response = super().form_invalid(form)
        if form.retry_after:
            response.status_code = 429  # Retry-After comes from the rate-limit middleware
        return response


class BrowserLogoutView(LogoutView):
    """POST ends this browser's session, then redirects (`?next=` or LOGOUT_REDIRECT_URL)."""

    def post(self, request, *args, **kwargs):
        browser_logout(request)
        return super().post(request, *args, **kwargs)


# Included at /api-auth/ under DRF's namespace, so every browsable page links them.
app_name = "rest_framework"
urlpatterns = [
    path("login/", BrowserLoginView.as_view(), name="login"),
    path("logout/", BrowserLogoutView.as_view(), name="logout"),
]
