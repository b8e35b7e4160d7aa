"""Fixtures for the quizzes app: an admin, players, a quiz, and a real RQ worker in burst mode."""
from __future__ import annotations

import copy
import itertools

import django_rq
import pytest
from django.conf import settings as django_settings

from accounts.services import user_create

QUIZ = {
    "title": "Capitals",
    "questions": [
        {"text": "France?", "choices": ["Paris", "Rome"], "answer": 0, "points": 10},
        {"text": "Italy?", "choices": ["Paris", "Rome", "Oslo"], "answer": 1, "points": 20},
        {"text": "Norway?", "choices": ["Oslo", "Bern"], "answer": 0, "points": 5},
    ],
}
RIGHT = [0, 1, 0]  # 35 points
MAX_SCORE = 35


def quiz_body(**changes) -> dict:
    """A valid quiz body (a fresh copy), with top-level changes."""
    return {**copy.deepcopy(QUIZ), **changes}


@pytest.fixture(autouse=True)
def _generous_submission_limit(settings):
    # Most tests submit more than the per-user limit of 5 a minute; the limit has its own test.
    settings.RATELIMIT_SUBMISSIONS_RATE = "1000/60s"


@pytest.fixture
def admin_client(api, auth_client):
    user_create(username="admin", password="correct-horse-1", role="admin")
    login = api.post("/api/v1/auth/login", {"username": "admin", "password": "correct-horse-1"}, format="json")
    return auth_client(login.json()["token"])


@pytest.fixture
def quiz(admin_client) -> dict:
    resp = admin_client.post("/api/v1/quizzes", quiz_body(), format="json")
    assert resp.status_code == 201, resp.content
    return resp.json()


@pytest.fixture
def player(make_user, auth_client):
    """Make a logged-in player: returns (user dict, APIClient)."""
    names = (f"player{i}" for i in itertools.count(1))

    def _player(username: str | None = None):
        user = make_user(username or next(names))
        return user, auth_client(user["token"])

    return _player


def submit(client, quiz_id: str, answers: list[int], **headers):
    return client.post(f"/api/v1/quizzes/{quiz_id}/submissions", {"answers": answers}, format="json", **headers)


@pytest.fixture
def score_queue():
    return django_rq.get_queue(django_settings.SCORE_QUEUE)


@pytest.fixture
def run_worker():
    """Run the Procfile's worker class in burst mode against the test Redis until the queue is empty."""

    def _run() -> bool:
        worker = django_rq.get_worker(django_settings.SCORE_QUEUE, worker_class="config.jobs.worker.ResilientSimpleWorker")
        return worker.work(burst=True, logging_level="WARNING")

    return _run


@pytest.fixture
def live_worker(redis):
    """One real worker process (the Procfile's class) on the score queue, for races in a loop."""
    from tests.faults.processes import WorkerProcess, wait_until

    worker = WorkerProcess(queues=(django_settings.SCORE_QUEUE,)).start()
    try:
        wait_until(lambda: redis.exists(worker.key), timeout=60, what="the worker to register")
        yield worker
    finally:
        worker.stop()
