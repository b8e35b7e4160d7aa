"""`GET /api/v1/health`: Redis, score-queue depth, failed jobs and live workers, no login needed."""
from __future__ import annotations

from datetime import datetime, timedelta, timezone

import django_rq
from django.conf import settings
from rq import SimpleWorker

from tests.ops.test_queue_stats import explode
from config.jobs import keys as rq_keys


def test_health_reports_queue_depth_failures_and_workers(api):
    queue = django_rq.get_queue(settings.SCORE_QUEUE)
    queue.enqueue(explode)
    SimpleWorker([queue], connection=queue.connection).work(burst=True)
    for _ in range(3):
        queue.enqueue(explode)
    worker = SimpleWorker([queue], connection=queue.connection)
    worker.register_birth()
    try:
        body = api.get("/api/v1/health").json()
    finally:
        worker.register_death()

    assert body["status"] == "ok" and body["redis"] == "ok"
    assert body["queue"]["queued"] == 3 and body["queue"]["failed"] == 1
    assert body["workers"] == 1
    assert api.get("/api/v1/health").json()["workers"] == 0


def test_health_counts_only_workers_that_heartbeat(api, redis):
    from rq.utils import utcformat

    from config.jobs.workers import LIVE_WORKER_SECONDS

    queue = django_rq.get_queue(settings.SCORE_QUEUE)
    alive, dead = (SimpleWorker([queue], connection=queue.connection) for _ in range(2))
    alive.register_birth()
    dead.register_birth()
    try:
        # killed -9: its key outlives it (worker_ttl + 60 s) but it heartbeats no more
        silent_since = datetime.now(timezone.utc) - timedelta(seconds=LIVE_WORKER_SECONDS + 1)
        redis.hset(dead.key, "last_heartbeat", utcformat(silent_since))
        assert api.get("/api/v1/health").json()["workers"] == 1
    finally:
        alive.register_death()
        dead.register_death()


def test_health_reports_started_and_stuck_work(api, make_user, redis, settings):
    from quizzes import services as quiz_services
    from tests.quizzes.conftest import quiz_body

    settings.SCORE_RESCUE_AFTER_SECONDS = 30
    user = make_user("stuck")
    quiz = quiz_services.quiz_create(**quiz_body())
    old = datetime.now(timezone.utc) - timedelta(minutes=2)
    late = quiz_services.submission_create(user_id=user["id"], quiz_id=quiz["id"], answers=[0, 1, 0], now=old)
    quiz_services.submission_create(user_id=user["id"], quiz_id=quiz["id"], answers=[0, 1, 0])  # just now
    redis.zadd(rq_keys.rq_started(settings.SCORE_QUEUE), {f"{late.id}:x": 2**40})  # lease still on

    queue = api.get("/api/v1/health").json()["queue"]
    assert (queue["queued"], queue["started"], queue["abandoned"], queue["stuck"]) == (2, 1, 0, 1)
    assert queue["rescued"] == 0
