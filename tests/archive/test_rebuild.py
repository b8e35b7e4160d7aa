"""`manage.py rebuild_redis`: a Redis wiped clean comes back from PostgreSQL with no score lost."""
from __future__ import annotations

import io

import pytest
from django.core.management import call_command

from leaderboard import keys as board_keys

from .conftest import RIGHT, quiz_body, submit

pytestmark = pytest.mark.postgres


def _snapshot(api_client, redis, user_ids):
    """Everything a player can see of scores and ranks, and the raw boards behind it."""
    profiles = {uid: api_client.get(f"/api/v1/users/{uid}").json() for uid in user_ids}
    pages = {p: api_client.get(f"/api/v1/leaderboard?period={p}&limit=100").json() for p in board_keys.PERIODS}
    boards = {p: redis.zrevrange(board_keys.board(p), 0, -1, withscores=True) for p in board_keys.PERIODS}
    return profiles, pages, boards


def test_flushall_then_rebuild_restores_every_profile_rank_and_score(
    archive, admin_client, quiz, player, run_worker, drain, redis, api
):
    second = admin_client.post("/api/v1/quizzes", quiz_body(title="Second"), format="json").json()
    admin_client.patch(f"/api/v1/quizzes/{second['id']}", {"title": "Second, v2"}, format="json")
    users = [player() for _ in range(6)]
    answers = [RIGHT, [1, 1, 0], [0, 0, 0], RIGHT, [1, 0, 1], [0, 1, 1]]
    for (user, client), mine in zip(users, answers):
        submit(client, quiz["id"], mine)
        submit(client, second["id"], answers[len(user["username"]) % len(answers)])
    submit(users[2][1], quiz["id"], RIGHT)  # an improvement on a later attempt
    run_worker()
    drain()
    ids = [user["id"] for user, _ in users]
    before = _snapshot(users[0][1], redis, ids)
    assert all(len(board) >= 5 for board in before[2].values())  # all, day and week boards are filled
    quizzes_before = users[0][1].get("/api/v1/quizzes").json()

    redis.flushall()
    out = io.StringIO()
    call_command("rebuild_redis", stdout=out)
    assert "users: 7 restored" in out.getvalue()  # six players and the admin

    login = api.post("/api/v1/auth/login", {"username": users[0][0]["username"], "password": users[0][0]["password"]},
                     format="json")
    assert login.status_code == 200
    from rest_framework.test import APIClient

    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Bearer {login.json()['token']}")
    assert _snapshot(client, redis, ids) == before
    assert client.get("/api/v1/quizzes").json() == quizzes_before
    # The restored answer keys grade new submissions, and the best-attempt rule still holds.
    submit(client, quiz["id"], RIGHT)
    run_worker()
    assert client.get("/api/v1/me").json()["total_score"] == before[0][ids[0]]["total_score"]


def test_rebuild_is_idempotent_and_leaves_newer_redis_data_alone(archive, quiz, player, run_worker, drain, redis):
    user, client = player()
    submit(client, quiz["id"], [1, 1, 0])
    run_worker()
    drain()
    redis.hset(f"qb:user:{user['id']}", "total_score", 999)  # newer than the record
    out = io.StringIO()
    call_command("rebuild_redis", stdout=out)
    call_command("rebuild_redis", stdout=out)
    assert client.get("/api/v1/me").json()["total_score"] == 999
    call_command("rebuild_redis", "--force", stdout=out)
    assert client.get("/api/v1/me").json()["total_score"] == 25
