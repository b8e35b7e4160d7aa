"""Redis crashes and comes back: every acknowledged write is still there, and the running web and
worker processes carry on without being restarted.

The Redis here runs with `appendonly yes` and `appendfsync always` (each write is on disk before
its reply) and is killed with SIGKILL, so nothing is saved at shutdown: what survives is what
the AOF held. The last test shows that the launcher's `appendfsync everysec` also loses no
acknowledged write when only the Redis *process* dies (the AOF is written before the reply;
everysec's one-second window is about the machine losing power, before the OS flushes it).
"""
from __future__ import annotations

from accounts import keys as account_keys
from accounts import services as account_services
from config.redis.clients import redis_client
from quizzes import keys as quiz_keys
from quizzes import services as quiz_services
from tests.faults.conftest import Hook, submission_status, wait_processed
from tests.faults.live import http
from tests.faults.processes import wait_until
from tests.quizzes.conftest import RIGHT, quiz_body
from config.jobs import keys as rq_keys

AOF_ALWAYS = ("--appendonly", "yes", "--appendfsync", "always")
PASSWORD = "correct-horse-1"


def _signed_up(url: str, username: str) -> dict:
    """Register and log in over HTTP: the acknowledged account and session under test."""
    body = {"username": username, "password": PASSWORD}
    assert http(url, "POST", "/api/v1/auth/register", body=body).status == 201
    login = http(url, "POST", "/api/v1/auth/login", body=body)
    assert login.status == 200
    return {**login.body["user"], "token": login.body["token"]}


def _crash_and_restart(server) -> None:
    server.crash()
    server.restart()


def test_acknowledged_writes_survive_redis_crashes_and_nothing_is_restarted(live_system):
    server, web, worker, live = live_system.redis, live_system.web, live_system.worker, live_system.live
    hook = Hook(redis_client())
    bob = _signed_up(live.url, "bob")
    submissions = f"/api/v1/quizzes/{live.quiz['id']}/submissions"

    # Crash 1, between submit and processing: one job held mid-way (before its score script),
    # one waiting in the queue.
    hook.pause_next("before")
    held = live.submit(RIGHT, as_user=bob)
    hook.wait_paused(held)
    queued = http(live.url, "POST", submissions, token=bob["token"], body={"answers": [0, 0, 0]})
    assert queued.status == 202
    _crash_and_restart(server)

    assert live.call("GET", "/api/v1/me", as_user=bob).status == 200  # the session survived
    for submission_id in (held, queued.body["id"]):
        assert live.call("GET", f"/api/v1/submissions/{submission_id}", as_user=bob).body["status"] == "queued"
    hook.release()
    for submission_id in (held, queued.body["id"]):
        wait_processed(redis_client(), submission_id, worker)

    # Crash 2, after processing.
    _crash_and_restart(server)
    me = live.call("GET", "/api/v1/me", as_user=bob).body
    assert (me["total_score"], me["quizzes_solved"], me["rank"]) == (35, 1, 1)
    board = live.call("GET", "/api/v1/leaderboard", as_user=bob).body
    assert [(e["username"], e["score"]) for e in board["entries"]] == [("bob", 35), ("alice", 15)]
    scores = [live.call("GET", f"/api/v1/submissions/{s}", as_user=bob).body["score"]
              for s in (held, queued.body["id"])]
    assert scores == [35, 15]
    session_id = account_keys.session_id_for(bob["token"])
    assert redis_client().pttl(account_keys.session(session_id)) > 0  # it still expires

    # Neither process was restarted, and both still work.
    assert web.proc.poll() is None and worker.alive()
    later = live.submit([0, 1, 1], as_user=bob)
    wait_processed(redis_client(), later, worker)
    assert live.call("GET", "/api/v1/me", as_user=bob).body["total_score"] == 35


