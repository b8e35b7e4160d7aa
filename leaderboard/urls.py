from django.urls import path

from leaderboard import apis

urlpatterns = [
    path("leaderboard", apis.LeaderboardApi.as_view(), name="leaderboard"),
    path("leaderboard/me", apis.LeaderboardMeApi.as_view(), name="leaderboard-me"),
    path("leaderboard/users/<str:user_id>", apis.LeaderboardUserApi.as_view(), name="leaderboard-user"),
]
