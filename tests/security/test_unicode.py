"""Unicode and control characters in every string a client sends: accepted and returned exactly
as stored, or refused with a 400 naming the field; never a 5xx.

Hypothesis draws from all of Unicode, NUL, control and format characters (RTL override,
zero-width joiner), emoji and lone surrogates included (derandomized: the same cases every run).
What a field keeps is DRF's documented normalization: surrounding whitespace is trimmed (not
for passwords); NUL and surrogates are refused.
"""
from __future__ import annotations

import json
import re
from urllib.parse import urlencode

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from accounts.apis import USERNAME_RE
from quizzes import keys as quiz_keys
from tests.quizzes.conftest import _generous_submission_limit, quiz_body  # noqa: F401

EXAMPLES = settings(
    max_examples=60, derandomize=True, deadline=None, database=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
# Every code point, surrogates and controls included, with the awkward ones drawn more often.
ANY_TEXT = st.text(
    st.one_of(
        st.characters(codec=None, exclude_categories=()),
        st.sampled_from(["\x00", "\x01", "\x1f", "\x7f", "\u202e", "\u200d", "\ufeff", "\ud800", "😀", " ", "\t", "\n"]),
    ),
    max_size=40,
)


def _post_json(client, path: str, body: dict, **extra):
    # ensure_ascii: a lone surrogate travels as a \\ud800 escape, as a hostile client would send it.
    return client.post(path, data=json.dumps(body), content_type="application/json", **extra)


def _refused_chars(text: str) -> bool:
    return "\x00" in text or any(0xD800 <= ord(c) <= 0xDFFF for c in text)


def _assert_refused(resp, field: str) -> None:
    assert resp.status_code == 400, resp.content
    assert field in resp.json()["error"]["details"]["fields"]


@EXAMPLES
@given(title=ANY_TEXT, text=ANY_TEXT, choice=ANY_TEXT)
def test_quiz_texts_round_trip_or_are_refused(admin_client, title, text, choice):
    questions = [{"text": text, "choices": [choice, "other"], "answer": 0, "points": 1}]
    resp = _post_json(admin_client, "/api/v1/quizzes", quiz_body(title=title, questions=questions))
    fields = {"title": title, "questions": text, "choices": choice}
    bad = [name for name, value in fields.items() if _refused_chars(value) or not value.strip()]
    if bad:
        _assert_refused(resp, "title" if "title" in bad else "questions")
        return
    assert resp.status_code == 201, resp.content
    stored = admin_client.get(f"/api/v1/quizzes/{resp.json()['id']}").json()
    assert stored["title"] == title.strip()
    assert stored["questions"][0]["text"] == text.strip()
    assert stored["questions"][0]["choices"][0] == choice.strip()


@EXAMPLES
@given(username=ANY_TEXT)
def test_usernames_outside_the_rule_are_refused(api, username):
    resp = _post_json(api, "/api/v1/auth/register", {"username": username, "password": "correct-horse-1"})
    if re.match(USERNAME_RE, username):
        assert resp.status_code in (201, 409), resp.content
    else:
        _assert_refused(resp, "username")


@EXAMPLES
@given(password=ANY_TEXT.filter(lambda p: len(p) >= 8) | ANY_TEXT)
def test_any_password_accepted_at_registration_logs_in(api, redis, password):
    username = f"user{redis.incr('test:unicode:n')}"
    body = {"username": username, "password": password}
    resp = _post_json(api, "/api/v1/auth/register", body)
    if _refused_chars(password) or not 8 <= len(password) <= 128:
        _assert_refused(resp, "password")
        return
    assert resp.status_code == 201, resp.content
    login = _post_json(api, "/api/v1/auth/login", body)
    assert login.status_code == 200, login.content


ANSWER = st.one_of(
    st.integers(), st.floats(allow_nan=False, allow_infinity=False), ANY_TEXT, st.none(),
    st.booleans(), st.lists(st.integers(), max_size=2), st.dictionaries(ANY_TEXT, st.integers(), max_size=2),
)


@EXAMPLES
@given(answers=st.one_of(st.lists(ANSWER, max_size=60), ANSWER))
def test_any_answers_payload_is_queued_or_refused(quiz, player, redis, answers):
    _, client = player(f"player{redis.incr('test:unicode:p')}")
    resp = _post_json(client, f"/api/v1/quizzes/{quiz['id']}/submissions", {"answers": answers})
    if resp.status_code == 400:
        return
    assert resp.status_code == 202, resp.content
    stored = redis.hget(quiz_keys.submission(resp.json()["id"]), "answers").split(",")
    assert len(stored) == 3 and all(0 <= int(a) < 3 for a in stored)


@EXAMPLES
@given(params=st.dictionaries(st.sampled_from(["limit", "offset", "period", "around"]), ANY_TEXT, min_size=1))
def test_any_query_string_is_served_or_refused(player, redis, params):
    _, client = player(f"reader{redis.incr('test:unicode:q')}")
    query = urlencode({k: v.encode("utf-8", "surrogatepass") for k, v in params.items()})
    for path in ("/api/v1/leaderboard", "/api/v1/leaderboard/me"):
        resp = client.get(f"{path}?{query}")
        assert resp.status_code in (200, 400), (path, query, resp.content)
        assert resp.json()


@EXAMPLES
@given(key=ANY_TEXT)
def test_any_idempotency_key_is_used_or_refused(quiz, player, redis, key):
    _, client = player(f"keyer{redis.incr('test:unicode:k')}")
    resp = _post_json(client, f"/api/v1/quizzes/{quiz['id']}/submissions", {"answers": [0, 1, 0]},
                      HTTP_IDEMPOTENCY_KEY=key)
    usable = 0 < len(key) <= 255 and key.isascii() and key.isprintable()
    assert resp.status_code == (202 if usable else 400), resp.content


@pytest.mark.parametrize("user_id", ["é" * 16, "\u202e" * 16, "😀" * 16, "%00" * 16, "0" * 15 + "\n"])
def test_profile_ids_with_odd_characters_are_json_404s(player, user_id):
    _, client = player()
    resp = client.get(f"/api/v1/users/{user_id}")
    assert resp.status_code == 404 and resp.json()["error"]["code"] == "not_found"
