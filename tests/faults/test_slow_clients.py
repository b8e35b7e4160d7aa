"""Slow and oversized request bodies against the Procfile's web server (issue 20, finding 1).

The attack is bench/slow_clients.py's (50 connections trickling a body, 50 silent after half of
one, from a child process); `make bench` reports the same ratio against its 2x target. Here the
bound is generous, for a shared CI machine, and the measured figures are printed.
"""
from __future__ import annotations

import json
import time

import pytest
from django.conf import settings

from bench.slow_clients import SILENT, TRICKLING, measure
from tests.faults.live import make_user
from tests.security.test_http_server import assert_envelope, exchange

BODY_TIMEOUT = 3  # seconds, for this server
RATIO_BOUND = 5.0  # the target is 2x (make bench); a busy 2-core CI box gets room
ABSOLUTE_BOUND = 0.25  # seconds: a p99 below this passes whatever the ratio (tiny baselines are noisy)


@pytest.fixture
def server(web_server_factory, redis):
    return web_server_factory(BODY_TIMEOUT_SECONDS=str(BODY_TIMEOUT))


def _register_head(port: int, length: int) -> bytes:
    return (f"POST /api/v1/auth/register HTTP/1.1\r\nHost: 127.0.0.1:{port}\r\n"
            f"Content-Type: application/json\r\nContent-Length: {length}\r\n\r\n").encode()


def test_slow_bodies_do_not_slow_django_requests(server):
    token = make_user("prober")["token"]
    measured = measure(server.port, token, samples=500)  # 5 s: the attackers' 408s come inside it
    print(measured.text())
    summary = measured.summary
    # Every attacker is answered 408 (and reconnects): at least once each while the probe runs.
    for kind, count in (("silent", SILENT), ("trickle", TRICKLING)):
        assert set(summary.statuses[kind]) == {"408"}, summary.statuses
        assert summary.statuses[kind]["408"] >= count, summary.statuses
    assert all(body["error"]["code"] == "request_timeout" for body in summary.bodies), summary.bodies
    waits = summary.silent_waits
    assert BODY_TIMEOUT - 1 <= min(waits) and max(waits) <= BODY_TIMEOUT + 2, (min(waits), max(waits))
    assert measured.attacked_p99 <= max(RATIO_BOUND * measured.unloaded_p99, ABSOLUTE_BOUND), measured.text()


def test_a_declared_length_over_the_limit_is_413_at_once(server):
    started = time.monotonic()
    reply = exchange(server.port, _register_head(server.port, 10**9) + b'{"username": "', timeout=5)
    assert_envelope(reply, 413, "payload_too_large")
    assert time.monotonic() - started < 2


def test_a_body_that_stops_is_408_and_the_next_request_is_served(server):
    reply = exchange(server.port, _register_head(server.port, 100) + b"{")
    assert_envelope(reply, 408, "request_timeout")
    assert BODY_TIMEOUT - 1 <= reply.seconds <= BODY_TIMEOUT + 2, reply.seconds
    body = json.dumps({"username": "after", "password": "correct-horse-1"}).encode()
    done = exchange(server.port, _register_head(server.port, len(body))[:-2] + b"Connection: close\r\n\r\n" + body)
    assert done.status == 201, done


def test_a_chunked_body_that_stops_is_408(server):
    head = (b"POST /api/v1/auth/register HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\n"
            b"Transfer-Encoding: chunked\r\n\r\n5\r\n{\"use\r\n")
    assert_envelope(exchange(server.port, head), 408, "request_timeout")


def test_a_chunked_body_is_refused_as_soon_as_it_passes_the_limit(server):
    limit = settings.DATA_UPLOAD_MAX_MEMORY_SIZE
    head = (b"POST /api/v1/auth/register HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\n"
            b"Transfer-Encoding: chunked\r\n\r\n")
    chunk = b"%x\r\n%s\r\n" % (8192, b"a" * 8192)
    # One chunk past the limit, then the body stops: the 413 comes without waiting for the rest.
    reply = exchange(server.port, head + chunk * (limit // 8192 + 1))
    assert_envelope(reply, 413, "payload_too_large")
    assert reply.seconds < BODY_TIMEOUT - 1, reply.seconds
