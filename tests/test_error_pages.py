"""Even with DEBUG on, errors answer the envelope (or a plain page), never Django's debug page."""
from __future__ import annotations

import pytest
from django.test import Client


class Boom:
    """A middleware that fails: an unexpected error outside any view."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        raise RuntimeError("boom")


@pytest.fixture
def debug_on(settings):
    settings.DEBUG = True
    settings.ALLOWED_HOSTS = ["localhost", "127.0.0.1"]
    return settings


def _no_leak(resp, settings) -> None:
    body = resp.content.decode()
    assert settings.REDIS_URL not in body and "REDIS_URL" not in body and "SECRET_KEY" not in body
    assert "Traceback" not in body and "settings" not in body.lower()


def test_a_disallowed_host_is_the_json_envelope_with_debug_on(debug_on):
    resp = Client().get("/api/v1/health", HTTP_HOST="evil.example")
    assert resp.status_code == 400 and resp["Content-Type"] == "application/json"
    assert resp.json()["error"]["code"] == "invalid"
    _no_leak(resp, debug_on)


def test_a_browser_gets_a_plain_error_page_with_debug_on(debug_on):
    resp = Client().get("/api/v1/health", HTTP_HOST="evil.example", HTTP_ACCEPT="text/html,*/*;q=0.8")
    assert resp.status_code == 400 and resp["Content-Type"].startswith("text/html")
    assert "<h1>400</h1>" in resp.content.decode()
    _no_leak(resp, debug_on)


@pytest.mark.parametrize("accept", ["application/json", "*/*", "text/html"])
def test_an_unexpected_error_is_a_500_without_the_debug_page(debug_on, accept):
    debug_on.MIDDLEWARE = [*debug_on.MIDDLEWARE, "tests.test_error_pages.Boom"]
    resp = Client(raise_request_exception=False).get("/api/v1/health", HTTP_ACCEPT=accept, HTTP_HOST="localhost")
    assert resp.status_code == 500
    if accept == "text/html":
        assert "<h1>500</h1>" in resp.content.decode()
    else:
        assert resp.json()["error"]["code"] == "internal_error"
    _no_leak(resp, debug_on)
