"""Issue 23 with the archive on: export falls back to PostgreSQL, erasure deletes there too and
nothing erased comes back through rebuild_redis."""
from __future__ import annotations

import pytest

from accounts.models import User
from quizzes import keys
from quizzes.models import QuizBest, Submission
from quizzes.rebuild import rebuild_redis

from .conftest import RIGHT, submit

pytestmark = pytest.mark.postgres
PASSWORD = "correct-horse-1"


def test_export_reads_expired_submissions_from_postgresql(archive, quiz, player, run_worker, drain, redis):
    _, client = player("alice")
    first = submit(client, quiz["id"], [0, 0, 0]).json()["id"]
    run_worker()
    second = submit(client, quiz["id"], RIGHT).json()["id"]
    run_worker()
    drain()
    redis.delete(keys.submission(first))  # what its TTL does after SUBMISSION_REDIS_SECONDS
    doc = client.get("/api/v1/me/export").json()
    assert [s["id"] for s in doc["submissions"]] == [first, second]
    assert doc["submissions"][0]["answers"] == [0, 0, 0] and doc["submissions"][0]["score"] == 15
    assert doc["submissions"][1]["answers"] == RIGHT and doc["submissions"][1]["score"] == 35


def test_erasure_deletes_the_archive_and_rebuild_brings_nothing_back(
        archive, quiz, player, run_worker, drain, redis, api):
    alice, a = player("alice")
    bob, b = player("bob")
    for client in (a, b):
        submit(client, quiz["id"], RIGHT)
    run_worker()
    submit(a, quiz["id"], [0, 0, 0])
    run_worker()  # alice's second scored entry is still in the outbox when she erases
    assert a.delete("/api/v1/me", {"password": PASSWORD}, format="json").status_code == 204
    drain()  # the archiver inserts the late entry, then reaches user.erased and deletes again
    assert not User.objects.filter(id=alice["id"]).exists()
    assert not Submission.objects.filter(user_id=alice["id"]).exists()
    assert not QuizBest.objects.filter(user_id=alice["id"]).exists()
    results = b.get(f"/api/v1/quizzes/{quiz['id']}/results").json()
    assert results["unique_users"] == 1 and alice["id"] not in str(results)

    redis.flushall()
    rebuild_redis()
    assert not [key for key in redis.scan_iter(count=1000) if alice["id"] in key]
    assert redis.hget("qb:users:by-name", "alice") is None
    login = api.post("/api/v1/auth/login", {"username": "alice", "password": PASSWORD}, format="json")
    assert login.status_code == 401
    assert api.post("/api/v1/auth/login", {"username": "bob", "password": PASSWORD}, format="json").status_code == 200


def test_disqualification_reaches_postgresql_and_rebuild_keeps_it(
        archive, admin_client, quiz, player, run_worker, drain, redis):
    from tests.boards import board_points

    user, client = player("alice")
    low = submit(client, quiz["id"], [0, 0, 0]).json()["id"]
    run_worker()
    drain()
    redis.delete(keys.submission(low))  # archived and expired: its score counts from PostgreSQL
    high = submit(client, quiz["id"], RIGHT).json()["id"]
    run_worker()
    resp = admin_client.post(f"/api/v1/submissions/{high}/disqualify", {"reason": "x"}, format="json")
    assert resp.status_code == 200
    assert client.get("/api/v1/me").json()["total_score"] == 15  # the archived 15 is the best left
    drain()
    assert not Submission.objects.filter(id=high).exists()
    assert QuizBest.objects.get(user_id=user["id"], quiz_id=quiz["id"]).best == 15
    assert User.objects.get(id=user["id"]).total_score == 15
    redis.flushall()
    rebuild_redis()
    assert board_points(redis, "qb:lb:all", user["id"]) == 15


def test_the_audit_log_is_archived_in_full(archive, admin_client, player, drain, settings):
    from accounts.models import AuditEntry

    settings.AUDIT_STREAM_MAXLEN = 1  # the Stream keeps about one; PostgreSQL keeps all
    alice, _ = player("alice")
    for reason in ("one", "two", "three"):
        admin_client.post(f"/api/v1/users/{alice['id']}/ban", {"reason": reason}, format="json")
    drain()
    rows = list(AuditEntry.objects.order_by("id").values_list("action", "reason"))
    assert rows == [("user.ban", "one"), ("user.ban", "two"), ("user.ban", "three")]


def test_rebuild_keeps_bans_and_hidden_profiles_off_the_boards(
        archive, admin_client, quiz, player, run_worker, drain, redis, api):
    from tests.boards import board_points, board_users

    bob, b = player("bob")
    carol, c = player("carol")
    dave, d = player("dave")
    for client in (b, c, d):
        submit(client, quiz["id"], RIGHT)
    run_worker()
    assert admin_client.post(f"/api/v1/users/{bob['id']}/ban", {"reason": "cheating"}, format="json").status_code == 200
    assert c.patch("/api/v1/me", {"public": False}, format="json").status_code == 200
    drain()
    assert User.objects.get(id=bob["id"]).banned_at is not None and User.objects.get(id=carol["id"]).hidden

    redis.flushall()
    rebuild_redis()
    assert board_users(redis, "qb:lb:all") == [dave["id"]]  # neither the banned nor the hidden
    login = api.post("/api/v1/auth/login", {"username": "bob", "password": PASSWORD}, format="json")
    assert login.status_code == 403  # still suspended
    admin = api.post("/api/v1/auth/login", {"username": "admin", "password": PASSWORD}, format="json")
    api.credentials(HTTP_AUTHORIZATION=f"Bearer {admin.json()['token']}")
    assert api.post(f"/api/v1/users/{bob['id']}/unban", {}, format="json").status_code == 200
    assert board_points(redis, "qb:lb:all", bob["id"]) == 35  # back with the points the archive held
