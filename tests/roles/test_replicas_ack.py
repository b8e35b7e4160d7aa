"""REDIS_MIN_REPLICAS_ACK: a 202 only once a replica holds the submission, else a 503 that is safe to retry."""
from __future__ import annotations

import redis as redis_py

from config.realtime.channel_layer import group_send_sync
from quizzes import keys
from tests.quizzes.conftest import RIGHT, submit


def test_without_the_replicas_a_submission_is_a_503_and_its_retry_after_one_joins_is_the_same_202(
    quiz, player, redis, replica, settings,
):
    settings.REDIS_MIN_REPLICAS_ACK = 1
    settings.REDIS_REPLICAS_ACK_TIMEOUT_MS = 100
    user, client = player()

    refused = submit(client, quiz["id"], RIGHT, HTTP_IDEMPOTENCY_KEY="attempt-1")
    assert refused.status_code == 503
    assert refused.json()["error"]["code"] == "service_unavailable"
    assert refused["Retry-After"] == "1"

    replica()
    retried = submit(client, quiz["id"], RIGHT, HTTP_IDEMPOTENCY_KEY="attempt-1")
    assert retried.status_code == 202
    assert retried["Idempotent-Replayed"] == "true"
    # One submission, the one the refused request wrote: the retry did not make a second.
    assert redis.zcard(keys.quiz_submissions(quiz["id"])) == 1
    assert redis.hget(keys.submission(retried.json()["id"]), "user_id") == user["id"]


def test_with_a_replica_in_sync_a_submission_is_accepted_and_the_replica_has_it(quiz, player, replica, settings):
    import redis as redis_py

    settings.REDIS_MIN_REPLICAS_ACK = 1
    server = replica()
    _, client = player()
    resp = submit(client, quiz["id"], RIGHT)
    assert resp.status_code == 202
    copy = redis_py.Redis.from_url(server.url, decode_responses=True)
    try:
        # WAIT returned only after the replica had it, so it is there the moment the 202 is.
        assert copy.hget(keys.submission(resp.json()["id"]), "status") == "queued"
    finally:
        copy.close()


def test_the_score_job_waits_for_the_replicas_before_announcing(quiz, player, redis, replica, settings, run_worker):
    from leaderboard import keys as board_keys

    settings.REDIS_MIN_REPLICAS_ACK = 1
    settings.REDIS_REPLICAS_ACK_TIMEOUT_MS = 100
    settings.SCORE_JOB_RETRY_INTERVALS = [0]
    _, client = player()
    replica_server = replica()
    sid = submit(client, quiz["id"], RIGHT).json()["id"]
    replica_server.stop()  # the primary notices within a moment; WAIT then counts 0
    from tests.faults.processes import wait_until

    wait_until(lambda: redis.info("replication").get("connected_slaves", 0) == 0, timeout=20, what="the replica to go")
    prefix = settings.CHANNEL_LAYERS["default"]["CONFIG"]["prefix"]
    raw = redis_py.Redis.from_url(settings.REDIS_URL)  # group messages are msgpack bytes
    listener = raw.pubsub()
    listener.psubscribe(f"{prefix}__group__*")
    try:
        assert listener.get_message(timeout=1)["type"] == "psubscribe"
        run_worker()
        # Applied once on the primary, but never announced: no replica confirmed it. Its events
        # were recorded with the score, in the same script, so they are replayed with it.
        assert redis.hget(keys.submission(sid), "status") == "processed"
        user_id = client.get("/api/v1/me").json()["id"]
        assert redis.xlen(board_keys.user_events_stream(user_id)) >= 1
        assert listener.get_message(timeout=1) is None
        group_send_sync([(board_keys.user_group(user_id), {"type": "control"})])  # the listener hears sends
        assert listener.get_message(timeout=5)["type"] == "pmessage"
    finally:
        listener.close()
        raw.close()
