"""WebSocket routes (filled in by the real-time work)."""
websocket_urlpatterns: list = []
