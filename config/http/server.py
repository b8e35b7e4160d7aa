"""The web server's HTTP/1.1 protocol: uvicorn's httptools protocol with header limits, as JSON.

Used by the Procfile's `web` line as `--http config.http.server:GuardedHttpToolsProtocol`.
Written against uvicorn 0.55 (`uvicorn.protocols.http.httptools_impl.HttpToolsProtocol`) and
httptools 0.6-0.9; pyproject.toml pins uvicorn to that minor and tests/security/test_http_server.py
fails when the installed uvicorn leaves it. It overrides `connection_made`, `connection_lost`,
`data_received`, `on_message_begin`, `on_headers_complete`, `handle_websocket_upgrade` and
`send_400_response`, each calling uvicorn's own.

Why: uvicorn has no header timeout and no header size limit (issue 20: a 32 MB header was
accepted; a client that never finishes its headers holds its connection forever), no bound on
connections per client, and answers its own protocol errors in plain text. Here, per request:

- the request line and headers must arrive within HEADER_TIMEOUT_SECONDS of the request's first
  byte (or of the connection, for its first request), else 408 `request_timeout` and close. A
  connection that sent nothing at all is closed without a reply, as uvicorn's keep-alive timeout
  does, so a browser's unused preconnected socket is not shown an error;
- the request line and headers together must fit in MAX_HEADER_BYTES, else 431
  `headers_too_large` and close; a header still arriving is refused as soon as the bytes read
  pass the limit, so the parser never buffers more than the limit plus one socket read;
- at most MAX_CONNECTIONS_PER_IP open connections per client address and server process (0: no
  limit); one more is answered 429 `rate_limited` (Retry-After: 1) at once and closed. A
  connection stops counting when it becomes a WebSocket (those are bounded per user elsewhere).
  Behind a proxy every connection comes from the proxy's address: raise the limit or set it to 0;
- what the parser refuses (an invalid request line, method, header or chunk; a URL that is not
  ASCII) is the same 400, as the envelope `invalid`.

Every reply is the error envelope with `Connection: close`. Not changed (they are not this
class's): the plain-text 500 uvicorn writes when an ASGI app raises before responding (the apps
here answer their own errors), a WebSocket handshake the websockets library refuses (its own
reply), and anything a TLS-terminating proxy answers before a request reaches this process.
"""
from __future__ import annotations

import json
from collections import Counter
from functools import cache
from typing import NamedTuple

from uvicorn.protocols.http.httptools_impl import STATUS_LINE, HttpToolsProtocol

from config.http.exceptions import ApplicationError, HeadersTooLarge, RequestTimeout, TooManyRequests

TESTED_UVICORN = ((0, 55), (0, 56))  # [from, to): the minors this subclass was checked against


@cache
def _limits() -> tuple[float, int, int]:
    """(header timeout, max header bytes, max connections per IP), read once the app is loaded."""
    from django.conf import settings

    return settings.HEADER_TIMEOUT_SECONDS, settings.MAX_HEADER_BYTES, settings.MAX_CONNECTIONS_PER_IP


@cache
def _reply_headers() -> bytes:
    """The security headers every API answer carries (as config.http.fastpath sends them)."""
    from config.http.fastpath import security_headers

    return b"".join(name + b": " + value + b"\r\n" for name, value in security_headers())


class Refusal(NamedTuple):
    """An answer to a request refused before it reaches the app: status, envelope code, message."""

    status: int
    code: str
    message: str
    headers: bytes = b""


def _refusal(error: type[ApplicationError], message: str | None = None, headers: bytes = b"") -> Refusal:
    return Refusal(error.status_code, error.code, message or error.default_message, headers)


TOO_LARGE = _refusal(HeadersTooLarge)
TIMED_OUT = _refusal(RequestTimeout)
INVALID = _refusal(ApplicationError, "The request is malformed.")
TOO_MANY = _refusal(TooManyRequests, "Too many open connections from this address.", b"retry-after: 1\r\n")


class StopParsing(Exception):
    """Raised in a parser callback: httptools stops and uvicorn calls send_400_response."""


