"""`rebuild_redis` restores the per-quiz boards from the archive: each best, in the same tie order."""
from __future__ import annotations

import io

import pytest
from django.core.management import call_command

from quizzes import keys

from .conftest import RIGHT, quiz_body, submit

pytestmark = pytest.mark.postgres


def test_rebuild_restores_every_quiz_board_with_its_ties(
    archive, admin_client, quiz, player, run_worker, drain, redis
):
    gone = admin_client.post("/api/v1/quizzes", quiz_body(title="Gone"), format="json").json()
    users = [player() for _ in range(5)]
    for (_, client), answers in zip(users, ([0, 0, 0], RIGHT, [1, 0, 1], RIGHT, [0, 1, 1])):
        submit(client, quiz["id"], answers)  # a 0 best ([1, 0, 1]) is on the board too
        submit(client, gone["id"], RIGHT)
    run_worker()
    submit(users[0][1], quiz["id"], RIGHT)  # an improvement, reaching 35 third
    submit(users[4][1], quiz["id"], [0, 0, 0])  # lower: changes nothing
    run_worker()
    admin_client.delete(f"/api/v1/quizzes/{gone['id']}")
    drain()
    board = keys.quiz_board(quiz["id"])
    before = redis.zrevrange(board, 0, -1, withscores=True)
    assert [score for _, score in before] == [35, 35, 35, 30, 0]
    page = users[0][1].get(f"/api/v1/quizzes/{quiz['id']}/leaderboard").json()

    redis.flushall()
    call_command("rebuild_redis", stdout=io.StringIO())

    assert redis.zrevrange(board, 0, -1, withscores=True) == before  # the same members: points and ties
    assert redis.hgetall(keys.quiz_board_members(quiz["id"])) == {m.partition(":")[2]: m.partition(":")[0]
                                                                  for m, _ in before}
    assert not redis.exists(keys.quiz_board(gone["id"]))  # a deleted quiz's board stays gone
    assert users[0][1].get(f"/api/v1/quizzes/{quiz['id']}/leaderboard").status_code == 401  # sessions are not restored
    from rest_framework.test import APIClient

    client = APIClient()
    login = client.post("/api/v1/auth/login", {"username": users[0][0]["username"],
                                               "password": users[0][0]["password"]}, format="json")
    client.credentials(HTTP_AUTHORIZATION=f"Bearer {login.json()['token']}")
    assert client.get(f"/api/v1/quizzes/{quiz['id']}/leaderboard").json() == page
    # Later changes order after every restored tie.
    newcomer, new_client = player()
    submit(new_client, quiz["id"], RIGHT)
    run_worker()
    assert [e["user_id"] for e in client.get(f"/api/v1/quizzes/{quiz['id']}/leaderboard").json()["entries"]][3] == newcomer["id"]
