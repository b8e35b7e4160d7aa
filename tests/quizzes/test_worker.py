"""A real RQ worker (the Procfile's SimpleWorker, burst mode) on the test Redis."""
from __future__ import annotations

import subprocess
import sys
import time
from datetime import datetime, timedelta, timezone

import redis.exceptions
from rq.job import Job
from rq.timeouts import JobTimeoutException

from quizzes import keys, scoring
from tests.processes import ROOT, process_env
from tests.quizzes.conftest import RIGHT, submit
from tests.quizzes.stalling_worker import MARKER


def _status(client, submission_id: str) -> dict:
    return client.get(f"/api/v1/submissions/{submission_id}").json()


def test_worker_scores_submissions_end_to_end(quiz, player, run_worker, score_queue, redis):
    alice, alice_client = player("alice")
    _, bob_client = player("bob")
    first = submit(alice_client, quiz["id"], [0, 2, 1]).json()["id"]  # 10
    second = submit(alice_client, quiz["id"], RIGHT).json()["id"]  # 35
    third = submit(bob_client, quiz["id"], [0, 1, 1]).json()["id"]  # 30
    assert run_worker()
    assert [_status(alice_client, s)["score"] for s in (first, second)] == [10, 35]
    assert _status(bob_client, third)["status"] == "processed"
    me = alice_client.get("/api/v1/me").json()
    assert (me["total_score"], me["quizzes_solved"], me["rank"]) == (35, 1, 1)
    assert bob_client.get("/api/v1/me").json()["rank"] == 2
    assert score_queue.count == 0 and score_queue.finished_job_registry.count == 3
    assert not redis.exists(keys.quiz_pending(quiz["id"]))  # no answer key pinned any more


def test_a_job_delivered_twice_scores_once(quiz, player, run_worker, score_queue):
    user, client = player()
    submission_id = submit(client, quiz["id"], RIGHT).json()["id"]
    score_queue.connection.rpush(score_queue.key, submission_id)  # the same job id queued again
    assert score_queue.count == 2
    run_worker()
    me = client.get("/api/v1/me").json()
    assert (me["total_score"], me["quizzes_solved"]) == (35, 1)
    assert score_queue.failed_job_registry.count == 0


def test_transient_errors_are_retried(quiz, player, run_worker, score_queue, settings, monkeypatch):
    settings.SCORE_JOB_RETRY_INTERVALS = [0, 0]  # no backoff, so the burst worker retries at once
    _, client = player()
    submission_id = submit(client, quiz["id"], RIGHT).json()["id"]
    real_score, calls = scoring.submission_score, []

    def flaky(**kwargs):
        calls.append(1)
        if len(calls) == 1:
            raise redis.exceptions.ConnectionError("connection reset")
        return real_score(**kwargs)

    monkeypatch.setattr(scoring, "submission_score", flaky)
    run_worker()
    assert _status(client, submission_id)["status"] == "processed" and len(calls) == 2
    job = Job.fetch(submission_id, connection=score_queue.connection)
    assert job.get_status() == "finished" and job.retries_left == 1


def test_retries_wait_their_backoff(quiz, player, run_worker, score_queue, monkeypatch):
    _, client = player()
    submission_id = submit(client, quiz["id"], RIGHT).json()["id"]

    def down(**kwargs):
        raise redis.exceptions.TimeoutError("timed out")

    monkeypatch.setattr(scoring, "submission_score", down)
    run_worker()
    # First backoff is 2 s: the job waits in RQ's scheduled registry; the submission stays queued.
    assert score_queue.scheduled_job_registry.get_job_ids() == [submission_id]
    assert _status(client, submission_id)["status"] == "queued"


def test_exhausted_retries_end_as_failed(quiz, player, run_worker, score_queue, settings, monkeypatch):
    """A job that keeps running past its time limit is given up once RQ's retries are spent."""
    settings.SCORE_JOB_RETRY_INTERVALS = [0]
    _, client = player()
    submission_id = submit(client, quiz["id"], RIGHT).json()["id"]

    def too_slow(**kwargs):
        raise JobTimeoutException("Task exceeded maximum timeout value (10 seconds)")

    monkeypatch.setattr(scoring, "submission_score", too_slow)
    run_worker()
    body = _status(client, submission_id)
    assert body["status"] == "failed" and "time limit" in body["reason"]
    assert score_queue.failed_job_registry.get_job_ids() == [submission_id]