class GuardedHttpToolsProtocol(HttpToolsProtocol):
    """uvicorn's httptools protocol, plus header timeout and size limits and a per-address cap."""

    open_per_address: Counter = Counter()  # this process's connections by client address

    def connection_made(self, transport) -> None:  # type: ignore[override]
        super().connection_made(transport)
        self._timeout, self._max_header_bytes, max_per_address = _limits()
        self._address = self.client[0] if self.client else None
        self._refusal: Refusal | None = None
        self._header_bytes = 0
        self._awaiting_headers = True
        self._request_begun = False  # a byte of the awaited request has arrived
        self._headers_due = self.loop.time() + self._timeout
        self._header_timer = self.loop.call_later(self._timeout, self._header_timeout)
        if self._address is not None:
            self.open_per_address[self._address] += 1
            if max_per_address and self.open_per_address[self._address] > max_per_address:
                self._refuse(TOO_MANY)

    def connection_lost(self, exc: Exception | None) -> None:
        self._stop_header_timer()
        self._forget_address()
        super().connection_lost(exc)

    def data_received(self, data: bytes) -> None:
        if self._awaiting_headers:
            self._header_bytes += len(data)
        super().data_received(data)
        if self._awaiting_headers and self._header_bytes > self._max_header_bytes:
            self._refuse(TOO_LARGE)  # a request line or header still arriving, past the limit

    def on_message_begin(self) -> None:
        super().on_message_begin()
        self._request_begun = True
        if not self._awaiting_headers:  # a next request on a kept-alive connection
            self._awaiting_headers = True
            self._header_bytes = 0
            self._headers_due = self.loop.time() + self._timeout
        if self._header_timer is None:  # else the armed one fires early and re-arms itself
            self._header_timer = self.loop.call_later(self._timeout, self._header_timeout)

    def on_headers_complete(self) -> None:
        # The timer stays armed (no cancel and re-arm per request on a kept-alive connection);
        # when it fires with no headers awaited it does nothing.
        self._awaiting_headers = self._request_begun = False
        size = len(self.url) + 16 + sum(len(name) + len(value) + 4 for name, value in self.headers)
        if size > self._max_header_bytes:  # all of them came in one read
            self._refusal = TOO_LARGE
            raise StopParsing
        super().on_headers_complete()

    def handle_websocket_upgrade(self) -> None:
        self._stop_header_timer()
        self._forget_address()
        super().handle_websocket_upgrade()

    def send_400_response(self, msg: str) -> None:
        """Answer what the parser refused (or a refusal from a callback) as the envelope."""
        self._refuse(self._refusal or INVALID)

    def _header_timeout(self) -> None:
        self._header_timer = None
        if not self._awaiting_headers or self.transport.is_closing():
            return
        remaining = self._headers_due - self.loop.time()
        if remaining > 0.001:  # armed for an earlier request: wait out this one's time
            self._header_timer = self.loop.call_later(remaining, self._header_timeout)
        elif self._request_begun:
            self._refuse(TIMED_OUT)
        elif self.cycle is None or self.cycle.response_complete:
            self.transport.close()  # nothing sent at all: close quietly

    def _refuse(self, refusal: Refusal) -> None:
        """Write `refusal` as the envelope and close (after a response already being written)."""
        self._stop_header_timer()
        self._awaiting_headers = False
        if self.transport.is_closing():
            return
        cycle = self.cycle
        if cycle is not None and not cycle.response_complete:
            if cycle.response_started:  # never write into a response: close once it is sent
                cycle.keep_alive = False
                self.flow.pause_reading()
                return
            cycle.disconnected = True  # as uvicorn does: the app's request ends, its answer goes nowhere
            cycle.message_event.set()
        body = json.dumps({"error": {"code": refusal.code, "message": refusal.message, "details": {}}},
                          separators=(",", ":")).encode()
        content = [STATUS_LINE[refusal.status]]
        content.extend(name + b": " + value + b"\r\n" for name, value in self.server_state.default_headers)
        content += [
            b"content-type: application/json\r\ncontent-length: ", str(len(body)).encode(), b"\r\n",
            refusal.headers, _reply_headers(), b"connection: close\r\n\r\n", body,
        ]
        self.transport.write(b"".join(content))
        self.transport.close()

    def _stop_header_timer(self) -> None:
        if self._header_timer is not None:
            self._header_timer.cancel()
            self._header_timer = None

    def _forget_address(self) -> None:
        if self._address is not None:
            self.open_per_address[self._address] -= 1
            if self.open_per_address[self._address] <= 0:
                del self.open_per_address[self._address]
            self._address = None


def uvicorn_version_tested() -> bool:
    """Whether the installed uvicorn is a version this subclass was written against."""
    from importlib.metadata import version

    installed = tuple(int(part) for part in version("uvicorn").split(".")[:2])
    return TESTED_UVICORN[0] <= installed < TESTED_UVICORN[1]

