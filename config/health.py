"""`GET /api/v1/health`: Redis reachability, the score queue's jobs, live workers.

Read without RQ's registry cleanup (RQ's `count` on its registries runs `cleanup()`, which runs
failure callbacks): a health probe must only read, in one round trip after the PING.
"""
from __future__ import annotations

import time

from django.conf import settings
from drf_spectacular.utils import extend_schema, extend_schema_serializer
from rest_framework import serializers
from rest_framework.permissions import AllowAny
from rest_framework.response import Response
from rest_framework.viewsets import ViewSet
from rq.utils import utcparse

from config.outbox import outbox_backlog
from config.redis import redis_client
from quizzes import keys as quiz_keys

# A worker heartbeats at every wake-up of its blocking dequeue (10 s with config.worker's
# WORKER_TTL) and at the start and end of each job (a score job times out at 10 s); one that has
# been silent this long is dead, even while its key (kept worker_ttl + 60 s) still exists.
LIVE_WORKER_SECONDS = 45


def live_workers(client, queue_name: str, *, now: float | None = None) -> int:
    """Workers registered on `queue_name` whose last heartbeat is recent."""
    now = time.time() if now is None else now
    worker_keys = sorted(client.smembers(quiz_keys.rq_workers(queue_name)))
    if not worker_keys:
        return 0
    with client.pipeline(transaction=False) as pipe:
        for key in worker_keys:
            pipe.hmget(key, "last_heartbeat", "death")
        beats = pipe.execute()
    return sum(
        1 for beat, death in beats
        if beat and not death and now - utcparse(beat).timestamp() <= LIVE_WORKER_SECONDS
    )


def health_status() -> dict:
    """Return the health document; raises redis errors when Redis is unreachable."""
    client = redis_client()
    client.ping()
    name = settings.SCORE_QUEUE
    now = time.time()
    overdue_ms = int((now - settings.SCORE_RESCUE_AFTER_SECONDS) * 1000)
    with client.pipeline(transaction=False) as pipe:
        pipe.llen(quiz_keys.rq_queue(name))
        pipe.zcard(quiz_keys.rq_started(name))
        pipe.zcount(quiz_keys.rq_started(name), "-inf", now)  # lease over: the worker is gone
        pipe.zcard(quiz_keys.rq_failed(name))
        pipe.zcount(quiz_keys.submissions_queued(), "-inf", overdue_ms)
        pipe.get(quiz_keys.submissions_rescued())
        queued, started, abandoned, failed, stuck, rescued = pipe.execute()
    body = {
        "status": "ok",
        "redis": "ok",
        "queue": {
            "name": name, "queued": queued, "started": started, "abandoned": abandoned,
            "failed": failed, "stuck": stuck, "rescued": int(rescued or 0),
        },
        "workers": live_workers(client, name, now=now),
    }
    if settings.ARCHIVE_ENABLED:
        body["archive"] = archive_status()
    return body


def archive_status() -> dict:
    """The archive's outbox backlog, its oldest entry's age, and whether PostgreSQL answers."""
    from django.db import DatabaseError, connection

    from config.archiver import GROUP

    try:
        with connection.cursor() as cursor:
            cursor.execute("SELECT 1")
        database = "ok"
    except DatabaseError:
        connection.close()
        database = "unreachable"
    return {"database": database, **outbox_backlog(group=GROUP)}


class QueueOut(serializers.Serializer):
    name = serializers.CharField()
    queued = serializers.IntegerField(help_text="Score jobs waiting in the queue.")
    started = serializers.IntegerField(help_text="Score jobs a worker has started and not finished.")
    abandoned = serializers.IntegerField(
        help_text="Started jobs whose worker's lease ran out (it died); RQ's maintenance retries them."
    )
    failed = serializers.IntegerField()
    stuck = serializers.IntegerField(
        help_text="Submissions still queued longer than SCORE_RESCUE_AFTER_SECONDS."
    )
    rescued = serializers.IntegerField(help_text="Submissions the reconciler has re-enqueued, ever.")


class ArchiveOut(serializers.Serializer):
    database = serializers.CharField(help_text="`ok` or `unreachable`.")
    backlog = serializers.IntegerField(help_text="Outbox entries not yet in PostgreSQL.")
    oldest_age_seconds = serializers.FloatField(help_text="Age of the oldest of them (0 when none).")


@extend_schema_serializer(many=False)  # one document, though `list` serves it
class HealthOut(serializers.Serializer):
    status = serializers.CharField()
    redis = serializers.CharField()
    queue = QueueOut()
    workers = serializers.IntegerField(help_text="Live workers on the score queue.")
    archive = ArchiveOut(required=False, help_text="Only with DATABASE_URL set.")


class HealthViewSet(ViewSet):
    """Liveness and readiness in one: 200 when Redis answers, 503 (error envelope) when not."""

    authentication_classes: list = []
    permission_classes = [AllowAny]

    def get_view_name(self) -> str:
        return "Health"  # one document, not the router's "Health List"

    @extend_schema(operation_id="health_retrieve", responses={200: HealthOut})
    def list(self, request):
        """Liveness and readiness in one: 200 when Redis answers, 503 (error envelope) when not."""
        return Response(health_status())
