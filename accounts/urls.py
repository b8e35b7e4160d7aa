from django.urls import path, register_converter
from django.urls.converters import StringConverter

from accounts import apis


class UserIdConverter(StringConverter):
    """User ids are 16 hex digits; anything else never reaches a Redis key name (JSON 404)."""

    regex = "[0-9a-f]{16}"


register_converter(UserIdConverter, "user_id")

urlpatterns = [
    path("auth/register", apis.RegisterApi.as_view(), name="auth-register"),
    path("auth/login", apis.LoginApi.as_view(), name="auth-login"),
    path("auth/refresh", apis.RefreshApi.as_view(), name="auth-refresh"),
    path("auth/logout", apis.LogoutApi.as_view(), name="auth-logout"),
    path("auth/logout-all", apis.LogoutAllApi.as_view(), name="auth-logout-all"),
    path("auth/sessions", apis.SessionsApi.as_view(), name="auth-sessions"),
    path("auth/ws-ticket", apis.WsTicketApi.as_view(), name="auth-ws-ticket"),
    path("me", apis.MeApi.as_view(), name="me"),
    path("users/<user_id:user_id>", apis.UserDetailApi.as_view(), name="user-detail"),
]
