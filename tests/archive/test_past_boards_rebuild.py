"""Past periods' final boards (issue 25) come back from the archive after `rebuild_redis`."""
from __future__ import annotations

import io
from datetime import datetime, timedelta, timezone

import pytest
from django.core.management import call_command
from rest_framework.test import APIClient

from leaderboard import keys as board_keys
from quizzes import scoring, services

from .conftest import RIGHT

pytestmark = pytest.mark.postgres

BOARD = "/api/v1/leaderboard"
PAST = ["?period=day&ago=3", "?period=day&ago=14", "?period=week&ago=3", "?period=week&ago=8",
        "?period=day", "?period=week", "?period=all"]


def test_kept_past_boards_survive_a_flush_and_rebuild(archive, quiz, player, drain, redis, api):
    now = datetime.now(timezone.utc).replace(microsecond=0)
    if now.hour == 23 and now.minute >= 58:
        pytest.skip("a day ends during this test: the real clock decides `ago`")
    moments = [now - timedelta(days=3), now - timedelta(days=3), now - timedelta(days=14),
               now - timedelta(weeks=3), now - timedelta(weeks=8), now - timedelta(weeks=12), now]
    answers = [RIGHT, [0, 1, 1], [1, 1, 0], RIGHT, [0, 1, 1], RIGHT, [1, 1, 0]]
    users = [player() for _ in moments]
    for (user, _), mine, at in zip(users, answers, moments):
        accepted = services.submission_create(user_id=user["id"], quiz_id=quiz["id"], answers=mine)
        scoring.submission_score(submission_id=accepted.id, quiz_id=quiz["id"], user_id=user["id"], now=at)
    drain()
    reader = users[0][1]
    before = {q: reader.get(BOARD + q + "&limit=100").json() for q in PAST}
    assert [before[q]["total"] for q in PAST[:4]] == [2, 1, 1, 1]  # each past board has its players
    expiry = {k: redis.expiretime(k) for k in redis.keys("qb:lb:day:*") + redis.keys("qb:lb:week:*")}
    assert not redis.exists(board_keys.board("week", moments[5]))  # 12 weeks ago: past retention

    redis.flushall()
    call_command("rebuild_redis", stdout=io.StringIO())

    user = users[0][0]
    login = api.post("/api/v1/auth/login", {"username": user["username"], "password": user["password"]}, format="json")
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Bearer {login.json()['token']}")
    assert {q: client.get(BOARD + q + "&limit=100").json() for q in PAST} == before
    assert {k: redis.expiretime(k) for k in redis.keys("qb:lb:day:*") + redis.keys("qb:lb:week:*")} == expiry
