"""Whole request bodies on the event loop: a request reaches a thread only once its body is in.

Why: a2wsgi hands a request to one of the few WSGI threads (config/asgi.py) as soon as its
headers arrive, and the thread then waits for the body. Eight clients that send half a body and
go silent held all eight threads, and every request through Django waited (issue 20: the health
check took 16 s to over 45 s). Here the body is read on the loop, where a waiting client costs a
few hundred bytes and no thread, within three limits:

- a declared Content-Length over MAX_BODY_BYTES is answered 413 at once, unread;
- a chunked body is read until it passes MAX_BODY_BYTES (413), so it is never held in full;
- the whole body must arrive within BODY_TIMEOUT_SECONDS of the headers, else 408 `request_timeout`.

Each of these answers the error envelope and closes the connection (its unread rest would
otherwise be parsed as the next request). Then the inner app gets one `http.request` message
with the whole body. A request without a body (no Content-Length, no Transfer-Encoding: GET,
HEAD, ...) passes straight through. config.http.parsers.ChunkedBodies still gives Django a chunked
body's length, now from bytes already in memory.
"""
from __future__ import annotations

import asyncio
import json
import time
from typing import Awaitable, Callable

from django.conf import settings

from config.http.exceptions import ApplicationError, PayloadTooLarge, RequestTimeout, error_body
from config.http.request_log import log_line

ASGIApp = Callable[[dict, Callable, Callable], Awaitable[None]]


class BodyRefused(Exception):
    """The body is not handed on: answer `error` and close."""

    def __init__(self, error: ApplicationError) -> None:
        super().__init__(error.message)
        self.error = error


class BufferedBodies:
    """ASGI middleware: read the whole body within the size and time limits, then call `app`."""

    def __init__(self, app: ASGIApp, *, max_bytes: int | None = None, timeout: float | None = None) -> None:
        from config.http.fastpath import security_headers

        self.app = app
        self.max_bytes = settings.DATA_UPLOAD_MAX_MEMORY_SIZE if max_bytes is None else max_bytes
        self.timeout = settings.BODY_TIMEOUT_SECONDS if timeout is None else timeout
        self.headers = security_headers()
        self.log = settings.LOG_REQUESTS

    async def __call__(self, scope: dict, receive: Callable, send: Callable) -> None:
        if scope["type"] != "http":
            return await self.app(scope, receive, send)
        started = time.perf_counter()
        try:
            declared = self._declared_length(scope["headers"])
            if declared is None:
                return await self.app(scope, receive, send)  # no body
            async with asyncio.timeout(self.timeout):
                body = await self._read(receive)
        except BodyRefused as refused:
            return await self._refuse(scope, send, refused.error, started)
        except TimeoutError:
            return await self._refuse(scope, send, RequestTimeout(), started)
        if body is None:
            return  # the client went away
        await self.app(scope, _replay(body, receive), send)

    def _declared_length(self, headers: list[tuple[bytes, bytes]]) -> int | None:
        """The declared body length (-1: chunked), or None when the request has no body."""
        length = None
        for name, value in headers:
            if name == b"content-length":
                length = int(value)  # the server's parser accepts digits only
            elif name == b"transfer-encoding":
                return -1  # chunked; the parser refuses both together
        if length is not None and length > self.max_bytes:
            raise BodyRefused(PayloadTooLarge())
        return length or None

    async def _read(self, receive: Callable) -> bytes | None:
        """The whole body, or None when the client disconnected first."""
        body = bytearray()
        while True:
            message = await receive()
            if message["type"] == "http.disconnect":
                return None
            body += message.get("body", b"")
            if len(body) > self.max_bytes:
                raise BodyRefused(PayloadTooLarge())
            if not message.get("more_body", False):
                return bytes(body)

    async def _refuse(self, scope: dict, send: Callable, error: ApplicationError, started: float) -> None:
        """Answer the error envelope and close the connection."""
        body = json.dumps(error_body(error.code, error.message), separators=(",", ":")).encode()
        headers = [
            (b"content-type", b"application/json"),
            (b"content-length", str(len(body)).encode()),
            (b"connection", b"close"),
            *self.headers,
        ]
        await send({"type": "http.response.start", "status": error.status_code, "headers": headers})
        await send({"type": "http.response.body", "body": body})
        if self.log:
            log_line(scope["method"], scope["path"], error.status_code, started, None)


def _replay(body: bytes, receive: Callable) -> Callable:
    """A receive() that gives the buffered body once, then waits on the server's (disconnect)."""
    pending = [{"type": "http.request", "body": body, "more_body": False}]

    async def replay() -> dict:
        return pending.pop() if pending else await receive()

    return replay
