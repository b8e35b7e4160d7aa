"""Redis round trips per request, counted in-process through Django's test client.

The same method as the test suite's `roundtrips` fixture: every packed command batch written
to a Redis connection is one trip (a pipeline or a script is one). Each request is made once
first, so loading a Lua script (a one-off per process) is not counted.
"""
from __future__ import annotations

from contextlib import contextmanager

import redis.connection

from bench.common import seed_users
from bench.report import Figure, Report

QUIZ = {
    "title": "Bench quiz",
    "questions": [
        {"text": f"Question {i}", "choices": ["a", "b", "c", "d"], "answer": i % 4, "points": 10}
        for i in range(10)
    ],
}
ANSWERS = {"answers": [i % 4 for i in range(10)]}


@contextmanager
def counting():
    """Count round trips made by this process inside the block: `with counting() as trips`."""
    trips = [0]
    original = redis.connection.AbstractConnection.send_packed_command

    def counted(self, command, check_health=True):
        trips[0] += 1
        return original(self, command, check_health)

    redis.connection.AbstractConnection.send_packed_command = counted
    try:
        yield trips
    finally:
        redis.connection.AbstractConnection.send_packed_command = original


def _client(token: str):
    from rest_framework.test import APIClient

    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Bearer {token}")
    return client


def _count(make_request, expect: int) -> int:
    make_request()  # warm: scripts loaded, pools connected
    with counting() as trips:
        resp = make_request()
    if resp.status_code != expect:
        raise RuntimeError(f"expected {expect}, got {resp.status_code}: {resp.content[:300]!r}")
    return trips[0]


def create_quiz(admin_token: str) -> str:
    """Create the benchmark quiz through the API; return its id."""
    resp = _client(admin_token).post("/api/v1/quizzes", QUIZ, format="json")
    if resp.status_code != 201:
        raise RuntimeError(f"quiz create answered {resp.status_code}: {resp.content[:300]!r}")
    return resp.json()["id"]


def run(report: Report) -> None:
    """Count the round trips of /me, the leaderboard read and a submission accept."""
    users = seed_users(3, prefix="trips")
    me = _client(users[0]["token"])
    report.add(Figure("Redis round trips: GET /api/v1/me", _count(lambda: me.get("/api/v1/me"), 200),
                      note="auth script + profile pipeline"))
    if _client(users[0]["token"]).get("/api/v1/leaderboard").status_code == 404:
        report.add(Figure("Redis round trips: leaderboard read", None, target=("<=", 2), note="endpoint not available"))
    else:
        trips = _count(lambda: me.get("/api/v1/leaderboard?limit=10"), 200)
        report.add(Figure("Redis round trips: GET /api/v1/leaderboard", trips, target=("<=", 2)))
    try:
        quiz_id = create_quiz(seed_users(1, prefix="tripsadmin", role="admin")[0]["token"])
    except RuntimeError as exc:
        report.add(Figure("Redis round trips: submission accept", None, target=("<=", 3), note=str(exc)[:80]))
        return
    path = f"/api/v1/quizzes/{quiz_id}/submissions"
    clients = iter([_client(users[1]["token"]), _client(users[2]["token"])])
    trips = _count(lambda: next(clients).post(path, ANSWERS, format="json"), 202)
    report.add(Figure(f"Redis round trips: POST {path.replace(quiz_id, '{id}')}", trips, target=("<=", 3)))
