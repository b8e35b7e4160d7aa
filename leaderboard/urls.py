"""Leaderboard routes: the app's viewset on a router (config/api_router.py mounts it at /api/v1/)."""
from rest_framework.routers import SimpleRouter

import config.http.converters  # noqa: F401  (registers <user_id:...>)
from leaderboard import apis, group_apis

router = SimpleRouter(trailing_slash=False, use_regex_path=False)
router.register("leaderboard", apis.LeaderboardViewSet, basename="leaderboard")
router.register("groups", group_apis.GroupViewSet, basename="group")

urlpatterns = router.urls
