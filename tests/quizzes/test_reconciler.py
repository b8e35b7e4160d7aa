"""The reconciler: a submission still queued whose score job RQ lost is enqueued again, once."""
from __future__ import annotations

from datetime import datetime, timedelta, timezone

from rq.job import Job

from quizzes import keys, scoring, tasks
from tests.quizzes.conftest import RIGHT, submit



def later() -> datetime:
    """A moment when every submission made so far counts as overdue."""
    return datetime.now(timezone.utc) + timedelta(minutes=5)


def _lose_the_pop(redis, score_queue, submission_id: str) -> None:
    """What a Redis crash right after a worker's pop left behind: the id is in no list."""
    assert redis.lrem(score_queue.key, 0, submission_id) == 1


def test_a_submission_whose_job_was_lost_is_rescued_and_scored_once(quiz, player, run_worker, score_queue, redis):
    _, client = player()
    lost = submit(client, quiz["id"], RIGHT).json()["id"]
    _lose_the_pop(redis, score_queue, lost)
    assert not run_worker()  # nothing left for RQ to run: the submission would stay queued

    result = scoring.submissions_rescue(older_than_seconds=30, now=later())
    assert result.rescued == [lost] and redis.get(keys.submissions_rescued()) == "1"
    assert score_queue.job_ids == [lost]
    assert run_worker()
    assert client.get(f"/api/v1/submissions/{lost}").json()["status"] == "processed"
    assert client.get("/api/v1/me").json()["total_score"] == 35
    assert not redis.zscore(keys.submissions_queued(), lost)  # scored: out of the index
    assert scoring.submissions_rescue(older_than_seconds=30, now=later()).checked == 0


def test_a_job_rq_still_holds_is_left_alone(quiz, player, score_queue, redis):
    at = later()
    _, client = player()
    waiting = submit(client, quiz["id"], RIGHT).json()["id"]  # in the queue list
    popped = submit(client, quiz["id"], RIGHT).json()["id"]
    redis.lrem(score_queue.key, 0, popped)
    redis.rpush(score_queue.intermediate_queue_key, popped)  # popped by a live worker (BLMOVE)
    started = submit(client, quiz["id"], RIGHT).json()["id"]
    redis.lrem(score_queue.key, 0, started)
    redis.zadd(score_queue.started_job_registry.key, {f"{started}:exec1": at.timestamp() + 20})  # running
    scheduled = submit(client, quiz["id"], RIGHT).json()["id"]
    redis.lrem(score_queue.key, 0, scheduled)
    redis.zadd(score_queue.scheduled_job_registry.key, {scheduled: at.timestamp() + 2})  # waiting out a backoff

    result = scoring.submissions_rescue(older_than_seconds=30, now=at)
    assert (result.checked, result.held, result.rescued) == (4, 4, [])
    assert score_queue.job_ids == [waiting] and not redis.exists(keys.submissions_rescued())


def test_a_job_rq_stopped_attending_to_is_rescued(quiz, player, run_worker, score_queue, redis):
    """A retry long overdue (no scheduler running) or a lease long expired (no maintenance pass)."""
    at = later()
    _, client = player()
    overdue = submit(client, quiz["id"], RIGHT).json()["id"]
    redis.lrem(score_queue.key, 0, overdue)
    redis.zadd(score_queue.scheduled_job_registry.key, {overdue: at.timestamp() - 31})
    abandoned = submit(client, quiz["id"], RIGHT).json()["id"]
    redis.lrem(score_queue.key, 0, abandoned)
    redis.zadd(score_queue.started_job_registry.key, {f"{abandoned}:exec1": at.timestamp() - 31})
    due = submit(client, quiz["id"], RIGHT).json()["id"]  # within the grace: RQ may still act
    redis.lrem(score_queue.key, 0, due)
    redis.zadd(score_queue.scheduled_job_registry.key, {due: at.timestamp() - 29})

    result = scoring.submissions_rescue(older_than_seconds=30, now=at)
    assert sorted(result.rescued) == sorted([overdue, abandoned]) and result.held == 1
    assert redis.zrange(score_queue.scheduled_job_registry.key, 0, -1) == [due]
    assert redis.zcard(score_queue.started_job_registry.key) == 0  # no second retry by maintenance
    assert run_worker()
    for submission_id in (overdue, abandoned):
        assert client.get(f"/api/v1/submissions/{submission_id}").json()["status"] == "processed"


def test_recent_submissions_are_not_checked(quiz, player, score_queue, redis):
    _, client = player()
    lost = submit(client, quiz["id"], RIGHT).json()["id"]
    _lose_the_pop(redis, score_queue, lost)
    assert scoring.submissions_rescue(older_than_seconds=30).checked == 0  # normal latency


def test_a_failed_job_whose_submission_stayed_queued_is_rescued(quiz, player, run_worker, score_queue, redis):
    _, client = player()
    stranded = submit(client, quiz["id"], RIGHT).json()["id"]
    redis.lrem(score_queue.key, 0, stranded)
    redis.zadd(score_queue.failed_job_registry.key, {stranded: 0})  # failed without its callback

    assert scoring.submissions_rescue(older_than_seconds=30, now=later()).rescued == [stranded]
    assert stranded not in score_queue.failed_job_registry.get_job_ids(cleanup=False)
    assert run_worker()
    assert client.get(f"/api/v1/submissions/{stranded}").json()["status"] == "processed"


def test_a_lost_job_hash_is_rebuilt(quiz, player, run_worker, score_queue, redis):
    _, client = player()
    lost = submit(client, quiz["id"], RIGHT).json()["id"]
    _lose_the_pop(redis, score_queue, lost)
    redis.delete(Job.key_for(lost))

    assert scoring.submissions_rescue(older_than_seconds=30, now=later()).rescued == [lost]
    assert run_worker()
    assert client.get(f"/api/v1/submissions/{lost}").json()["score"] == 35


def test_the_cron_job_logs_and_counts_its_rescues(quiz, player, score_queue, redis, settings, caplog):
    settings.SCORE_RESCUE_AFTER_SECONDS = -60  # everything counts as overdue
    _, client = player()
    lost = submit(client, quiz["id"], RIGHT).json()["id"]
    _lose_the_pop(redis, score_queue, lost)
    kept = submit(client, quiz["id"], RIGHT).json()["id"]

    report = tasks.submissions_reconcile()
    assert report == {"checked": 2, "held": 1, "settled": 0, "rescued": 1}
    assert any(lost in r.getMessage() and "re-enqueued" in r.getMessage() for r in caplog.records)
    assert score_queue.job_ids == [lost, kept]  # the rescued one first: it has waited longest
