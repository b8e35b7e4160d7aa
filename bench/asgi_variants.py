"""ASGI entry points that differ from config.asgi only in how HTTP reaches Django (levers to measure).

- `full_stack`: config.asgi without config.http.fastpath: every HTTP request through Django (FAST_READS=0).
- `django_asgi`: HTTP through Django's own ASGI handler (what config.asgi used before), WebSockets
  through Channels as in config.asgi. That handler starts a new thread-sensitive context (a new
  thread) for every request that reaches a sync view; config.asgi now uses a2wsgi instead.
- `wsgi_pool2`: `full_stack` with 2 HTTP threads per process instead of HTTP_THREADS.
"""
import os

from django.core.asgi import get_asgi_application

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")
django_asgi_app = get_asgi_application()

from a2wsgi import WSGIMiddleware  # noqa: E402
from channels.routing import ProtocolTypeRouter, URLRouter  # noqa: E402

from config.asgi import django_http, django_wsgi_app  # noqa: E402
from leaderboard.routing import websocket_urlpatterns  # noqa: E402

full_stack = ProtocolTypeRouter({"http": django_http, "websocket": URLRouter(websocket_urlpatterns)})

django_asgi = ProtocolTypeRouter({"http": django_asgi_app, "websocket": URLRouter(websocket_urlpatterns)})

wsgi_pool2 = ProtocolTypeRouter(
    {"http": WSGIMiddleware(django_wsgi_app, workers=2), "websocket": URLRouter(websocket_urlpatterns)}
)
