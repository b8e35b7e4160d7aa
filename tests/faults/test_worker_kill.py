"""A worker dies or is stopped in the middle of a score job: nothing is lost, nothing counts twice.

Real worker processes (tests.faults.hooked_worker: the Procfile's SimpleWorker with its scheduler)
pause inside a score job, before or after the score script, and are then SIGKILLed or SIGTERMed.
RQ's own recovery does the rest: a live worker's maintenance finds the job whose lease ran out
(AbandonedJobError), the failure callback leaves it to RQ's retry, and the retry runs the job
again; the applied marker in score_apply.lua makes a second run a no-op.

"Applied once" is read from RQ's record of each run: the job returns whether *that* run applied
the score, so a run after the score was applied must return False.
"""
from __future__ import annotations

import os

import pytest
from rq.job import JobStatus
from rq.results import Result

from quizzes import services
from tests.faults.conftest import SCORED_SECONDS, score_job, submission_status, wait_processed, worker_ready
from tests.faults.hooked_worker import RELEASE
from tests.faults.processes import wait_until
from tests.quizzes.conftest import RIGHT, quiz_body, submit

REPEATS = 20


def _runs(queue, submission_id: str) -> list:
    """What each completed run of the score job returned (True: that run applied the score)."""
    # The score script marks the submission processed inside the job; RQ records the run's
    # result only after the job returns, so wait for that record before reading it.
    job = score_job(queue, submission_id)
    wait_until(lambda: job.get_status(refresh=True) == JobStatus.FINISHED, timeout=SCORED_SECONDS,
               what=f"RQ to record the run of {submission_id}")
    results = job.results()
    assert all(r.type == Result.Type.SUCCESSFUL for r in results), [r.exc_string for r in results]
    return sorted(r.return_value for r in results)


def _profile(client) -> tuple[int, int]:
    me = client.get("/api/v1/me").json()
    return me["total_score"], me["quizzes_solved"]


@pytest.fixture
def immediate_retries(settings):
    # Retry without backoff: the abandoned job goes straight back on the queue, so recovery does
    # not wait for the scheduler lock the killed worker's scheduler still held (61 s in RQ).
    settings.SCORE_JOB_RETRY_INTERVALS = [0, 0, 0]


@pytest.mark.parametrize("where", ["before", "after"])
def test_a_killed_worker_s_job_is_retried_and_scored_once(
    where, workers, hook, quiz, player, redis, score_queue, immediate_retries
):
    _, client = player()
    victim = workers()
    hook.pause_next(where)
    submission_id = submit(client, quiz["id"], RIGHT).json()["id"]
    hook.wait_paused(submission_id)
    assert submission_status(redis, submission_id) == ("queued" if where == "before" else "processed")

    victim.kill()  # the worker and its scheduler, as a container restart does
    replacement = workers()
    wait_processed(redis, submission_id, replacement)
    wait_until(lambda: score_job(score_queue, submission_id).get_status() == "finished",
               timeout=10, what="the retried job to finish")

    assert _profile(client) == (35, 1)
    # The killed run left no result; the retry applied the score only if the first run had not.
    assert _runs(score_queue, submission_id) == ([True] if where == "before" else [False])
    assert score_queue.failed_job_registry.count == 0


def test_a_worker_killed_alone_is_retried_through_its_surviving_scheduler(
    workers, hook, quiz, player, redis, score_queue, settings
):
    """The kernel's OOM killer takes the worker process only; the default backoff path runs."""
    settings.SCORE_JOB_RETRY_INTERVALS = [1]  # a backoff: the retry waits in the scheduled registry
    _, client = player()
    victim = workers()
    hook.pause_next("before")
    submission_id = submit(client, quiz["id"], RIGHT).json()["id"]
    hook.wait_paused(submission_id)

    victim.kill(whole_group=False)  # its scheduler process lives on and keeps its lock
    replacement = workers()
    wait_processed(redis, submission_id, replacement)
    assert _profile(client) == (35, 1)
    assert _runs(score_queue, submission_id) == [True]


def test_sigterm_lets_the_running_job_finish_then_stops(workers, hook, quiz, player, redis, score_queue):
    _, client = player()
    worker = workers()
    hook.pause_next("before")
    submission_id = submit(client, quiz["id"], RIGHT).json()["id"]
    hook.wait_paused(submission_id)

    worker.terminate()
    # RQ records a warm shutdown request on the worker's hash; the job is still running.
    wait_until(lambda: redis.hget(worker.key, "shutdown_requested_date"), timeout=10,
               what="the worker to acknowledge SIGTERM")
    assert worker.alive() and submission_status(redis, submission_id) == "queued"

    hook.release()
    assert worker.wait(timeout=30) == 0, worker.tail()
    with pytest.raises(ProcessLookupError):
        os.killpg(worker.pid, 0)  # its scheduler process stopped with it
    after_stop = worker.tail(20_000).partition("warm shut down requested")[2]
    assert "Scheduler for scores started" not in after_stop, after_stop  # and was not started again
    assert submission_status(redis, submission_id) == "processed"
    assert score_job(score_queue, submission_id).get_status() == "finished"
    assert _runs(score_queue, submission_id) == [True]
    assert _profile(client) == (35, 1)


