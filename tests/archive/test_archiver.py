"""The archiver: records reach PostgreSQL once, Redis lets archived submissions go, readers fall back."""
from __future__ import annotations

import pytest

from accounts.models import User
from config.redis.keys import outbox_stream
from quizzes import keys
from quizzes.models import Quiz, QuizBest, QuizVersion, Submission

from .conftest import RIGHT, submit

pytestmark = pytest.mark.postgres


def test_records_reach_postgresql_and_processed_submissions_expire_from_redis(
    archive, admin_client, quiz, player, run_worker, drain, redis, settings
):
    user, client = player()
    first = submit(client, quiz["id"], [1, 1, 0]).json()["id"]
    run_worker()
    second = submit(client, quiz["id"], RIGHT).json()["id"]
    run_worker()
    drain()

    row = User.objects.get(id=user["id"])
    assert (row.username, row.total_score, row.quizzes_solved) == (user["username"], 35, 1)
    assert row.password == redis.get(f"qb:user:{user['id']}:password")
    assert Quiz.objects.get(id=quiz["id"]).version == 1
    assert QuizVersion.objects.filter(quiz_id=quiz["id"]).count() == 1
    assert QuizBest.objects.get(user_id=user["id"], quiz_id=quiz["id"]).best == 35
    assert sorted(Submission.objects.values_list("id", "gain")) == sorted([(first, 25), (second, 10)])
    ttl = redis.ttl(keys.submission(second))
    assert 0 < ttl <= settings.SUBMISSION_REDIS_SECONDS
    assert redis.zcard(keys.quiz_submissions(quiz["id"])) == 0
    assert redis.xlen(outbox_stream()) == 0  # archived entries are trimmed away


def test_a_submission_reads_the_same_after_its_redis_hash_expired(archive, quiz, player, run_worker, drain, redis):
    _, client = player()
    sid = submit(client, quiz["id"], RIGHT).json()["id"]
    run_worker()
    before = client.get(f"/api/v1/submissions/{sid}")
    drain()
    redis.delete(keys.submission(sid))  # what its TTL does after SUBMISSION_REDIS_SECONDS
    after = client.get(f"/api/v1/submissions/{sid}")
    assert after.status_code == 200
    assert after.json() == before.json()
    other, other_client = player()
    assert other_client.get(f"/api/v1/submissions/{sid}").status_code == 404


def test_best_attempt_solved_count_and_idempotency_survive_expiry(archive, quiz, player, run_worker, drain, redis):
    user, client = player()
    sid = submit(client, quiz["id"], RIGHT, HTTP_IDEMPOTENCY_KEY="k1").json()["id"]
    run_worker()
    drain()
    redis.delete(keys.submission(sid))
    replay = submit(client, quiz["id"], RIGHT, HTTP_IDEMPOTENCY_KEY="k1")
    assert replay.status_code == 202 and replay.json()["id"] == sid
    assert (replay.json()["status"], replay.json()["score"]) == ("processed", 35)  # read back from PostgreSQL
    submit(client, quiz["id"], [1, 1, 0])  # worse: adds nothing
    run_worker()
    me = client.get("/api/v1/me").json()
    assert (me["total_score"], me["quizzes_solved"]) == (35, 1)


def test_nothing_is_appended_with_the_archive_off(admin_client, quiz, player, run_worker, redis):
    _, client = player()
    submit(client, quiz["id"], RIGHT)
    run_worker()
    assert redis.exists(outbox_stream()) == 0
    assert redis.ttl(keys.submission(redis.zrange(keys.quiz_submissions(quiz["id"]), 0, 0)[0])) == -1


def test_health_shows_the_archive_backlog_until_it_is_drained(archive, quiz, player, run_worker, drain, api):
    _, client = player()
    submit(client, quiz["id"], RIGHT)
    run_worker()
    waiting = api.get("/api/v1/health").json()["archive"]
    assert waiting["database"] == "ok" and waiting["backlog"] >= 3  # registrations, the quiz, the score
    drain()
    assert api.get("/api/v1/health").json()["archive"] == {"database": "ok", "backlog": 0, "oldest_age_seconds": 0.0}


def test_health_has_no_archive_section_with_the_archive_off(api):
    assert "archive" not in api.get("/api/v1/health").json()
