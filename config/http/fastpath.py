"""Fast reads: the plain successful `GET /api/v1/me` and `GET /api/v1/leaderboard`, on the event loop.

This module is the HTTP side (which requests qualify, the headers, the log line). The reads
themselves belong to the apps that own them (`accounts/fastreads.py`, `leaderboard/fastreads.py`),
which register them here from their AppConfig.ready (`fast_read_register`), with the session
lookup (`fast_read_authentication_register`).

Why it exists: these two reads are what clients poll. Through Django's request cycle (a2wsgi's
thread hand-off, the middleware stack, URL resolution, DRF's request wrapping, negotiation and
permissions) each cost about 2 ms of server CPU, against about 1 ms for a bare DRF view doing
the same Redis call on the fastest WSGI server (bench/RESULTS.md). No server or setting closes
that gap while one ASGI process also serves the WebSockets, so the plain case of these two reads
skips the cycle: it runs the same session script and the same reads through `redis.asyncio` on
the server's own loop, and answers with the bytes the full stack would send.

Only the plain successful case. A request is taken here when it is a GET of exactly one of
these paths, with one `Authorization: Bearer <token>`, a Host in ALLOWED_HOSTS, no `format`
override, an Accept that DRF would answer with JSON anyway, no body, a query the view's own
parser accepts as is (each parameter once, within the field count), and a live session.
Anything else (no or bad token, 400-worthy query, a browser asking for HTML, a plain-HTTP
request when SECURE_SSL_REDIRECT is on, an error reply) is handed unchanged to the full
Django stack, which gives the canonical answer (401, 400, 404 ...). An unreachable Redis is
the one error answered here (the same 503), so that a stalled Redis costs the client one
socket timeout, not two.
Handing over after a session lookup repeats nothing a client could notice: resolving a session
only slides its idle timeout, and an unknown token changes nothing.

Same bytes: the body comes from DRF's JSONRenderer, the headers are those DRF and the
middleware add (the security ones from the same settings), and the request line is written by
config.http.request_log. tests/test_fast_reads.py sends the same requests to a server with
`FAST_READS=0` and compares status, headers and body. `FAST_READS=0` turns this off.
"""
from __future__ import annotations

import logging
import time
from typing import Any, Awaitable, Callable, NamedTuple
from urllib.parse import parse_qsl

import redis.exceptions
from django.conf import settings
from django.http.request import split_domain_port, validate_host
from django.urls import resolve
from rest_framework.renderers import JSONRenderer

from config.http.exceptions import classify, error_body
from config.redis.errors import REDIS_DOWN
from config.http.request_log import log_line
from config import metrics
from config.metrics.http import observe, route_label

logger = logging.getLogger(__name__)

ASGIApp = Callable[[dict, Callable, Callable], Awaitable[None]]
# What DRF answers with JSON and nothing else: no Accept, any type, JSON; axios' default too.
JSON_ACCEPTS = {"*/*", "application/json", "application/json, */*", "application/json, text/plain, */*"}
MAX_QUERY_BYTES = 512  # a longer query is not a plain read; the full stack judges it


class FastRead(NamedTuple):
    """One app's fast read: `parse` the query (None: not plain), then `read` it for a signed-in user."""

    parse: Callable[[dict[str, str]], dict[str, Any] | None]
    read: Callable[..., Awaitable[dict | None]]  # read(user_id=..., **parsed); None: hand over


# Filled by the apps' AppConfig.ready: path -> its read, and the bearer-session lookup.
_ROUTES: dict[str, FastRead] = {}
_AUTHENTICATION: list[Callable[..., Awaitable[Any]]] = []


def fast_read_register(path: str, read: FastRead) -> None:
    """Serve the plain successful GET of `path` with `read` on the event loop."""
    _ROUTES[path] = read


def fast_read_authentication_register(session_user: Callable[..., Awaitable[Any]]) -> None:
    """Resolve a bearer token to its session for the fast reads (the session app's lookup)."""
    _AUTHENTICATION[:] = [session_user]


