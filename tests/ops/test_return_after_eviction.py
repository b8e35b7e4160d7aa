"""End to end through the public API: an inactive player drops off the leaderboard, keeps the
profile, and is back with the whole total on return, and keeps adding to it by scoring again."""
from __future__ import annotations

import django_rq
import pytest
from django.conf import settings

from accounts import keys, lifecycle, services

QUIZ = {
    "title": "Capitals",
    "questions": [
        {"text": "France?", "choices": ["Paris", "Rome"], "answer": 0, "points": 10},
        {"text": "Italy?", "choices": ["Paris", "Rome"], "answer": 1, "points": 20},
    ],
}


@pytest.fixture
def play(auth_client):
    """Submit answers as `token` and let a real burst worker score them."""

    def _play(token: str, quiz_id: str, answers: list[int]) -> None:
        resp = auth_client(token).post(f"/api/v1/quizzes/{quiz_id}/submissions", {"answers": answers}, format="json")
        assert resp.status_code == 202, resp.content
        worker = django_rq.get_worker(settings.SCORE_QUEUE, worker_class="config.jobs.worker.ResilientSimpleWorker")
        worker.work(burst=True, logging_level="WARNING")

    return _play


def _board(api, token: str) -> list[tuple[str, int]]:
    body = api.get("/api/v1/leaderboard", HTTP_AUTHORIZATION=f"Bearer {token}").json()
    return [(e["username"], e["score"]) for e in body["entries"]]


def test_inactive_player_leaves_the_board_and_returns_whole(api, make_user, auth_client, redis, play):
    admin = services.user_create(username="admin", password="correct-horse-1", role="admin")
    admin_token = services.session_create(user=admin).token
    quiz = auth_client(admin_token).post("/api/v1/quizzes", QUIZ, format="json").json()
    second = auth_client(admin_token).post("/api/v1/quizzes", {**QUIZ, "title": "More"}, format="json").json()
    alice, bob = make_user("alice"), make_user("bob")
    play(alice["token"], quiz["id"], [0, 1])  # 30
    play(bob["token"], quiz["id"], [0, 0])  # 10
    assert _board(api, bob["token"]) == [("alice", 30), ("bob", 10)]

    now = lifecycle.redis_now()
    redis.zadd(keys.users_last_seen(), {alice["id"]: now - 8 * 86_400})  # a week and a day of silence
    assert lifecycle.inactive_users_cleanup(now=now).sweep.evicted == 1

    assert _board(api, bob["token"]) == [("bob", 10)]
    profile = auth_client(bob["token"]).get(f"/api/v1/users/{alice['id']}").json()
    assert (profile["total_score"], profile["rank"]) == (30, None)
    assert auth_client(alice["token"]).get("/api/v1/me").status_code == 401

    token = api.post("/api/v1/auth/login", {"username": "alice", "password": alice["password"]}, format="json").json()["token"]
    assert _board(api, token) == [("alice", 30), ("bob", 10)]
    play(token, second["id"], [0, 0])  # +10
    assert _board(api, token) == [("alice", 40), ("bob", 10)]
