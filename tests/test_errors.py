"""Every error, from any layer, is the JSON envelope with the right status."""
from __future__ import annotations

import time


from config.redis.clients import reset_clients
from tests.conftest import point_redis_away


def _assert_envelope(resp, status: int, code: str) -> None:
    assert resp.status_code == status, resp.content
    assert resp["Content-Type"].startswith("application/json")
    body = resp.json()
    assert set(body) == {"error"}
    assert body["error"]["code"] == code
    assert isinstance(body["error"]["message"], str) and body["error"]["message"]
    assert isinstance(body["error"]["details"], dict)


def test_unknown_path_is_json_404(api):
    _assert_envelope(api.get("/nope"), 404, "not_found")
    _assert_envelope(api.get("/api/v1/does-not-exist"), 404, "not_found")


def test_wrong_method_is_json_405(api):
    _assert_envelope(api.get("/api/v1/auth/login"), 405, "method_not_allowed")


def test_malformed_json_is_400(api):
    resp = api.post("/api/v1/auth/login", data="{not json", content_type="application/json")
    _assert_envelope(resp, 400, "invalid")


def test_wrong_media_type_is_415(api):
    resp = api.post("/api/v1/auth/login", data="username=a", content_type="application/x-www-form-urlencoded")
    _assert_envelope(resp, 415, "unsupported_media_type")


def test_oversized_body_is_413(api, settings):
    body = '{"username": "' + "a" * (settings.DATA_UPLOAD_MAX_MEMORY_SIZE + 10) + '", "password": "x"}'
    resp = api.post("/api/v1/auth/register", data=body, content_type="application/json")
    _assert_envelope(resp, 413, "payload_too_large")


def test_redis_down_is_503_quickly(api, make_user, auth_client, settings):
    user = make_user()
    point_redis_away(settings)
    try:
        started = time.monotonic()
        resp = auth_client(user["token"]).get("/api/v1/me")
        _assert_envelope(resp, 503, "service_unavailable")
        _assert_envelope(api.post("/api/v1/auth/login", {"username": "alice", "password": "x" * 8}, format="json"), 503, "service_unavailable")
        assert time.monotonic() - started < 5
    finally:
        reset_clients()


def test_health_is_503_when_redis_is_down(api, redis_down):
    _assert_envelope(api.get("/api/v1/health"), 503, "service_unavailable")
