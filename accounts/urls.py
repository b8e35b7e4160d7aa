"""Accounts routes: the app's viewsets on a router (config/api_router.py mounts them at /api/v1/)."""
from rest_framework.routers import SimpleRouter

import config.http.converters  # noqa: F401  (registers <user_id:...>)
from accounts import apis

router = SimpleRouter(trailing_slash=False, use_regex_path=False)
router.register("auth", apis.AuthViewSet, basename="auth")
router.register("me", apis.MeViewSet, basename="me")
router.register("users", apis.UserViewSet, basename="user")
router.register("admin/audit", apis.AuditViewSet, basename="admin-audit")

urlpatterns = router.urls