def test_an_idempotency_record_survives_a_crash(live_system):
    server, live = live_system.redis, live_system.live
    path = f"/api/v1/quizzes/{live.quiz['id']}/submissions"
    key = {"Idempotency-Key": "retry-after-crash"}
    first = live.call("POST", path, body={"answers": RIGHT}, headers=key)
    assert first.status == 202
    _crash_and_restart(server)
    again = live.call("POST", path, body={"answers": RIGHT}, headers=key)
    assert (again.status, again.body["id"], again.headers.get("idempotent-replayed")) == (202, first.body["id"], "true")
    assert live.call("POST", path, body={"answers": [0, 0, 0]}, headers=key).status == 422


def test_a_redis_crash_in_the_middle_of_a_job_does_not_stop_the_worker(live_system):
    """config.jobs.worker.ResilientSimpleWorker waits for Redis where RQ's own worker would exit."""
    server, worker, live = live_system.redis, live_system.worker, live_system.live
    hook = Hook(redis_client())
    hook.pause_next("outage")  # after the score script, go on once Redis is gone
    submission_id = live.submit(RIGHT)
    hook.wait_paused(submission_id)
    server.crash()
    wait_until(lambda: "Redis unreachable while finishing job" in worker.tail(50_000) or not worker.alive(),
               timeout=30, what="the worker to meet the outage while finishing the job")
    assert worker.alive(), f"the worker exited on the outage:\n{worker.tail()}"
    server.restart()

    # The job's end was never recorded: RQ finds it abandoned and retries it, and the retry
    # finds the score already applied.
    wait_until(lambda: _job_status(submission_id) == "finished", timeout=30,
               what="the interrupted job to be retried to the end")
    assert worker.alive()
    me = live.call("GET", "/api/v1/me").body
    assert (me["total_score"], me["quizzes_solved"]) == (35, 1)
    assert submission_status(redis_client(), submission_id) == "processed"


def _job_status(job_id: str) -> str | None:
    return redis_client().hget(rq_keys.rq_job(job_id), "status")


def _accept(user: dict, quiz: dict, count: int) -> list[str]:
    """`count` acknowledged submissions, oldest first."""
    return [
        quiz_services.submission_create(user_id=user["id"], quiz_id=quiz["id"], answers=RIGHT).id
        for _ in range(count)
    ]


def _survivors(accepted: list[str]) -> list[bool]:
    """For each acknowledged submission: is it whole after the restart (record and score job)?"""
    client = redis_client()
    whole = [bool(client.exists(quiz_keys.submission(s)) and client.exists(rq_keys.rq_job(s)))
             for s in accepted]
    partial = [s for s in accepted if client.exists(quiz_keys.submission(s)) != client.exists(rq_keys.rq_job(s))]
    assert partial == []  # the accept script's writes survive together or not at all
    return whole


def test_a_crash_under_appendfsync_always_loses_no_acknowledged_write(private_redis):
    server = private_redis(*AOF_ALWAYS)
    user = account_services.user_create(username="alice", password=PASSWORD)
    accepted = _accept(user, quiz_services.quiz_create(**quiz_body()), 300)
    _crash_and_restart(server)  # right after the last acknowledged write
    assert all(_survivors(accepted))
    assert redis_client().llen(rq_keys.rq_queue("scores")) == len(accepted)


def _aof_flushed() -> bool:
    info = redis_client().info("persistence")
    return info["aof_buffer_length"] == 0 and info["aof_pending_bio_fsync"] == 0


def test_a_crash_under_everysec_loses_at_most_the_last_unsynced_writes(private_redis):
    """The launcher's `appendfsync everysec`: Redis answers before the write reaches the AOF
    (it may hold it back while the previous fsync runs), so a crash can lose the last second
    or two of acknowledged writes; what was synced stays, and the loss is only a tail."""
    server = private_redis("--appendonly", "yes", "--appendfsync", "everysec")
    user = account_services.user_create(username="alice", password=PASSWORD)
    quiz = quiz_services.quiz_create(**quiz_body())
    synced = _accept(user, quiz, 100)
    wait_until(_aof_flushed, timeout=10, what="the AOF to be written and synced")
    recent = _accept(user, quiz, 300)
    _crash_and_restart(server)
    assert all(_survivors(synced))
    kept = _survivors(recent)
    assert kept == sorted(kept, reverse=True), "lost writes must be the most recent ones only"
