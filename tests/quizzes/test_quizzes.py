"""Quiz definitions: admin-only writes, contract validation, answers hidden, versions."""
from __future__ import annotations

import pytest

from quizzes import keys
from tests.quizzes.conftest import QUIZ, quiz_body


def _question(**changes) -> dict:
    return {"text": "Q?", "choices": ["a", "b"], "answer": 0, "points": 1, **changes}


def test_admin_creates_a_quiz_with_answers(admin_client):
    resp = admin_client.post("/api/v1/quizzes", quiz_body(), format="json")
    assert resp.status_code == 201
    body = resp.json()
    assert body["version"] == 1 and body["question_count"] == 3 and body["max_score"] == 35
    assert [q["answer"] for q in body["questions"]] == [0, 1, 0]
    assert body["created_at"].endswith("Z")


def test_non_admin_cannot_write_quizzes(quiz, player):
    _, client = player()
    for resp in (
        client.post("/api/v1/quizzes", quiz_body(), format="json"),
        client.put(f"/api/v1/quizzes/{quiz['id']}", quiz_body(), format="json"),
        client.patch(f"/api/v1/quizzes/{quiz['id']}", {"title": "x"}, format="json"),
        client.delete(f"/api/v1/quizzes/{quiz['id']}"),
    ):
        assert resp.status_code == 403
        assert resp.json()["error"]["code"] == "forbidden"


def test_quizzes_need_a_session(api, quiz):
    assert api.get("/api/v1/quizzes").status_code == 401
    assert api.get(f"/api/v1/quizzes/{quiz['id']}").status_code == 401


def test_players_never_see_answers(quiz, player, redis):
    _, client = player()
    body = client.get(f"/api/v1/quizzes/{quiz['id']}").json()
    assert [q["text"] for q in body["questions"]] == ["France?", "Italy?", "Norway?"]
    assert all(set(q) == {"text", "choices", "points"} for q in body["questions"])
    assert "answer" not in client.get(f"/api/v1/quizzes/{quiz['id']}").content.decode()
    listing = client.get("/api/v1/quizzes").content.decode()
    assert "answer" not in listing and "choices" not in listing


def test_admins_see_answers(quiz, admin_client):
    body = admin_client.get(f"/api/v1/quizzes/{quiz['id']}").json()
    assert [q["answer"] for q in body["questions"]] == [0, 1, 0]


def test_list_shows_summaries(quiz, admin_client, player):
    admin_client.post("/api/v1/quizzes", quiz_body(title="Second"), format="json")
    _, client = player()
    rows = client.get("/api/v1/quizzes").json()
    assert [r["title"] for r in rows] == ["Capitals", "Second"]
    assert set(rows[0]) == {"id", "title", "question_count", "max_score", "version", "updated_at"}
    assert rows[0]["max_score"] == 35 and rows[0]["version"] == 1


@pytest.mark.parametrize(
    "body",
    [
        quiz_body(title=""),
        quiz_body(title="x" * 201),
        quiz_body(questions=[]),
        quiz_body(questions=[_question()] * 51),
        quiz_body(questions=[_question(choices=["only"])]),
        quiz_body(questions=[_question(choices=[str(i) for i in range(11)])]),
        quiz_body(questions=[_question(points=0)]),
        quiz_body(questions=[_question(points=1001)]),
        quiz_body(questions=[_question(answer=2)]),
        quiz_body(questions=[_question(answer=-1)]),
        quiz_body(questions=[{"text": "Q?", "choices": ["a", "b"], "answer": 0}]),
        {"questions": QUIZ["questions"]},
        {"title": "x", "questions": "nope"},
    ],
)
def test_invalid_quizzes_are_400(admin_client, body):
    resp = admin_client.post("/api/v1/quizzes", body, format="json")
    assert resp.status_code == 400, resp.content
    assert resp.json()["error"]["code"] == "invalid"


def test_contract_limits_are_accepted(admin_client):
    edge = quiz_body(
        title="x" * 200,
        questions=[_question(choices=[str(i) for i in range(10)], answer=9, points=1000)] * 50,
    )
    resp = admin_client.post("/api/v1/quizzes", edge, format="json")
    assert resp.status_code == 201
    assert resp.json()["max_score"] == 50_000


def test_put_replaces_and_bumps_the_version(quiz, admin_client):
    new = quiz_body(title="Rivers", questions=[_question(text="Longest?", points=7)])
    resp = admin_client.put(f"/api/v1/quizzes/{quiz['id']}", new, format="json")
    assert resp.status_code == 200
    body = resp.json()
    assert body["version"] == 2 and body["title"] == "Rivers" and body["max_score"] == 7
    assert body["created_at"] == quiz["created_at"]


def test_put_needs_the_whole_quiz(quiz, admin_client):
    resp = admin_client.put(f"/api/v1/quizzes/{quiz['id']}", {"title": "only"}, format="json")
    assert resp.status_code == 400


def test_patch_changes_only_what_it_sends(quiz, admin_client):
    resp = admin_client.patch(f"/api/v1/quizzes/{quiz['id']}", {"title": "Capitals II"}, format="json")
    assert resp.status_code == 200
    body = resp.json()
    assert body["title"] == "Capitals II" and body["version"] == 2
    assert body["questions"] == QUIZ["questions"]
    again = admin_client.patch(f"/api/v1/quizzes/{quiz['id']}", {}, format="json")
    assert again.json()["version"] == 3  # every update is a new version


def test_patch_validates_questions_whole(quiz, admin_client):
    resp = admin_client.patch(
        f"/api/v1/quizzes/{quiz['id']}", {"questions": [{"text": "no choices"}]}, format="json"
    )
    assert resp.status_code == 400
    assert admin_client.get(f"/api/v1/quizzes/{quiz['id']}").json()["version"] == 1


def test_delete_removes_the_quiz(quiz, admin_client, player, redis):
    assert admin_client.delete(f"/api/v1/quizzes/{quiz['id']}").status_code == 204
    _, client = player()
    assert client.get(f"/api/v1/quizzes/{quiz['id']}").status_code == 404
    assert client.get("/api/v1/quizzes").json() == []
    assert admin_client.delete(f"/api/v1/quizzes/{quiz['id']}").status_code == 404
    assert not redis.exists(keys.quiz(quiz["id"]), keys.quiz_versions(quiz["id"]))


def test_unknown_or_malformed_quiz_ids_are_404(admin_client):
    for path in ("/api/v1/quizzes/0123456789abcdef", "/api/v1/quizzes/../x", "/api/v1/quizzes/ABC"):
        resp = admin_client.get(path)
        assert resp.status_code == 404, path
        assert resp.json()["error"]["code"] == "not_found"
    resp = admin_client.put("/api/v1/quizzes/0123456789abcdef", quiz_body(), format="json")
    assert resp.status_code == 404