class FastReads:
    """ASGI app: answer the plain case of the hot reads here, pass everything else to `fallback`."""

    def __init__(self, fallback: ASGIApp) -> None:
        self.fallback = fallback
        self.routes: dict[str, FastRead] = dict(_ROUTES)
        self.allow = {path: allow_header(path) for path in self.routes}
        self.session_user = _AUTHENTICATION[0]
        self.render = JSONRenderer().render
        self.security_headers = security_headers()
        self.hsts = hsts_header()
        self.proxy_ssl = proxy_ssl_header()
        self.allowed_hosts = settings.ALLOWED_HOSTS or (
            [".localhost", "127.0.0.1", "[::1]"] if settings.DEBUG else []
        )  # as HttpRequest.get_host()
        self.host_header = b"x-forwarded-host" if settings.USE_X_FORWARDED_HOST else b"host"
        self.ssl_redirect = settings.SECURE_SSL_REDIRECT
        self.log = settings.LOG_REQUESTS
        self.max_fields = settings.DATA_UPLOAD_MAX_NUMBER_FIELDS
        # The same route labels Django's request metrics use for these paths.
        self.metric_routes = {path: route_label(resolve(path)) for path in self.routes} if metrics.ENABLED else None

    async def __call__(self, scope: dict, receive: Callable, send: Callable) -> None:
        route = None
        if scope["type"] == "http" and scope["method"] == "GET" and not scope.get("root_path"):
            route = self.routes.get(scope["path"])
        if route is None:
            return await self.fallback(scope, receive, send)
        started = time.perf_counter()
        answer = request = None
        try:
            request = self._plain_request(scope)
            if request is not None:
                answer = await self._read(route, request)
        except REDIS_DOWN as exc:
            # Answered here: handing over would make the client wait out a second timeout.
            status, code, message, details, headers = classify(exc)
            body = self.render(error_body(code, message, details))
            extra = [(name.lower().encode(), value.encode()) for name, value in headers.items()]
            return await self._respond(scope, send, request, status, body, extra, started)
        except redis.exceptions.RedisError:
            answer = None  # anything else Redis says: the full stack answers it its own way
        except Exception:
            logger.exception("fast read failed; handing %s to the full stack", scope["path"])
            answer = None
        if answer is None:
            return await self.fallback(scope, receive, send)
        await self._respond(scope, send, request, 200, self.render(answer), [], started)

    async def _respond(
        self, scope: dict, send: Callable, request: dict | None, status: int, body: bytes,
        extra: list[tuple[bytes, bytes]], started: float,
    ) -> None:
        """Send a JSON answer with the headers DRF and the middleware would add, then log it."""
        headers = [
            (b"content-type", b"application/json"),
            (b"vary", b"Accept"),
            (b"allow", self.allow[scope["path"]]),
            (b"content-length", str(len(body)).encode()),
            *extra,
            *self.security_headers,
        ]
        if self.hsts and request is not None and request["secure"]:
            headers.append(self.hsts)
        await send({"type": "http.response.start", "status": status, "headers": headers})
        await send({"type": "http.response.body", "body": body})
        if self.log:
            log_line("GET", scope["path"], status, started, request and request.get("user_id"))
        if self.metric_routes is not None:
            observe(self.metric_routes[scope["path"]], "GET", status, time.perf_counter() - started)

    def _plain_request(self, scope: dict) -> dict | None:
        """The request's token, query and scheme when it qualifies as a plain read, else None."""
        found: dict[bytes, bytes] = {}
        for name, value in scope["headers"]:
            if name in (b"authorization", b"accept", self.host_header, self.proxy_ssl[0]):
                if name in found:
                    return None  # a repeated header: let the full stack judge it
                found[name] = value
            elif name == b"transfer-encoding" or (name == b"content-length" and value != b"0"):
                return None  # a GET with a body: the full stack judges its encoding (415)
        scheme, _, token = found.get(b"authorization", b"").partition(b" ")
        if scheme.lower() != b"bearer" or token.split() != [token] or not token.isascii():
            return None
        if found.get(b"accept", b"*/*").decode("latin-1") not in JSON_ACCEPTS:
            return None
        host = found.get(self.host_header, b"").decode("latin-1")
        domain, _ = split_domain_port(host)
        if not domain or not validate_host(domain, self.allowed_hosts):
            return None
        secure = scope.get("scheme") == "https"
        if self.proxy_ssl[0] is not None:
            secure = found.get(self.proxy_ssl[0], b"").split(b",", 1)[0].strip() == self.proxy_ssl[1]
        if self.ssl_redirect and not secure:
            return None
        raw_query = scope.get("query_string", b"")
        if len(raw_query) > MAX_QUERY_BYTES or not raw_query.isascii():
            return None
        try:  # Django's field count (config.http.middleware): past it, the full stack's 400
            pairs = parse_qsl(raw_query.decode("ascii"), keep_blank_values=True, max_num_fields=self.max_fields)
        except ValueError:
            return None
        query = dict(pairs)
        if "format" in query or len(query) < len(pairs):
            return None  # a repeated parameter is 400 where a view reads it; the full stack judges
        return {"token": token.decode("ascii"), "query": query, "secure": secure, "user_id": None}

    async def _read(self, route: FastRead, request: dict) -> dict | None:
        """The app's answer for a plain query and a live session, else None (hand over)."""
        query = route.parse(request["query"])
        if query is None:
            return None
        user = await self.session_user(token=request["token"])
        request["user_id"] = user and user.id
        if user is None:
            return None
        return await route.read(user_id=user.id, **query)


