"""The scoring pipeline under crashes, on the Procfile's own processes in their default configuration.

- redis-server SIGKILLed six times under a submission backlog and restarted on the same AOF
  (`appendfsync always`): every submission that got a 202 is scored.
- the worker SIGKILLed ten times under load and started again, as a process manager would: every
  submission caught by a kill is scored within 60 s of it, through RQ's abandoned-job handling;
  the scheduler the worker forked dies with it.

The web server is the Procfile's; `worker`, `maintenance` and `scheduler` are the Procfile's lines
unchanged (tests.faults.stack), so the reconciler runs as the cron scheduler enqueues it.
"""
from __future__ import annotations

import time

import pytest

from accounts import keys as account_keys
from config.redis.clients import redis_client
from quizzes import keys as quiz_keys
from quizzes import services as quiz_services
from tests.faults.live import make_user
from tests.faults.processes import wait_until
from tests.faults.stack import Load, ProcfileProcess, children, pid_alive, statuses, wait_all_processed
from tests.quizzes.conftest import quiz_body
from config.jobs import keys as rq_keys

PLAYERS = 4
REDIS_CRASHES = 6
WORKER_KILLS = 10
AFTER_LAST_RESTART = 90  # seconds: the promise for Redis crashes
AFTER_A_KILL = 60  # seconds: the promise for worker kills


@pytest.fixture
def stack(private_redis, web_server_factory):
    """A Redis of the test's own (AOF, fsync always), the Procfile's web, worker, maintenance and
    scheduler processes on it, players and a quiz."""
    server = private_redis("--appendonly", "yes", "--appendfsync", "always")
    env = {"REDIS_URL": server.url}
    web = web_server_factory(RATELIMIT_SUBMISSIONS_RATE="100000/60s", **env)
    processes = {name: ProcfileProcess(name, env).start() for name in ("worker", "maintenance", "scheduler")}
    players = [make_user(f"player{i}") for i in range(PLAYERS)]
    quiz = quiz_services.quiz_create(**quiz_body())
    try:
        yield server, web, processes, players, quiz
    finally:
        for process in processes.values():
            process.stop()


def _assert_scored_once(redis, players) -> None:
    for player in players:
        profile = redis.hgetall(account_keys.user_profile(player["id"]))
        assert (profile["total_score"], profile["quizzes_solved"]) == ("35", "1")


@pytest.mark.timeout(300)
def test_redis_killed_six_times_under_a_backlog_loses_no_submission(stack):
    server, web, processes, players, quiz = stack
    load = Load(web.url, quiz["id"], [p["token"] for p in players], pause=0.05).start()
    try:
        for _ in range(REDIS_CRASHES):
            load.burst(40)  # a backlog for the worker to be in the middle of
            server.crash()
            server.restart()
            last_restart = time.time()
            wait_until(lambda: redis_client().ping(), timeout=10, what="Redis to answer")
    finally:
        load.stop()
    redis = redis_client()
    try:
        done = wait_all_processed(redis, load.accepted, timeout=AFTER_LAST_RESTART + 30)
    except AssertionError as stuck:
        alive = {name: p.alive() for name, p in processes.items()}
        raise AssertionError(f"{stuck}\nprocesses alive: {alive}\nworker log:\n{processes['worker'].tail()}") from None
    rescued = int(redis.get(quiz_keys.submissions_rescued()) or 0)
    print(f"\n{len(load.accepted)} submissions accepted over {REDIS_CRASHES} Redis crashes; "
          f"all processed {done - last_restart:.1f} s after the last restart; reconciler rescued {rescued}")
    assert done - last_restart <= AFTER_LAST_RESTART
    assert all(p.alive() for p in processes.values()), "a process exited because Redis went away"
    _assert_scored_once(redis, players)


@pytest.mark.timeout(300)
def test_worker_killed_ten_times_under_load_scores_every_submission_within_a_minute(stack):
    server, web, processes, players, quiz = stack
    worker = processes["worker"]
    redis = redis_client()
    finished = rq_keys.rq_finished("scores")
    # Light enough that the worker keeps up even on a busy machine: the delays measured are
    # recovery, not a backlog.
    load = Load(web.url, quiz["id"], [p["token"] for p in players], pause=0.4).start()
    kills: list[float] = []
    try:
        for _ in range(WORKER_KILLS):
            done_before = redis.zcard(finished)
            wait_until(lambda: redis.zcard(finished) >= done_before + 5, timeout=60,
                       what="the worker to be scoring")  # running, and busy
            forked = children(worker.pid)  # its scheduler process
            worker.kill()
            kills.append(time.time())
            wait_until(lambda: not any(pid_alive(pid) for pid in forked), timeout=10,
                       what="the worker's scheduler to die with it")
            worker.start()
    finally:
        load.stop()
    wait_all_processed(redis, load.accepted, timeout=AFTER_A_KILL + 30)
    scored = statuses(redis, load.accepted)
    delays = [0.0] * len(kills)  # per kill: the slowest submission it was the first kill to catch
    for sid, (_, at) in scored.items():
        first = next((i for i, killed_at in enumerate(kills) if load.accepted[sid] < killed_at < at), None)
        if first is not None:
            delays[first] = max(delays[first], at - kills[first])
    print(f"\n{len(load.accepted)} submissions accepted over {WORKER_KILLS} worker kills; "
          f"slowest submission first caught by each kill scored after (s): {[round(d, 1) for d in delays]}; "
          f"reconciler rescued {int(redis.get(quiz_keys.submissions_rescued()) or 0)}")
    assert max(delays) <= AFTER_A_KILL, delays
    _assert_scored_once(redis, players)
