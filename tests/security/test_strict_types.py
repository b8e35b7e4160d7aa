"""JSON types are the contract: strings are JSON strings, integers JSON integers; anything else 400."""
from __future__ import annotations

import json

import pytest

from accounts import keys as account_keys
from tests.quizzes.conftest import quiz_body, submit


def _invalid(resp, field: str | None = None) -> dict:
    assert resp.status_code == 400, resp.content
    error = resp.json()["error"]
    assert error["code"] == "invalid"
    if field:
        assert field in json.dumps(error["details"])
    return error


def _raw(api, path: str, body: str, client=None):
    return (client or api).post(path, data=body, content_type="application/json")


@pytest.mark.parametrize("username", ["1e400", "123", "12.5", "true", "null", '["alice"]', '{"a": 1}'])
def test_register_takes_only_a_string_username(api, redis, username):
    resp = _raw(api, "/api/v1/auth/register", f'{{"username": {username}, "password": "correct-horse-1"}}')
    assert resp.status_code == 400, resp.content
    assert resp.json()["error"]["code"] == "invalid"
    assert redis.hlen(account_keys.users_by_name()) == 0  # nobody called "inf" or "123"


def test_a_number_too_large_for_a_double_is_a_parse_error(api):
    error = _invalid(_raw(api, "/api/v1/auth/login", '{"username": "alice", "password": "x", "n": 1e400}'))
    assert "JSON parse error" in error["message"]


def test_login_takes_only_string_credentials(api, make_user):
    make_user("12345678")
    _invalid(_raw(api, "/api/v1/auth/login", '{"username": 12345678, "password": "correct-horse-1"}'), "username")


@pytest.mark.parametrize("answers", ['["0", "1", "0"]', "[0.0, 1, 0]", "[true, 1, 0]", "[0, 1, 1e400]"])
def test_submission_answers_must_be_json_integers(quiz, player, answers, redis):
    _, client = player()
    resp = _raw(None, f"/api/v1/quizzes/{quiz['id']}/submissions", f'{{"answers": {answers}}}', client)
    assert resp.status_code == 400, resp.content
    assert submit(client, quiz["id"], [0, 1, 0]).status_code == 202  # the plain body still works


@pytest.mark.parametrize("change", [
    {"title": 7},
    {"questions": [{"text": 1, "choices": ["a", "b"], "answer": 0, "points": 1}]},
    {"questions": [{"text": "Q", "choices": ["a", 2], "answer": 0, "points": 1}]},
    {"questions": [{"text": "Q", "choices": ["a", "b"], "answer": "0", "points": 1}]},
    {"questions": [{"text": "Q", "choices": ["a", "b"], "answer": 0, "points": 1.0}]},
])
def test_quiz_fields_take_only_their_json_type(admin_client, change):
    _invalid(admin_client.post("/api/v1/quizzes", quiz_body(**change), format="json"))
    assert admin_client.post("/api/v1/quizzes", quiz_body(), format="json").status_code == 201
