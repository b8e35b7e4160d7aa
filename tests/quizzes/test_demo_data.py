"""`manage.py demo_data`: a development Redis filled through the services, with what a user would explore."""
from __future__ import annotations

import io

import pytest
from django.core.management import CommandError, call_command

from accounts.services import user_create
from quizzes import demo


def _demo(*args: str) -> str:
    out = io.StringIO()
    call_command("demo_data", *args, stdout=out)
    return out.getvalue()


def _login(api, auth_client, username: str, password: str):
    resp = api.post("/api/v1/auth/login", {"username": username, "password": password}, format="json")
    assert resp.status_code == 200, resp.content
    return auth_client(resp.json()["token"])


def test_demo_fills_an_empty_redis_with_ranked_learners_quizzes_and_results(api, auth_client, redis):
    out = _demo()
    assert f"admin:    {demo.ADMIN} / {demo.ADMIN_PASSWORD}" in out
    learner = _login(api, auth_client, "ada", demo.LEARNER_PASSWORD)

    board = learner.get("/api/v1/leaderboard?limit=100").json()
    assert board["total"] >= 30
    entries = board["entries"]
    assert [e["rank"] for e in entries] == list(range(1, len(entries) + 1))
    assert all(e["username"] in demo.LEARNERS for e in entries)
    assert [e["score"] for e in entries] == sorted((e["score"] for e in entries), reverse=True)
    assert entries[0]["score"] > entries[-1]["score"]  # a spread, not everyone equal

    quizzes = learner.get("/api/v1/quizzes").json()
    assert sorted(q["title"] for q in quizzes) == sorted(q["title"] for q in demo.QUIZZES)
    for quiz in quizzes:
        results = learner.get(f"/api/v1/quizzes/{quiz['id']}/results")
        assert results.status_code == 200 and results.json(), results.content
    # Scores spread over several days: this week's board holds only part of the all-time points.
    assert "over 7 days" in out or "over 6 days" in out
    admin = _login(api, auth_client, demo.ADMIN, demo.ADMIN_PASSWORD)
    assert "answer" in admin.get(f"/api/v1/quizzes/{quizzes[0]['id']}").json()["questions"][0]  # an admin's view
    assert redis.llen("rq:queue:scores") == 0  # every attempt is scored; no job waits for a worker


def test_a_second_run_changes_nothing(api, auth_client, redis):
    _demo()
    learner = _login(api, auth_client, "ada", demo.LEARNER_PASSWORD)
    before = learner.get("/api/v1/leaderboard?limit=100").json()
    out = _demo()
    assert "0 new" in out and "0 attempts scored" in out
    assert learner.get("/api/v1/leaderboard?limit=100").json() == before
    assert len(learner.get("/api/v1/quizzes").json()) == len(demo.QUIZZES)


def test_a_redis_with_data_the_demo_did_not_write_is_refused_unless_forced(redis):
    user_create(username="someone", password="correct-horse-1")
    with pytest.raises(CommandError, match="1 users and 0 quizzes"):
        _demo()
    assert not redis.exists("qb:quizzes")  # nothing written
    out = _demo("--force")
    assert "3 quizzes (3 new)" in out
