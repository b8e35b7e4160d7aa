"""Every error, from any layer, is the JSON envelope with the right status."""
from __future__ import annotations

import time

import pytest
from django.test import Client

from config.http.exceptions import status_error
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


# --- errors that come from no exception: CSRF, Django's 405, DRF's 406 (issue 20) ------------------

BROWSER = "text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8"


@pytest.mark.parametrize("path", ["/api-auth/login/", "/live/", "/api/v1/asyncapi.yaml"])
@pytest.mark.parametrize("accept", ["application/json", "*/*", None])
def test_a_csrf_failure_is_the_envelope_for_an_api_client(path, accept):
    client = Client(enforce_csrf_checks=True)
    resp = client.post(path, **({"HTTP_ACCEPT": accept} if accept else {}))
    _assert_envelope(resp, 403, "forbidden")
    assert "CSRF verification failed: CSRF cookie not set." in resp.json()["error"]["message"]


def test_a_csrf_failure_is_a_page_for_a_browser():
    resp = Client(enforce_csrf_checks=True).post("/api-auth/login/", HTTP_ACCEPT=BROWSER)
    assert resp.status_code == 403 and resp["Content-Type"].startswith("text/html")
    assert "<h1>403</h1>" in resp.content.decode() and "CSRF verification failed" in resp.content.decode()


def test_djangos_own_405_is_the_envelope_and_keeps_its_headers(api):
    resp = api.get("/api-auth/logout/", HTTP_ACCEPT="application/json")
    _assert_envelope(resp, 405, "method_not_allowed")
    assert resp.json()["error"]["message"] == 'Method "GET" not allowed.'
    assert resp["Allow"] == "POST, OPTIONS" and resp["X-Frame-Options"] == "DENY"
    assert "Accept" in resp["Vary"] and int(resp["Content-Length"]) == len(resp.content)
    head = api.head("/api-auth/logout/")
    assert head.status_code == 405 and head["Content-Type"] == "application/json" and head.content == b""
    page = Client().get("/api-auth/logout/", HTTP_ACCEPT=BROWSER)  # a browser keeps Django's answer
    assert page.status_code == 405 and page["Content-Type"].startswith("text/html")


def test_drfs_plain_text_406_is_the_envelope(api):
    resp = api.post("/api/v1/docs/", HTTP_ACCEPT="application/json")
    _assert_envelope(resp, 406, "not_acceptable")
    assert resp["Allow"] == "GET, HEAD, OPTIONS"


def test_any_other_error_status_gets_a_code_from_its_reason_phrase():
    assert status_error(405, "PUT") == ("method_not_allowed", 'Method "PUT" not allowed.')
    assert status_error(410, "GET") == ("gone", "Gone.")
    assert status_error(431, "GET") == ("request_header_fields_too_large", "Request Header Fields Too Large.")
    assert status_error(599, "GET") == ("error", "Error.")


def test_envelopes_and_successes_are_left_as_they_are(api, make_user):
    missing = api.get("/api/v1/nope")
    assert missing.content == b'{"error":{"code":"not_found","message":"No such endpoint.","details":{}}}'
    document = api.get("/api/v1/asyncapi.yaml")
    assert document.status_code == 200 and document["Content-Type"].startswith("text/yaml")


def test_the_browsable_api_asked_for_by_format_keeps_its_page(api):
    resp = api.get("/api/v1/me?format=api")
    assert resp.status_code == 401 and resp["Content-Type"].startswith("text/html")
