"""A Redis that comes back empty (FLUSHALL) under `honcho start`: no process exits, health says `lost`
until the data is restored (PostgreSQL: rebuild_redis) or the loss acknowledged (data_reset --confirm),
and with PostgreSQL no accepted submission is lost.
"""
from __future__ import annotations

import os
import signal
import subprocess
import sys
import time

import pytest
from django.db import connection

from config.outbox.reader import outbox_backlog
from config.redis.clients import redis_client
from quizzes import services as quiz_services
from tests.faults.live import http, make_user
from tests.faults.processes import wait_until
from tests.faults.stack import HonchoStack, pid_alive, wait_all_processed
from tests.processes import ROOT
from tests.quizzes.conftest import quiz_body

UP_SECONDS = 60
# Every loop has met the empty Redis by then: the worker's maintenance and the epoch watches
# and the epoch watches (10 s and 5 s), the relay's and the archiver's reads (0.5 s).
AFTER_FLUSH_SECONDS = 11


def _health(url: str):
    try:
        return http(url, "GET", "/api/v1/health", timeout=3)
    except OSError:
        return None


def _up(stack: HonchoStack) -> None:
    def healthy() -> bool:
        assert stack.proc.poll() is None, f"the stack stopped:\n{stack.tail()}"
        answer = _health(stack.url)
        return answer is not None and answer.status == 200
    wait_until(healthy, timeout=UP_SECONDS, what="the stack to come up", poll=0.2)
    client = redis_client()
    wait_until(lambda: client.scard("rq:workers:scores") and client.scard("rq:workers:maintenance")
               and client.zcard("rq:cron_schedulers"), timeout=UP_SECONDS, what="every process to register")


def _flush_and_check_every_process_survives(stack: HonchoStack) -> None:
    """FLUSHALL; every process is still the same one AFTER_FLUSH_SECONDS later, and health says lost."""
    before = stack.tree()
    redis_client().flushall()
    flushed = time.monotonic()
    answer = wait_until(lambda: (a := _health(stack.url)) is not None and a.status == 503 and a,
                        timeout=10, what="health to notice the loss", poll=0.2)
    noticed = time.monotonic() - flushed
    assert answer.body["error"]["code"] == "service_unavailable"
    assert answer.body["error"]["details"]["data"] == "lost"
    assert answer.body["error"]["details"]["redis"] == "ok"  # the document's fields stay
    while time.monotonic() - flushed < AFTER_FLUSH_SECONDS:
        assert stack.proc.poll() is None, f"the stack stopped after the flush:\n{stack.tail()}"
        time.sleep(0.5)
    gone = [pid for pid in before if not pid_alive(pid)]
    assert not gone, f"processes exited after the flush: {gone}\n{stack.tail()}"
    print(f"\nhealth said lost {noticed:.2f} s after the FLUSHALL; {len(before)} processes all still running "
          f"{AFTER_FLUSH_SECONDS} s later")


def _registered_again(groups: set[str]) -> None:
    """Each process recreated what it needs: its registration, the outbox's consumer groups."""
    client = redis_client()
    wait_until(lambda: client.scard("rq:workers:scores") and client.scard("rq:workers:maintenance")
               and client.zcard("rq:cron_schedulers"), timeout=30, what="the workers and the scheduler to register again")

    def outbox_groups() -> set[str]:
        return {g["name"] for g in client.xinfo_groups("qb:outbox")} if client.exists("qb:outbox") else set()

    wait_until(lambda: outbox_groups() >= groups, timeout=10, what=f"the outbox readers to recreate {groups}")


def _manage(stack: HonchoStack, *args: str) -> str:
    """Run `manage.py ARGS` as an operator would: a new process (no memory) on the stack's environment."""
    done = subprocess.run([sys.executable, "manage.py", *args], cwd=ROOT, env=stack.env, capture_output=True,
                          text=True, timeout=60)
    assert done.returncode == 0, done.stdout + done.stderr
    return done.stdout


def _register(url: str, name: str):
    return http(url, "POST", "/api/v1/auth/register", body={"username": name, "password": "correct-horse-1"})


def _worker_pid(stack: HonchoStack) -> int:
    """The score worker's Python process (not honcho's shell, not the scheduler it forks: a later pid)."""
    return min(pid for pid, cmd in stack.processes().items()
               if "rqworker" in cmd and cmd.rstrip().endswith(" scores") and not cmd.startswith(("/bin/sh", "sh ")))


