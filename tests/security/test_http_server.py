"""The Procfile's HTTP protocol (config/http/server.py) over real sockets: header limits, JSON errors, per-address cap."""
from __future__ import annotations

import json
import socket
import time
from dataclasses import dataclass
from importlib.metadata import version

import pytest

from config.http.server import TESTED_UVICORN, uvicorn_version_tested

HEADER_TIMEOUT = 2  # seconds, for these servers


@dataclass
class Reply:
    status: int | None
    headers: dict[str, str]
    body: dict | None
    seconds: float  # from the last byte sent to the end of the reply


def exchange(port: int, *parts: bytes, timeout: float = 10, pause: float = 0) -> Reply:
    """Send `parts` (pausing between them), then read until the server closes; never raises for the reply."""
    with socket.create_connection(("127.0.0.1", port), timeout=timeout) as sock:
        for part in parts:
            try:
                sock.sendall(part)
            except OSError:  # the server refused and closed while we were still sending
                break
            time.sleep(pause)
        sent = time.monotonic()
        raw = b""
        while True:
            try:
                chunk = sock.recv(65536)
            except ConnectionResetError:
                break
            if not chunk:
                break
            raw += chunk
    return parse(raw, time.monotonic() - sent)


def parse(raw: bytes, seconds: float) -> Reply:
    if not raw:
        return Reply(None, {}, None, seconds)
    head, _, body = raw.partition(b"\r\n\r\n")
    lines = head.decode("latin-1").split("\r\n")
    headers = {k.strip().lower(): v.strip() for k, _, v in (line.partition(":") for line in lines[1:])}
    return Reply(int(lines[0].split()[1]), headers, json.loads(body) if body else None, seconds)


def assert_envelope(reply: Reply, status: int, code: str) -> None:
    assert reply.status == status, reply
    assert reply.headers["content-type"] == "application/json", reply
    assert reply.headers["connection"] == "close", reply
    assert reply.body["error"]["code"] == code and reply.body["error"]["message"], reply
    assert reply.body["error"]["details"] == {}, reply


@pytest.fixture
def server(web_server_factory):
    return web_server_factory(HEADER_TIMEOUT_SECONDS=str(HEADER_TIMEOUT))


def test_uvicorn_is_a_version_the_protocol_subclass_was_written_for():
    (lo_major, lo_minor), (hi_major, hi_minor) = TESTED_UVICORN
    assert uvicorn_version_tested(), (
        f"uvicorn {version('uvicorn')} is installed, but config/http/server.py subclasses uvicorn's "
        f"HttpToolsProtocol as of >={lo_major}.{lo_minor},<{hi_major}.{hi_minor}: read the new "
        "httptools_impl.py, check every overridden method, then widen TESTED_UVICORN and the pin in pyproject.toml"
    )


def test_a_32_kb_header_is_431(server):
    head = b"GET /api/v1/health HTTP/1.1\r\nHost: 127.0.0.1\r\nX-Big: " + b"a" * 32 * 1024 + b"\r\n\r\n"
    assert_envelope(exchange(server.port, head), 431, "headers_too_large")


def test_a_header_that_never_ends_is_431_once_past_the_limit(server):
    start = b"GET /api/v1/health HTTP/1.1\r\nHost: 127.0.0.1\r\nX-Big: "
    reply = exchange(server.port, start, *[b"a" * 4096] * 64, pause=0.001)  # 256 KiB, never a CRLF
    assert_envelope(reply, 431, "headers_too_large")


def test_headers_within_the_limit_are_served(server):
    head = b"GET /api/v1/health HTTP/1.1\r\nHost: 127.0.0.1\r\nX-Fill: " + b"a" * 15 * 1024 + b"\r\nConnection: close\r\n\r\n"
    assert exchange(server.port, head).status == 200


