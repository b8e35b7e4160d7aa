"""WebSocket routes (mounted under /ws/ by config.asgi)."""
from django.urls import path

from leaderboard.consumers import LeaderboardConsumer, MeConsumer

websocket_urlpatterns = [
    path("ws/leaderboard/", LeaderboardConsumer.as_asgi()),
    path("ws/me/", MeConsumer.as_asgi()),
]
