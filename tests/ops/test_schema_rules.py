"""The schema states the input rules the server enforces: for each sample value, the schema's
constraint and the server agree on whether it is accepted (NUL in passwords, blank or NUL
question text, choices and titles, the username pattern, the number of questions, the
Idempotency-Key format)."""
from __future__ import annotations

import re

import pytest

from accounts import services as account_services
from quizzes.apis import _idempotency_key
from config.http.exceptions import ApplicationError
from tests.quizzes.conftest import quiz_body

PASSWORD = "correct-horse-1"
TEXTS = ["Capital?", " padded ", "a", "", " ", "\t\n", "\u3000", "\x1f", "nul\x00inside", "\x00", "\u00e9t\u00e9"]


@pytest.fixture
def schema(api) -> dict:
    resp = api.get("/api/v1/schema/", HTTP_ACCEPT="application/vnd.oai.openapi+json")
    assert resp.status_code == 200
    return resp.json()


@pytest.fixture
def admin(api, auth_client):
    account_services.user_create(username="admin", password=PASSWORD, role="admin")
    login = api.post("/api/v1/auth/login", {"username": "admin", "password": PASSWORD}, format="json")
    return auth_client(login.json()["token"])


def _component(schema: dict, name: str) -> dict:
    return schema["components"]["schemas"][name]["properties"]


def _accepts(rule: dict, value: str) -> bool:
    """Whether a string `value` meets a string schema's length and pattern (Python's re, as schemathesis)."""
    return (rule.get("minLength", 0) <= len(value) <= rule.get("maxLength", len(value))
            and re.search(rule.get("pattern", ""), value) is not None)


def test_question_text_choices_and_title_refuse_blank_and_nul_as_the_schema_says(schema, admin):
    question, quiz = _component(schema, "QuestionIn"), _component(schema, "QuizIn")
    assert (quiz["questions"]["minItems"], quiz["questions"]["maxItems"]) == (1, 50)
    rules = {"text": question["text"], "choice": question["choices"]["items"], "title": quiz["title"]}
    for where, rule in rules.items():
        for value in TEXTS:
            body = quiz_body()
            if where == "text":
                body["questions"][0]["text"] = value
            elif where == "choice":
                body["questions"][0]["choices"][1] = value
            else:
                body["title"] = value
            status = admin.post("/api/v1/quizzes", body, format="json").status_code
            assert status == (201 if _accepts(rule, value) else 400), (where, value, status)
    for count in (0, 1, 50, 51):
        body = quiz_body(questions=quiz_body()["questions"][:1] * count)
        expected = 201 if quiz["questions"]["minItems"] <= count <= quiz["questions"]["maxItems"] else 400
        assert admin.post("/api/v1/quizzes", body, format="json").status_code == expected, count


def test_passwords_and_usernames_follow_the_schema(schema, api):
    credentials = _component(schema, "Credentials")
    for n, password in enumerate(["long enough", "        ", "with\x00nul!", "\x00" * 8, "short"]):
        body = {"username": f"user{n}", "password": password}
        status = api.post("/api/v1/auth/register", body, format="json").status_code
        assert status == (201 if _accepts(credentials["password"], password) else 400), (password, status)
    for name in ["bob", "a.b-c_d", "ab", "x" * 33, "bad name", "n\x00l", "\u00e9t\u00e9", "ok\n"]:
        status = api.post("/api/v1/auth/register", {"username": name, "password": PASSWORD}, format="json").status_code
        assert status == (201 if _accepts(credentials["username"], name) else 400), (name, status)


class _Request:
    def __init__(self, value: str) -> None:
        self.headers = {"Idempotency-Key": value}


def _server_accepts_key(value: str) -> bool:
    try:
        return _idempotency_key(_Request(value)) == value
    except ApplicationError:
        return False


def test_the_idempotency_key_pattern_is_the_servers_rule(schema):
    operation = schema["paths"]["/api/v1/quizzes/{quiz_id}/submissions"]["post"]
    header = next(p for p in operation["parameters"] if p["name"] == "Idempotency-Key")
    # HTTP drops spaces around a header value before the server sees it: those are not samples.
    samples = ["k", "first-try", "a b", "~!", "x" * 255, "x" * 256, "", "caf\u00e9", "tab\there", "nl\nx", "\x7f"]
    for value in samples:
        assert _accepts(header["schema"], value) == _server_accepts_key(value), repr(value)
