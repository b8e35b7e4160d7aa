"""One structured line per request (method, path, status, duration_ms, user_id), JSON or text,
never a token, a password or a query string."""
from __future__ import annotations

import io
import json
import logging

import pytest
from django.core.exceptions import ImproperlyConfigured, MiddlewareNotUsed

from config.logging import RedactSecrets, build_formatter, logging_config, redact
from config.http.request_log import RequestLogMiddleware


@pytest.fixture
def log_lines():
    """The request log as the configured handler writes it; `log_lines(fmt)` reads the lines so far."""
    stream = io.StringIO()
    handler = logging.StreamHandler(stream)
    handler.addFilter(RedactSecrets())
    logger = logging.getLogger("quizboard.requests")
    logger.addHandler(handler)

    def lines(fmt: str = "json") -> list[str]:
        handler.setFormatter(build_formatter(fmt))  # takes effect for the next records
        return stream.getvalue().splitlines()

    lines()
    yield lines
    logger.removeHandler(handler)


def test_json_line_per_request_with_the_user(api, make_user, auth_client, log_lines):
    user = make_user()
    before = len(log_lines())

    resp = auth_client(user["token"]).get("/api/v1/me?ticket=secret-ticket-value")

    assert resp.status_code == 200
    (line,) = log_lines()[before:]
    record = json.loads(line)
    assert {"time", "level", "logger", "message"} <= set(record)
    assert record["method"] == "GET" and record["path"] == "/api/v1/me"
    assert record["status"] == 200 and record["user_id"] == user["id"]
    assert isinstance(record["duration_ms"], float) and record["duration_ms"] >= 0
    assert record["logger"] == "quizboard.requests" and record["level"] == "INFO"
    assert "secret-ticket-value" not in line and "ticket" not in line
    assert user["token"] not in line and user["token"].split(".")[1] not in line


def test_errors_and_anonymous_requests_are_logged_without_credentials(api, log_lines):
    api.post("/api/v1/auth/register", {"username": "alice", "password": "hunter2-hunter2"}, format="json")
    api.post("/api/v1/auth/login", {"username": "alice", "password": "wrong-password-9"}, format="json")
    api.get("/nowhere")

    records = [json.loads(line) for line in log_lines()]
    assert [(r["method"], r["path"], r["status"], r["user_id"]) for r in records] == [
        ("POST", "/api/v1/auth/register", 201, None),
        ("POST", "/api/v1/auth/login", 401, None),
        ("GET", "/nowhere", 404, None),
    ]
    text = "\n".join(log_lines())
    assert "hunter2" not in text and "wrong-password" not in text


def test_text_format_is_one_readable_line(api, log_lines):
    log_lines("text")
    api.get("/api/v1/health")
    (line,) = log_lines()
    head, _, duration_and_user = line.partition(" INFO quizboard.requests: GET /api/v1/health 200 ")
    assert head and duration_and_user.endswith("ms user=-")


def test_log_format_setting_is_checked_and_logging_can_be_switched_off(settings):
    assert logging_config(level="INFO", fmt="json")["formatters"]["main"]["fmt"] == "json"
    with pytest.raises(ImproperlyConfigured):
        logging_config(level="INFO", fmt="xml")
    settings.LOG_REQUESTS = False
    with pytest.raises(MiddlewareNotUsed):
        RequestLogMiddleware(lambda request: None)


def test_other_log_lines_have_secrets_masked():
    assert redact("Authorization: Bearer abc.def-123") == "Authorization: Bearer [redacted]"
    assert redact("/ws/me/?ticket=xyz&last_event_id=1") == "/ws/me/?ticket=[redacted]&last_event_id=1"
    assert redact('{"username": "a", "password": "p4ss"}') == '{"username": "a", "password": "[redacted]"}'


def test_a_real_server_writes_json_lines_when_configured(daphne_factory):
    import urllib.request

    server = daphne_factory(LOG_FORMAT="json", DEBUG="0")
    urllib.request.urlopen(f"{server.url}/api/v1/health?probe=1", timeout=5).read()

    records = [json.loads(line) for line in server.log.read_text().splitlines() if line.startswith("{")]
    health = [r for r in records if r.get("logger") == "quizboard.requests"]
    assert health and all(r["path"] == "/api/v1/health" and r["status"] == 200 for r in health)
    assert all("probe" not in json.dumps(r) for r in health)


def test_a_burst_against_the_procfile_server_writes_one_line_per_request(web_server_factory, make_user):
    import time

    import httpx

    server = web_server_factory(LOG_FORMAT="json", PYTHONUNBUFFERED="1")
    user = make_user()

    def request_lines() -> list[dict]:
        lines = [json.loads(line) for line in server.log.read_text().splitlines() if line.startswith("{")]
        return [r for r in lines if r.get("logger") in ("quizboard.requests", "uvicorn.access")]

    before = len(request_lines())  # the start-up health probe's
    paths = ["/api/v1/health", "/api/v1/leaderboard", "/api/v1/me", "/nowhere"] * 10  # fast path and Django
    with httpx.Client(base_url=server.url, headers={"Authorization": f"Bearer {user['token']}"}) as client:
        for path in paths:
            client.get(path)

    deadline = time.monotonic() + 10
    while len(request_lines()) < before + len(paths) and time.monotonic() < deadline:
        time.sleep(0.1)
    time.sleep(0.5)  # a second line per request would have come by now
    records = request_lines()[before:]
    assert len(records) == len(paths), [r["message"] for r in records]
    assert {r["logger"] for r in records} == {"quizboard.requests"}
    assert sorted(r["path"] for r in records) == sorted(paths)
