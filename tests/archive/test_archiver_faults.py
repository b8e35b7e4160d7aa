"""The archiver under faults: killed mid-batch, and PostgreSQL stopped under load."""
from __future__ import annotations

import subprocess
import sys
import time
from datetime import datetime, timedelta, timezone

import pytest
from django.db import connection

from accounts.models import User
from accounts.services import user_create
from config.outbox.archiver import GROUP
from config.redis.keys import outbox_stream
from config.outbox.reader import outbox_backlog
from quizzes import keys, scoring, services
from quizzes.models import QuizBest, Submission
from tests.postgres_server import postgres_server
from tests.processes import ROOT, process_env

from .conftest import RIGHT, quiz_body

pytestmark = pytest.mark.postgres

ANSWERS = ([1, 1, 0], [0, 0, 0], RIGHT, [1, 0, 1], [0, 1, 1])


def _database_url() -> str:
    s = connection.settings_dict
    return f"postgres://{s['USER']}@{s['HOST']}:{s['PORT']}/{s['NAME']}"


def _archiver(*args: str, **env: str) -> subprocess.Popen:
    return subprocess.Popen(
        [sys.executable, *args], cwd=ROOT, env=process_env(DATABASE_URL=_database_url(), **env),
        stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
    )


def _score_many(users: list[dict], quiz: dict, rounds: int, start: datetime) -> int:
    """Submit and score `rounds` attempts per user; return how many were scored."""
    scored = 0
    for r in range(rounds):
        for i, user in enumerate(users):
            accepted = services.submission_create(user_id=user["id"], quiz_id=quiz["id"], answers=ANSWERS[(i + r) % 5])
            scoring.submission_score(submission_id=accepted.id, quiz_id=quiz["id"], user_id=user["id"],
                                     now=start + timedelta(seconds=r))
            scored += 1
    return scored


def _assert_postgres_matches_redis(redis, users: list[dict], quiz: dict, scored: int) -> None:
    assert Submission.objects.count() == scored
    for user in users:
        profile = redis.hgetall(f"qb:user:{user['id']}")
        row = User.objects.get(id=user["id"])
        assert (row.total_score, row.quizzes_solved) == (int(profile["total_score"]), int(profile["quizzes_solved"]))
        best = QuizBest.objects.get(user_id=user["id"], quiz_id=quiz["id"]).best
        assert best == int(redis.hget(keys.user_best(user["id"]), quiz["id"]))
        gains = sum(Submission.objects.filter(user_id=user["id"]).values_list("gain", flat=True))
        assert gains == row.total_score  # every gain counted once
    assert outbox_backlog(group=GROUP)["backlog"] == 0


@pytest.mark.parametrize("hook", ["in_transaction", "after_commit"])
def test_archiver_killed_mid_batch_archives_every_entry_exactly_once(archive, settings, redis, tmp_path, hook):
    users = [user_create(username=f"kill{i}", password="correct-horse-1") for i in range(20)]
    quiz = services.quiz_create(**quiz_body())
    scored = _score_many(users, quiz, rounds=10, start=datetime.now(timezone.utc))
    marker = tmp_path / "stalled"
    hooked = _archiver("-m", "tests.archive.hooked_archiver", hook, str(marker), ARCHIVE_BATCH="25")
    try:
        deadline = time.monotonic() + 30
        while not marker.exists():
            assert hooked.poll() is None and time.monotonic() < deadline, "the hooked archiver never stalled"
            time.sleep(0.05)
        hooked.kill()  # SIGKILL, mid-batch
        hooked.wait(10)
    finally:
        hooked.kill()
    assert redis.xpending(outbox_stream(), GROUP)["pending"] > 0  # the killed batch was never acknowledged
    restarted = _archiver("manage.py", "archiver", "--drain", ARCHIVE_BATCH="25")
    assert restarted.wait(60) == 0
    _assert_postgres_matches_redis(redis, users, quiz, scored)


def test_postgresql_stopped_for_30_seconds_under_load_loses_nothing(archive, settings, redis, player, drain):
    server = postgres_server()
    users = [user_create(username=f"load{i}", password="correct-horse-1") for i in range(10)]
    quiz = services.quiz_create(**quiz_body())
    reader, client = player()
    expired = services.submission_create(user_id=reader["id"], quiz_id=quiz["id"], answers=RIGHT).id
    scoring.submission_score(submission_id=expired, quiz_id=quiz["id"], user_id=reader["id"])
    drain()
    redis.delete(keys.submission(expired))  # only PostgreSQL has it now
    archiver = _archiver("manage.py", "archiver", ARCHIVE_BATCH="50")
    try:
        start = datetime.now(timezone.utc)
        scored = _score_many(users, quiz, rounds=2, start=start) + 1
        connection.close()
        server.stop("fast")
        stopped_at = time.monotonic()
        during, ages = 0, []
        while time.monotonic() - stopped_at < 30:  # scoring carries on while PostgreSQL is down
            during += _score_many(users, quiz, rounds=1, start=start + timedelta(seconds=10))
            ages.append(outbox_backlog(group=GROUP))
            time.sleep(0.5)
        # Health's view of it: the backlog holds everything scored meanwhile, and it is old.
        assert ages[-1]["backlog"] >= during and ages[-1]["oldest_age_seconds"] > 10
        down = client.get(f"/api/v1/submissions/{expired}")
        assert down.status_code == 503 and down.json()["error"]["code"] == "service_unavailable"
        server.start()
        restarted = time.monotonic()
        while outbox_backlog(group=GROUP)["backlog"] and time.monotonic() - restarted < 60:
            time.sleep(0.2)
        print(f"backlog of {ages[-1]['backlog']} entries drained {time.monotonic() - restarted:.1f} s after restart")
        assert client.get(f"/api/v1/submissions/{expired}").status_code == 200
    finally:
        archiver.terminate()
        archiver.wait(10)
        if not server.running():
            server.start()
    _assert_postgres_matches_redis(redis, users, quiz, scored + during)
