"""`GET /api/v1/health`: Redis, score-queue depth, failed jobs and live workers, no login needed."""
from __future__ import annotations

import django_rq
from django.conf import settings
from rq import SimpleWorker

from tests.ops.test_queue_stats import explode


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
