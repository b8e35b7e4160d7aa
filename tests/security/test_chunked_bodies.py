"""Chunked request bodies over the Procfile's web server: read like any other, 413 past the limit."""
from __future__ import annotations

import http.client
import json

from django.conf import settings


def _post_chunked(server, path: str, chunks: list[bytes], headers: dict | None = None):
    conn = http.client.HTTPConnection("127.0.0.1", server.port, timeout=10)
    try:
        conn.putrequest("POST", path)
        for name, value in {"Content-Type": "application/json", "Transfer-Encoding": "chunked",
                            **(headers or {})}.items():
            conn.putheader(name, value)
        conn.endheaders()
        for chunk in chunks:
            conn.send(b"%x\r\n%s\r\n" % (len(chunk), chunk))
        conn.send(b"0\r\n\r\n")
        resp = conn.getresponse()
        return resp.status, json.loads(resp.read())
    finally:
        conn.close()


def test_a_chunked_body_is_read(web_server):
    body = json.dumps({"username": "chunky", "password": "correct-horse-1"}).encode()
    status, created = _post_chunked(web_server, "/api/v1/auth/register", [body[:10], body[10:]])
    assert status == 201, created
    status, login = _post_chunked(web_server, "/api/v1/auth/login", [body])
    assert status == 200 and login["token"]


def test_a_chunked_body_past_the_limit_is_413(web_server):
    limit = settings.DATA_UPLOAD_MAX_MEMORY_SIZE
    filler = b"a" * 8192
    chunks = [b'{"username": "'] + [filler] * (limit // len(filler) + 12) + [b'", "password": "x"}']
    status, body = _post_chunked(web_server, "/api/v1/auth/register", chunks)
    assert status == 413 and body["error"]["code"] == "payload_too_large"
