"""ASGI entry points that differ from config.asgi only in how HTTP reaches Django (levers to measure).

- `wsgi_pool`: HTTP through Django's WSGI handler on a fixed thread pool (a2wsgi), WebSockets
  through Channels as in config.asgi. Django's ASGI handler instead starts a new thread for
  every request that reaches a sync view (asgiref's per-request ThreadSensitiveContext).
"""
import os

from django.core.wsgi import get_wsgi_application

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")
django_wsgi_app = get_wsgi_application()

from a2wsgi import WSGIMiddleware  # noqa: E402
from channels.routing import ProtocolTypeRouter, URLRouter  # noqa: E402

from leaderboard.routing import websocket_urlpatterns  # noqa: E402

wsgi_pool = ProtocolTypeRouter(
    {
        "http": WSGIMiddleware(django_wsgi_app, workers=int(os.environ.get("HTTP_THREADS", "8"))),
        "websocket": URLRouter(websocket_urlpatterns),
    }
)