@pytest.mark.parametrize("request_line", [
    b"GARBAGE\r\n\r\n",
    b"GET /api/v1/\xff\xfe HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n",  # not ASCII in the request line
    b"FROB /api/v1/health HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n",  # an unknown method
    b"GET /api/v1/health HTTP/1.1\r\nBad Header: x\r\n\r\n",
])
def test_what_the_parser_refuses_is_a_json_400(server, request_line):
    assert_envelope(exchange(server.port, request_line), 400, "invalid")


def test_a_broken_chunk_in_a_body_is_a_json_400_at_once(server):
    head = (b"POST /api/v1/auth/register HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\n"
            b"Transfer-Encoding: chunked\r\n\r\n2\r\n{}\r\n")
    reply = exchange(server.port, head, b"zz\r\n", pause=0.2)  # then a chunk size that is not hex
    assert_envelope(reply, 400, "invalid")
    assert reply.seconds < 2, reply.seconds


def test_headers_that_stop_arriving_are_408(server):
    reply = exchange(server.port, b"GET /api/v1/health HTTP/1.1\r\nHost: 127.0.0.1\r\n")
    assert_envelope(reply, 408, "request_timeout")
    assert HEADER_TIMEOUT - 1 <= reply.seconds <= HEADER_TIMEOUT + 3, reply.seconds


def test_a_connection_that_sends_nothing_is_closed_without_a_reply(server):
    reply = exchange(server.port)
    assert reply.status is None
    assert reply.seconds <= HEADER_TIMEOUT + 3, reply.seconds


def test_a_kept_alive_connection_gets_the_header_timeout_on_its_next_request(server):
    first = b"GET /api/v1/health HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n"
    with socket.create_connection(("127.0.0.1", server.port), timeout=10) as sock:
        sock.sendall(first)
        raw = b""
        while b"\r\n\r\n" not in raw:
            raw += sock.recv(65536)
        answered = parse(raw.partition(b"\r\n\r\n")[0] + b"\r\n\r\n", 0)
        body = raw.partition(b"\r\n\r\n")[2]
        while len(body) < int(answered.headers["content-length"]):
            body += sock.recv(65536)
        assert answered.status == 200
        time.sleep(1)  # the next request's time starts with its first byte, not with the connection
        sock.sendall(b"GET /api/v1/health HTTP/1.1\r\n")  # then nothing
        sent = time.monotonic()
        raw = b""
        while chunk := sock.recv(65536):
            raw += chunk
    assert_envelope(parse(raw, 0), 408, "request_timeout")
    assert HEADER_TIMEOUT - 0.5 <= time.monotonic() - sent <= HEADER_TIMEOUT + 3


def test_connections_per_address_are_bounded(web_server_factory):
    server = web_server_factory(MAX_CONNECTIONS_PER_IP="3", HEADER_TIMEOUT_SECONDS="30")
    held = [socket.create_connection(("127.0.0.1", server.port), timeout=10) for _ in range(3)]
    try:
        time.sleep(0.2)  # the server has accepted them
        over = exchange(server.port, b"GET /api/v1/health HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n")
        assert_envelope(over, 429, "rate_limited")
        assert over.headers["retry-after"] == "1"
    finally:
        for sock in held:
            sock.close()
    time.sleep(0.2)
    closing = b"GET /api/v1/health HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n\r\n"
    assert exchange(server.port, closing).status == 200  # closed ones no longer count


def test_websockets_leave_the_per_address_count(web_server_factory):
    server = web_server_factory(MAX_CONNECTIONS_PER_IP="2")
    upgrade = (b"GET /ws/leaderboard/ HTTP/1.1\r\nHost: 127.0.0.1\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"
               b"Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n\r\n")
    sockets = []
    try:
        for _ in range(3):  # more WebSockets than the limit, all open at once
            sock = socket.create_connection(("127.0.0.1", server.port), timeout=10)
            sockets.append(sock)
            sock.sendall(upgrade)
            assert sock.recv(65536).split(b" ", 2)[1] in (b"101", b"403"), "the handshake was answered"
        closing = b"GET /api/v1/health HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n\r\n"
        assert exchange(server.port, closing).status == 200
    finally:
        for sock in sockets:
            sock.close()
