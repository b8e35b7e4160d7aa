from django.urls import path

import config.converters  # noqa: F401  (registers <user_id:...>)
from accounts import apis

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