@pytest.mark.timeout(150)
def test_flushall_without_postgresql_is_noticed_and_acknowledged(private_redis, settings):
    server = private_redis()  # no persistence: what a restart of such a Redis leaves is the same empty store
    stack = HonchoStack({"REDIS_URL": server.url}, name="flush").start()
    try:
        _up(stack)
        player = make_user("before")
        quiz = quiz_services.quiz_create(**quiz_body())
        first = http(stack.url, "POST", f"/api/v1/quizzes/{quiz['id']}/submissions", token=player["token"],
                     body={"answers": [0, 1, 0]})
        assert first.status == 202, first
        wait_all_processed(redis_client(), [first.body["id"]], timeout=30)

        _flush_and_check_every_process_survives(stack)
        _registered_again({"relay"})

        # Writes that need the lost records do not succeed on the empty store.
        assert _register(stack.url, "before").status == 503  # the name may belong to someone
        login = http(stack.url, "POST", "/api/v1/auth/login", body={"username": "before", "password": "correct-horse-1"})
        assert login.status == 503 and login.body["error"]["details"]["data"] == "lost"
        assert http(stack.url, "GET", "/api/v1/me", token=player["token"]).status == 401
        assert http(stack.url, "POST", f"/api/v1/quizzes/{quiz['id']}/submissions", token=player["token"],
                    body={"answers": [0, 1, 0]}).status == 401

        assert "loss acknowledged" in _manage(stack, "data_reset", "--confirm")
        assert _health(stack.url).status == 200
        assert _register(stack.url, "after").status == 201
    finally:
        stack.stop()


@pytest.mark.postgres
@pytest.mark.timeout(150)
def test_flushall_with_postgresql_is_rebuilt_and_loses_no_accepted_submission(private_redis, settings,
                                                                               transactional_db):
    from quizzes.models import Submission

    settings.ARCHIVE_ENABLED = True
    settings.OUTBOX_GROUPS = ["archive"]
    server = private_redis()
    s = connection.settings_dict
    database_url = f"postgres://{s['USER']}@{s['HOST']}:{s['PORT']}/{s['NAME']}"
    stack = HonchoStack({"REDIS_URL": server.url, "DATABASE_URL": database_url}, name="flush-pg").start()
    try:
        _up(stack)
        assert _register(stack.url, "keeper").status == 201  # hashed by the web process: it can log in again
        keeper = http(stack.url, "POST", "/api/v1/auth/login", body={"username": "keeper", "password": "correct-horse-1"})
        players = [make_user(f"player{i}") for i in range(2)] + [keeper.body["user"] | {"token": keeper.body["token"]}]
        quiz = quiz_services.quiz_create(**quiz_body())

        def submit(player):
            answer = http(stack.url, "POST", f"/api/v1/quizzes/{quiz['id']}/submissions", token=player["token"],
                          body={"answers": [0, 1, 0]})
            assert answer.status == 202, answer
            return answer.body["id"]

        scored = [submit(p) for p in players]
        wait_until(lambda: Submission.objects.filter(id__in=scored).count() == len(scored), timeout=30,
                   what="the first submissions to be scored and archived")
        worker = _worker_pid(stack)
        os.kill(worker, signal.SIGSTOP)  # the next ones stay queued when Redis loses them
        try:
            queued = [submit(p) for p in players for _ in range(2)]
            wait_until(lambda: outbox_backlog(group="archive")["backlog"] == 0, timeout=30,
                       what="the archive to record the queued submissions")
            _flush_and_check_every_process_survives(stack)
        finally:
            os.kill(worker, signal.SIGCONT)
        _registered_again({"relay", "archive"})

        out = _manage(stack, "rebuild_redis")
        assert f"{len(queued)} queued submissions restored" in out, out
        assert _health(stack.url).status == 200
        login = http(stack.url, "POST", "/api/v1/auth/login", body={"username": "keeper", "password": "correct-horse-1"})
        assert login.status == 200
        # Every 202 from before the flush ends scored in the record: the queued ones after the rebuild.
        accepted = scored + queued
        wait_until(lambda: Submission.objects.filter(id__in=accepted).count() == len(accepted), timeout=60,
                   what="every accepted submission to be scored and archived", poll=0.5)
        me = http(stack.url, "GET", "/api/v1/me", token=login.body["token"])
        assert me.body["total_score"] == 35  # the best attempt counts once, restored or re-scored
    finally:
        stack.stop()