def allow_header(path: str) -> bytes:
    """DRF's Allow header for the viewset route at `path`: the methods it maps, HEAD with GET."""
    callback = resolve(path).func
    view = callback.cls(**callback.initkwargs)
    for method, action in callback.actions.items():
        setattr(view, method, getattr(view, action))  # as ViewSetMixin.as_view binds them
    view.setup(None)  # Django's View.setup adds HEAD where there is GET
    return ", ".join(view.allowed_methods).encode()


def security_headers() -> list[tuple[bytes, bytes]]:
    """What SecurityMiddleware and XFrameOptionsMiddleware add to every response, from settings."""
    headers = [(b"x-frame-options", settings.X_FRAME_OPTIONS.upper().encode())]
    if settings.SECURE_CONTENT_TYPE_NOSNIFF:
        headers.append((b"x-content-type-options", b"nosniff"))
    policy = settings.SECURE_REFERRER_POLICY
    if policy:
        if isinstance(policy, str):
            policy = [v.strip() for v in policy.split(",")]
        headers.append((b"referrer-policy", ",".join(policy).encode()))
    if settings.SECURE_CROSS_ORIGIN_OPENER_POLICY:
        headers.append((b"cross-origin-opener-policy", settings.SECURE_CROSS_ORIGIN_OPENER_POLICY.encode()))
    return headers


def hsts_header() -> tuple[bytes, bytes] | None:
    """SecurityMiddleware's Strict-Transport-Security (sent on secure requests only)."""
    if not settings.SECURE_HSTS_SECONDS:
        return None
    value = f"max-age={settings.SECURE_HSTS_SECONDS}"
    if settings.SECURE_HSTS_INCLUDE_SUBDOMAINS:
        value += "; includeSubDomains"
    if settings.SECURE_HSTS_PRELOAD:
        value += "; preload"
    return b"strict-transport-security", value.encode()


def proxy_ssl_header() -> tuple[bytes | None, bytes]:
    """SECURE_PROXY_SSL_HEADER as an ASGI header name and the value that means https."""
    if not settings.SECURE_PROXY_SSL_HEADER:
        return None, b""
    meta_name, value = settings.SECURE_PROXY_SSL_HEADER
    return meta_name.removeprefix("HTTP_").replace("_", "-").lower().encode(), value.encode()
