"""ASGI entry point: HTTP through Django's WSGI handler on a small thread pool, WebSockets through Channels.

A request reaches a thread only with its whole body, read on the loop within MAX_BODY_BYTES and
BODY_TIMEOUT_SECONDS (config/http/bodies.py): a slow or silent client holds no thread.

The plain successful case of the two hot reads is answered before that, on the loop itself
(config/http/fastpath.py); `FAST_READS=0` sends every request through Django.

Every HTTP view is sync (Redis through redis-py's blocking pool), so Django's ASGI handler would
only add an event-loop-to-thread hop per request (asgiref starts a thread-sensitive context for
each one). a2wsgi hands each request to a fixed pool of threads running the plain WSGI handler:
bench/RESULTS.md measured ~1.8x the req/s and ~0.6x the CPU per request of the ASGI handler on
uvicorn. asgiref's own WsgiToAsgi is not used: it broke under concurrent load in the same bench.
"""
import os

from config.http.handler import get_wsgi_application

from config.dev.devenv import dev_env_load

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")
dev_env_load()  # a server started by hand in a `make run` checkout uses the same Redis
django_wsgi_app = get_wsgi_application()

from a2wsgi import WSGIMiddleware  # noqa: E402
from channels.routing import ProtocolTypeRouter, URLRouter  # noqa: E402
from django.conf import settings  # noqa: E402

from config.http.bodies import BufferedBodies  # noqa: E402
from config.http.fastpath import FastReads  # noqa: E402
from config.http.parsers import ChunkedBodies  # noqa: E402
from leaderboard.routing import websocket_urlpatterns  # noqa: E402

# Threads per process. The GIL runs one at a time, and 2 vs 8 measured within the bench's noise
# (bench/RESULTS.md, "uvicorn+2-threads"); but while Redis stalls every request holds its thread
# for the socket timeout, and with 2 threads 8 concurrent requests took ~4 s to get their 503s.
HTTP_THREADS = 8

django_http = BufferedBodies(WSGIMiddleware(ChunkedBodies(django_wsgi_app), workers=HTTP_THREADS))

application = ProtocolTypeRouter(
    {
        "http": FastReads(django_http) if settings.FAST_READS else django_http,
        "websocket": URLRouter(websocket_urlpatterns),
    }
)
