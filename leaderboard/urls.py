from django.urls import path

import config.converters  # noqa: F401  (registers <user_id:...>)
from leaderboard import apis

urlpatterns = [
    path("leaderboard", apis.LeaderboardApi.as_view(), name="leaderboard"),
    path("leaderboard/me", apis.LeaderboardMeApi.as_view(), name="leaderboard-me"),
    path("leaderboard/users/<user_id:user_id>", apis.LeaderboardUserApi.as_view(), name="leaderboard-user"),
]
