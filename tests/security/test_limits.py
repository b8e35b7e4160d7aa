"""Payload and list caps, and oversized headers, ids and tickets: refused with a 4xx (the JSON
envelope wherever the request reaches the application), never a 5xx, never stored."""
from __future__ import annotations

import http.client
import json

import pytest
from django.conf import settings as django_settings
from websockets.exceptions import ConnectionClosed
from websockets.sync.client import connect

from accounts import services as account_services
from quizzes import keys as quiz_keys
from tests.quizzes.conftest import quiz_body, submit
from config.jobs import keys as rq_keys

CLOSE_TICKET_REFUSED = 4401


def _envelope(resp, status: int, code: str = "invalid") -> dict:
    assert resp.status_code == status, resp.content
    body = resp.json()
    assert body["error"]["code"] == code
    return body["error"]


def _question(**changes) -> dict:
    return {"text": "Q?", "choices": ["a", "b"], "answer": 0, "points": 1, **changes}


# --- bodies ----------------------------------------------------------------------------------


@pytest.mark.parametrize("path", ["/api/v1/auth/register", "/api/v1/quizzes", "/api/v1/quizzes/{id}/submissions"])
def test_a_body_over_the_cap_is_413(admin_client, quiz, path):
    padding = "x" * (django_settings.DATA_UPLOAD_MAX_MEMORY_SIZE + 1)
    body = json.dumps({"title": padding, "username": padding, "answers": [0], "pad": padding})
    resp = admin_client.post(path.format(id=quiz["id"]), data=body, content_type="application/json")
    _envelope(resp, 413, "payload_too_large")


def test_a_body_just_under_the_cap_is_read(admin_client):
    title = "t" * (django_settings.DATA_UPLOAD_MAX_MEMORY_SIZE - 500)
    error = _envelope(admin_client.post("/api/v1/quizzes", quiz_body(title=title), format="json"), 400)
    assert "title" in error["details"]["fields"]  # parsed, then refused on its own length rule


def test_deep_nesting_is_400_not_500(api):
    """Python's json raises RecursionError on deep nesting; config.http.parsers makes it a 400."""
    nested = '{"answers": ' + "[" * 30_000 + "]" * 30_000 + "}"
    assert len(nested) < django_settings.DATA_UPLOAD_MAX_MEMORY_SIZE  # a small body
    error = _envelope(api.post("/api/v1/auth/register", data=nested, content_type="application/json"), 400)
    assert "nested too deeply" in error["message"]


@pytest.mark.parametrize("answers,field", [
    ([0] * 51, "answers"),           # more than 50 answers
    ([0] * 10_000, "answers"),       # far more
    ([], "answers"),                 # none
    ([10], "answers"),               # a choice index past the 10-choice cap
    ([-1, 0, 0], "answers"),
    ([10 ** 30, 0, 0], "answers"),
])
def test_answer_lists_are_capped(quiz, player, redis, answers, field):
    _, client = player()
    error = _envelope(submit(client, quiz["id"], answers), 400)
    assert field in error["details"]["fields"]
    assert redis.llen(rq_keys.rq_queue("scores")) == 0  # nothing was queued


@pytest.mark.parametrize("body,field", [
    (quiz_body(title=""), "title"),
    (quiz_body(title="t" * 201), "title"),
    (quiz_body(questions=[]), "questions"),
    (quiz_body(questions=[_question()] * 51), "questions"),
    (quiz_body(questions=[_question(choices=["a"])]), "questions"),
    (quiz_body(questions=[_question(choices=[str(i) for i in range(11)])]), "questions"),
    (quiz_body(questions=[_question(points=0)]), "questions"),
    (quiz_body(questions=[_question(points=1001)]), "questions"),
    (quiz_body(questions=[_question(answer=2)]), "questions"),
])
def test_quiz_definitions_are_capped(admin_client, redis, body, field):
    error = _envelope(admin_client.post("/api/v1/quizzes", body, format="json"), 400)
    assert field in error["details"]["fields"]
    assert not redis.exists(quiz_keys.quizzes_index())


@pytest.mark.parametrize("query", [
    "limit=0", "limit=101", "limit=-1", "limit=1e9", "limit=abc", "limit=" + "9" * 5000,
    "offset=-1", "offset=10000001", "period=year", "period=%00",
])
def test_leaderboard_pages_are_capped(player, query):
    _, client = player()
    _envelope(client.get(f"/api/v1/leaderboard?{query}"), 400)


@pytest.mark.parametrize("query", [
    "offset=0.0", "limit=10.0", "limit=%201", "limit=1%20", "limit=+1", "limit=%2B1", "limit=-0", "limit=1_0",
    "limit=%D9%A3", "limit=%EF%BC%93", "limit=%E0%A5%A9", "limit=0x10", "offset=", "limit=%0A1",
])
def test_query_integers_are_ascii_digits_only(player, query):
    _, client = player()
    error = _envelope(client.get(f"/api/v1/leaderboard?{query}"), 400)
    assert set(error["details"]["fields"]) <= {"limit", "offset"}
    around = query.replace("limit", "around").replace("offset", "around")
    _envelope(client.get(f"/api/v1/leaderboard/me?{around}"), 400)


@pytest.mark.parametrize("query,field", [
    ("limit=1&limit=2", "limit"), ("limit=3&limit=3", "limit"), ("offset=0&offset=0", "offset"),
    ("period=day&period=week", "period"),
])
def test_a_repeated_parameter_is_400(player, query, field):
    _, client = player()
    error = _envelope(client.get(f"/api/v1/leaderboard?{query}"), 400)
    assert error["details"]["fields"] == {field: ["Give this parameter at most once."]}