def test_redis_errors_never_fail_a_submission(quiz, player, run_worker, score_queue, settings, monkeypatch):
    """Redis errors past RQ's retries leave the submission queued; the reconciler gets it scored."""
    settings.SCORE_JOB_RETRY_INTERVALS = [0]
    _, client = player()
    submission_id = submit(client, quiz["id"], RIGHT).json()["id"]
    real_score = scoring.submission_score

    def down(**kwargs):
        raise redis.exceptions.ConnectionError("gone")

    monkeypatch.setattr(scoring, "submission_score", down)
    run_worker()
    assert _status(client, submission_id)["status"] == "queued"
    assert score_queue.failed_job_registry.get_job_ids() == [submission_id]

    monkeypatch.setattr(scoring, "submission_score", real_score)  # Redis is back
    later = datetime.now(timezone.utc) + timedelta(minutes=5)
    assert scoring.submissions_rescue(older_than_seconds=30, now=later).rescued == [submission_id]
    run_worker()
    assert _status(client, submission_id)["score"] == 35


def test_permanent_failure_is_failed_at_once_with_a_reason(quiz, player, run_worker, score_queue, redis):
    _, client = player()
    submission_id = submit(client, quiz["id"], RIGHT).json()["id"]
    redis.hdel(keys.quiz_versions(quiz["id"]), "1")  # the answer key is gone: retrying cannot help
    run_worker()
    body = _status(client, submission_id)
    assert body["status"] == "failed"
    assert body["reason"] == "The answer key of quiz version 1 is no longer available."
    assert score_queue.failed_job_registry.get_job_ids() == [submission_id]
    assert score_queue.scheduled_job_registry.count == 0  # not retried
    job = Job.fetch(submission_id, connection=score_queue.connection)
    assert "ScoringError" in job.latest_result().exc_string
    assert client.get("/api/v1/me").json()["total_score"] == 0


def test_the_procfile_worker_command_scores(quiz, player):
    """`manage.py rqworker --worker-class config.jobs.worker.ResilientSimpleWorker scores`, the Procfile's worker class."""
    _, client = player()
    submission_id = submit(client, quiz["id"], RIGHT).json()["id"]
    done = subprocess.run(
        [sys.executable, "manage.py", "rqworker", "--burst", "--worker-class", "config.jobs.worker.ResilientSimpleWorker", "scores"],
        cwd=ROOT, env=process_env(), capture_output=True, timeout=60,
    )
    assert done.returncode == 0, done.stderr.decode()[-2000:]
    assert _status(client, submission_id)["score"] == 35


def test_a_worker_killed_mid_job_scores_once(quiz, player, run_worker, score_queue, redis, settings):
    """SIGKILL a real worker after the score script ran; RQ's recovery re-runs the job."""
    settings.SCORE_JOB_RETRY_INTERVALS = [0]
    _, client = player()
    submission_id = submit(client, quiz["id"], RIGHT).json()["id"]
    worker = subprocess.Popen(
        [sys.executable, "-m", "tests.quizzes.stalling_worker"], cwd=ROOT, env=process_env(),
        stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
    )
    try:
        deadline = time.monotonic() + 30
        while redis.get(MARKER) != submission_id and time.monotonic() < deadline:
            time.sleep(0.05)  # waiting for the worker to reach that point, not for a time window
        assert redis.get(MARKER) == submission_id, "the worker never reached the stall"
    finally:
        worker.kill()
        worker.wait(10)
    assert _status(client, submission_id)["status"] == "processed"
    # What the next worker's maintenance does once the dead worker's lease has run out:
    score_queue.started_job_registry.cleanup(timestamp=time.time() + 3600)
    assert score_queue.job_ids == [submission_id]  # AbandonedJobError is transient: retried
    run_worker()
    me = client.get("/api/v1/me").json()
    assert (me["total_score"], me["quizzes_solved"]) == (35, 1)
    assert Job.fetch(submission_id, connection=score_queue.connection).get_status() == "finished"


def test_a_warm_shutdown_does_not_wait_on_the_pubsub_thread(score_queue):
    """The worker's teardown returns at once even when its pub/sub thread already saw the UNSUBSCRIBE.

    That thread then waits up to 60 s for a new subscription; RQ's own unsubscribe joins it
    without a bound, so a SIGTERM took up to a minute to stop an idle worker.
    """
    import threading

    from config.jobs.worker import ResilientSimpleWorker
    from tests.faults.processes import wait_until

    worker = ResilientSimpleWorker([score_queue], connection=score_queue.connection)
    worker.subscribe()
    wait_until(lambda: worker.pubsub.subscribed, timeout=10, what="the subscription")
    worker.pubsub.unsubscribe()  # the race: the thread reads the reply before any stop flag
    wait_until(lambda: not worker.pubsub.subscribed, timeout=10, what="the thread to read the reply")
    teardown = threading.Thread(target=worker.unsubscribe, daemon=True)
    teardown.start()
    teardown.join(timeout=15)
    assert not teardown.is_alive(), "unsubscribe is still waiting for the pub/sub thread"