def test_sigterm_on_an_idle_worker_stops_it_at_once(workers, redis):
    worker = workers()
    worker.terminate()
    assert worker.wait(timeout=15) == 0, worker.tail()
    assert not redis.sismember("rq:workers", worker.key)  # it deregistered itself



LOST_STOP = """
import signal, sys
from redis import Redis
from rq import Queue
from tests.faults.hooked_worker import WORKER_TTL, FastRecoveryWorker

connection = Redis.from_url(sys.argv[1])
worker = FastRecoveryWorker([Queue("scores", connection=connection)], connection=connection, worker_ttl=WORKER_TTL)


class Finalized:
    def __del__(self):
        try:
            worker.request_stop(signal.SIGTERM, None)  # RQ's handler, run while a finalizer runs
        except Exception:
            pass  # what redis-py's Pipeline.__del__ does with it


Finalized()  # collected at once: the stop request is made, and its StopRequested swallowed
worker.work()
print("stopped", flush=True)
"""


def test_a_stop_request_swallowed_by_a_finalizer_still_stops_an_idle_worker(redis, settings):
    import subprocess
    import sys

    done = subprocess.run([sys.executable, "-c", LOST_STOP, settings.REDIS_URL], capture_output=True, text=True,
                          timeout=30, cwd=os.path.dirname(os.path.dirname(os.path.dirname(__file__))))
    assert done.returncode == 0 and "stopped" in done.stdout, done.stderr[-2000:]
    assert not redis.smembers("rq:workers")  # it deregistered itself

ROUNDS = ("kill before", "kill after", "terminate")  # where the job is when the worker goes


def _stop_victim(round_: str, victim, hook, redis) -> None:
    """SIGKILL the worker holding the paused job, or SIGTERM it and let it finish the job."""
    if round_ != "terminate":
        victim.kill()
        return
    victim.terminate()
    wait_until(lambda: redis.hget(victim.key, "shutdown_requested_date"), timeout=10,
               what="the worker to acknowledge SIGTERM")
    hook.release()
    assert victim.wait(timeout=30) == 0, victim.tail()
    redis.delete(RELEASE)  # the next round's pause waits again


def test_repeated_kills_and_stops_lose_nothing_and_score_nothing_twice(
    workers, hook, player, redis, score_queue, immediate_retries
):
    """REPEATS rounds, two workers live at a time: each round the one holding the paused job is
    SIGKILLed before or after the score script, or SIGTERMed, and a new one is started."""
    _, client = player()
    quizzes = [
        services.quiz_create(**quiz_body(title=f"Quiz {i}", questions=[
            {"text": "Pick", "choices": ["a", "b"], "answer": 0, "points": i + 1},
        ]))
        for i in range(REPEATS)
    ]
    pool = [workers(), workers()]
    submitted: dict[str, str] = {}
    for i, quiz in enumerate(quizzes):
        round_ = ROUNDS[i % len(ROUNDS)]
        hook.pause_next("after" if round_ == "kill after" else "before")
        submission_id = submit(client, quiz["id"], [0]).json()["id"]
        submitted[submission_id] = round_
        hook.wait_paused(submission_id)
        victim = next(w for w in pool if w.name == score_job(score_queue, submission_id).worker_name)
        _stop_victim(round_, victim, hook, redis)
        pool.remove(victim)
        pool.append(workers(ready=False))  # boots while a survivor recovers the job
        wait_processed(redis, submission_id, pool[0])
        # Finished, not just scored: a retry still to come would take the next round's pause.
        wait_until(lambda: score_job(score_queue, submission_id).get_status() == "finished",
                   timeout=SCORED_SECONDS, what=f"round {i}: the job to finish")
        for worker in pool:
            worker_ready(worker)

    for submission_id, round_ in submitted.items():
        runs = _runs(score_queue, submission_id)
        # The run killed after the score script applied it and left no result: no later run may.
        assert runs.count(True) == (0 if round_ == "kill after" else 1), (round_, runs)
    assert _profile(client) == (sum(range(1, REPEATS + 1)), REPEATS)
    assert score_queue.failed_job_registry.count == 0


def test_one_job_delivered_many_times_to_concurrent_workers_scores_once(
    workers, quiz, player, redis, score_queue
):
    """The same job id queued three times, three workers racing over it."""
    users = [player() for _ in range(10)]
    submission_ids = [submit(client, quiz["id"], RIGHT).json()["id"] for _, client in users]
    for _ in range(2):
        redis.rpush(score_queue.key, *submission_ids)  # each job delivered three times in all
    for _ in range(3):
        workers(ready=False)
    for submission_id in submission_ids:
        wait_processed(redis, submission_id)
    wait_until(lambda: score_queue.count == 0 and not score_queue.started_job_registry.get_job_ids(),
               timeout=30, what="every delivery to be worked off")
    for submission_id in submission_ids:
        runs = _runs(score_queue, submission_id)
        assert runs.count(True) == 1, runs
    for _, client in users:
        assert _profile(client) == (35, 1)
