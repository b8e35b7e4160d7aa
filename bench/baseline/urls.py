from django.urls import path

from bench.baseline import views

urlpatterns = [
    path("api/v1/health", views.HealthApi.as_view()),
    path("bare/profile/<str:user_id>", views.ProfileApi.as_view()),
    path("bare/leaderboard", views.BoardApi.as_view()),
    path("bare-async/profile/<str:user_id>", views.profile_async),
    path("bare-async/leaderboard", views.board_async),
]
