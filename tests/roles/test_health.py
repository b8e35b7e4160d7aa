"""`GET /api/v1/health` reports each Redis role, and is a 503 naming the role that is unreachable."""
from __future__ import annotations

from config.env import parse_redis_url
from config.redis.clients import reset_clients
from tests.redis_server import RedisServer


def test_health_reports_every_role(api):
    body = api.get("/api/v1/health").json()
    assert body["roles"] == {"data": "ok", "queue": "ok", "channels": "ok", "cache": "ok"}


def test_an_unreachable_role_is_a_503_naming_it(api, queue_redis, settings):
    assert api.get("/api/v1/health").json()["roles"]["queue"] == "ok"
    server = RedisServer().start()
    settings.REDIS_ROLES = {**settings.REDIS_ROLES, "channels": parse_redis_url(server.url)}
    reset_clients()
    assert api.get("/api/v1/health").json()["roles"] == {"data": "ok", "queue": "ok", "channels": "ok", "cache": "ok"}
    server.stop()
    reset_clients()
    resp = api.get("/api/v1/health")
    assert resp.status_code == 503
    body = resp.json()
    assert body["error"]["code"] == "service_unavailable"
    assert body["error"]["details"]["roles"] == {"data": "ok", "queue": "ok", "channels": "unreachable", "cache": "ok"}
