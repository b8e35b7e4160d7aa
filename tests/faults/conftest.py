"""Fixtures for fault tests: real, hookable worker processes, players and quizzes on the test Redis."""
from __future__ import annotations

import django_rq
import pytest
from django.conf import settings as django_settings
from rq.job import Job

from tests.faults.hooked_worker import PAUSE_NEXT, PAUSED, RELEASE
from tests.faults.processes import WorkerProcess, wait_until
from tests.quizzes.conftest import (  # noqa: F401  (fixtures shared with the quizzes tests)
    _generous_submission_limit,
    admin_client,
    player,
    quiz,
)

BOOT_SECONDS = 30  # a worker process imports Django and registers itself well within this
SCORED_SECONDS = 30  # recovery: lease (1 s) + maintenance (1 s) + a retry, with room for a slow CI


@pytest.fixture
def workers():
    """Start hooked worker processes (tests.faults.hooked_worker); all are ended after the test."""
    started: list[WorkerProcess] = []

    def _start(*, queues: tuple[str, ...] = ("scores",), env: dict[str, str] | None = None,
               ready: bool = True) -> WorkerProcess:
        worker = WorkerProcess(queues=queues, env=env).start()
        started.append(worker)
        if ready:
            worker_ready(worker)
        return worker

    yield _start
    for worker in started:
        worker.stop()


def worker_ready(worker: WorkerProcess, client=None) -> None:
    """Wait until the worker is in its work loop: registered, signal handlers installed.

    RQ registers a worker ("started") before it installs its SIGTERM handler; the state turns
    "idle" (or "busy") only once the loop runs, so a signal sent from then on is handled.
    """
    from config.redis.clients import redis_client

    client = client or redis_client()

    def listening() -> bool:
        assert worker.alive(), f"worker exited early:\n{worker.tail()}"
        return client.hget(worker.key, "state") in ("idle", "busy")

    wait_until(listening, timeout=BOOT_SECONDS, what=f"{worker.name} to start working")


class Hook:
    """The tests' side of the pause hook in tests.faults.hooked_worker."""

    def __init__(self, client) -> None:
        self.client = client

    def pause_next(self, where: str) -> None:
        assert where in ("before", "after", "outage")
        self.client.set(PAUSE_NEXT, where)

    def wait_paused(self, submission_id: str, timeout: float = BOOT_SECONDS) -> None:
        wait_until(
            lambda: submission_id in self.client.lrange(PAUSED, 0, -1), timeout=timeout,
            what=f"the score job of {submission_id} to reach the pause",
        )

    def release(self) -> None:
        self.client.set(RELEASE, "1")


@pytest.fixture
def hook(redis) -> Hook:
    return Hook(redis)


@pytest.fixture
def score_queue():
    return django_rq.get_queue(django_settings.SCORE_QUEUE)


def score_job(queue, submission_id: str) -> Job:
    """The submission's score job (a submission's id is its job's id)."""
    return Job.fetch(submission_id, connection=queue.connection)


def submission_status(redis, submission_id: str) -> str | None:
    from quizzes import keys

    return redis.hget(keys.submission(submission_id), "status")


def wait_processed(redis, submission_id: str, worker: WorkerProcess | None = None) -> None:
    def processed() -> bool:
        status = submission_status(redis, submission_id)
        assert status != "failed", f"submission {submission_id} failed"
        return status == "processed"

    try:
        wait_until(processed, timeout=SCORED_SECONDS, what=f"submission {submission_id} to be scored")
    except AssertionError:
        if worker is not None:
            print(worker.tail())
        raise


@pytest.fixture
def private_redis(settings):
    """Start a Redis of the test's own (it may crash it); this process's clients point at it."""
    from config.redis.clients import reset_clients
    from tests.conftest import point_redis
    from tests.faults.processes import RestartableRedis

    servers: list[RestartableRedis] = []

    def _start(*args: str) -> RestartableRedis:
        server = RestartableRedis(*args).start()
        servers.append(server)
        point_redis(settings, server.url)
        return server

    yield _start
    reset_clients()
    for server in servers:
        server.stop()


@pytest.fixture
def live_system(private_redis, web_server_factory, workers, settings):
    """The Procfile's web server and a hooked worker on a Redis of the test's own (AOF, fsync always), populated
    by tests.faults.live.populate, its first submission already scored (15 points for alice)."""
    from tests.faults.live import System, populate, processed

    # Retries without backoff, so a retry needs no scheduler pass and the tests stay short.
    settings.SCORE_JOB_RETRY_INTERVALS = [0, 0, 0]
    server = private_redis("--appendonly", "yes", "--appendfsync", "always")
    web = web_server_factory(REDIS_URL=server.url, RATELIMIT_SUBMISSIONS_RATE="100/60s",
                             SCORE_JOB_RETRY_INTERVALS="0,0,0")
    worker = workers(env={"REDIS_URL": server.url})
    live = populate(web.url)
    wait_until(lambda: processed(live.submission_id), timeout=SCORED_SECONDS, what="the first score")
    return System(redis=server, web=web, worker=worker, live=live)