def test_leading_zeros_are_plain_digits(player):
    _, client = player()
    assert client.get("/api/v1/leaderboard?limit=007&offset=000").status_code == 200


@pytest.mark.parametrize("path", ["/api/v1/me", "/api/v1/leaderboard", "/api/v1/health", "/api/v1/nope"])
def test_a_query_with_too_many_parameters_is_400_on_any_path(player, settings, path):
    _, client = player()
    limit = settings.DATA_UPLOAD_MAX_NUMBER_FIELDS
    assert limit == 100
    assert client.get(path + "?" + "&".join(f"p{i}=1" for i in range(limit))).status_code in (200, 404)
    error = _envelope(client.get(path + "?" + "&".join(f"p{i}=1" for i in range(limit + 1))), 400)
    assert error["message"] == f"A query may have at most {limit} parameters."
    _envelope(client.get(path + "?" + "&" * 5000), 400)  # empty fields count too, as Django counts them


@pytest.mark.parametrize("query", ["around=51", "around=-1", "around=x"])
def test_the_around_window_is_capped(player, query):
    _, client = player()
    _envelope(client.get(f"/api/v1/leaderboard/me?{query}"), 400)


def test_the_largest_page_is_served(player):
    _, client = player()
    assert client.get("/api/v1/leaderboard?limit=100&offset=10000000").json() == {
        "total": 0, "entries": [], "period": {"name": "all", "starts_at": None, "ends_at": None}}


# --- headers, ids and tickets ------------------------------------------------------------------


@pytest.mark.parametrize("key", ["k" * 256, "k" * 10_000, "", "ключ", "a\tb", "a\x00b"])
def test_odd_idempotency_keys_are_400(quiz, player, redis, key):
    _, client = player()
    resp = client.post(f"/api/v1/quizzes/{quiz['id']}/submissions", {"answers": [0, 1, 0]},
                       format="json", HTTP_IDEMPOTENCY_KEY=key)
    _envelope(resp, 400)
    assert not list(redis.scan_iter(match="qb:idem:*"))


def test_the_longest_idempotency_key_works(quiz, player):
    _, client = player()
    first = submit(client, quiz["id"], [0, 1, 0], HTTP_IDEMPOTENCY_KEY="k" * 255)
    again = submit(client, quiz["id"], [0, 1, 0], HTTP_IDEMPOTENCY_KEY="k" * 255)
    assert first.status_code == again.status_code == 202 and first.json()["id"] == again.json()["id"]


@pytest.mark.parametrize("token", ["a" * 100_000, "0123456789abcdef." + "a" * 100_000, "é" * 50, "\x00" * 20])
def test_oversized_or_odd_tokens_are_401(api, token):
    _envelope(api.get("/api/v1/me", HTTP_AUTHORIZATION=f"Bearer {token}"), 401, "not_authenticated")


@pytest.mark.parametrize("path", [
    "/api/v1/users/" + "a" * 5000,
    "/api/v1/quizzes/" + "0" * 5000,
    "/api/v1/submissions/" + "0" * 5000,
    "/api/v1/users/0123456789abcdef:password",  # another key of that user, were ids not checked
    "/api/v1/users/%F0%9F%98%80",
])
def test_odd_ids_in_paths_are_json_404s(player, path):
    _, client = player()
    _envelope(client.get(path), 404, "not_found")


def _raw(port: int, path: str, headers: dict[str, str]):
    """One request over a raw connection; (status, content type, body) or None if the server hung up."""
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=10)
    try:
        conn.request("GET", path, headers=headers)
        resp = conn.getresponse()
        return resp.status, resp.getheader("Content-Type") or "", resp.read()
    except (http.client.RemoteDisconnected, ConnectionResetError, BrokenPipeError):
        return None
    finally:
        conn.close()


def test_a_large_header_reaches_the_app_and_an_oversized_one_never_does(api_server):
    status, kind, body = _raw(api_server.port, "/api/v1/me", {"Authorization": "Bearer " + "a" * 8000})
    assert (status, kind) == (401, "application/json") and json.loads(body)["error"]["code"] == "not_authenticated"
    # Past the HTTP server's own limits (daphne: 16 kB a line) the connection is refused
    # before the application: no 2xx, no 5xx, nothing processed.
    for headers in ({"Authorization": "Bearer " + "a" * 1_000_000}, {f"X-Filler-{i}": "v" for i in range(1000)}):
        answer = _raw(api_server.port, "/api/v1/me", headers)
        assert answer is None or 400 <= answer[0] < 500, answer
    for path in ("/api/v1/users/" + "a" * 100_000, "/api/v1/leaderboard?limit=" + "9" * 100_000):
        answer = _raw(api_server.port, path, {})
        assert answer is None or 400 <= answer[0] < 500, answer


@pytest.mark.parametrize("ticket", ["t" * 129, "t" * 4000, "%00" * 10, ""])
def test_oversized_or_odd_tickets_close_the_socket_with_4401(api_server, ticket):
    url = f"ws://127.0.0.1:{api_server.port}/ws/leaderboard/?ticket={ticket}"
    with connect(url, open_timeout=10) as ws:
        try:
            ws.recv(timeout=10)
        except ConnectionClosed as closed:
            assert closed.rcvd.code == CLOSE_TICKET_REFUSED
        else:
            raise AssertionError("the socket stayed open")


def test_a_ticket_of_a_valid_length_that_was_never_issued_is_refused(api_server):
    user = account_services.user_create(username="alice", password="correct-horse-1")
    account_services.session_create(user=user)
    test_oversized_or_odd_tickets_close_the_socket_with_4401(api_server, "x" * 43)
