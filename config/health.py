"""`GET /api/v1/health` (wiring: it reads every role and the apps' queue records): each Redis role's reachability, the score queue's jobs, live workers, the archive, the data's epoch.

A data store that lost its data (config/redis/epoch.py) answers 503 in the error envelope, its
`details` the whole health document with `status` and `data` both "lost".

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

from config.http.exceptions import ServiceUnavailable
from config.redis.epoch import LOST, epoch_check
from config.redis.errors import REDIS_DOWN
from config.outbox.reader import outbox_backlog
from config.redis.clients import redis_client, role_client
from config.redis.keys import epoch as epoch_key
from quizzes import keys as quiz_keys
from config.jobs import keys as rq_keys
from config.jobs.workers import live_workers

ROLES = ("data", "queue", "channels", "cache")
DATA_LOST_MESSAGE = (
    "Redis lost its data (it came back empty). Operators: `manage.py rebuild_redis` restores it from "
    "PostgreSQL; without PostgreSQL, `manage.py data_reset --confirm` acknowledges the loss."
)

def roles_status() -> dict[str, str]:
    """PING each role's Redis once (roles on one address share the answer): "ok" or "unreachable"."""
    answers: dict[object, str] = {}
    status = {}
    for role in ROLES:
        address = settings.REDIS_ROLES[role]
        if address not in answers:
            try:
                role_client(role).ping()
                answers[address] = "ok"
            except REDIS_DOWN:
                if role == "data":
                    raise  # the data store itself: the plain 503 of a Redis outage
                answers[address] = "unreachable"
        status[role] = answers[address]
    return status


def health_status() -> dict:
    """Return the health document; raises when a role's Redis is unreachable (503)."""
    roles = roles_status()
    down = sorted(role for role, answer in roles.items() if answer != "ok")
    if down:
        raise ServiceUnavailable(
            f"Redis unreachable for: {', '.join(down)}; try again shortly.", details={"roles": roles},
        )
    client = redis_client()
    # RQ's keys are on the queue role; with it on the data Redis, one pipeline reads everything.
    shared = settings.REDIS_ROLES["queue"] == settings.REDIS_ROLES["data"]
    rq_client = client if shared else role_client("queue")
    name = settings.SCORE_QUEUE
    now = time.time()
    overdue_ms = int((now - settings.SCORE_RESCUE_AFTER_SECONDS) * 1000)
    with rq_client.pipeline(transaction=False) as pipe:
        pipe.llen(rq_keys.rq_queue(name))
        pipe.zcard(rq_keys.rq_started(name))
        pipe.zcount(rq_keys.rq_started(name), "-inf", now)  # lease over: the worker is gone
        pipe.zcard(rq_keys.rq_failed(name))
        data_pipe = pipe if shared else client.pipeline(transaction=False)
        data_pipe.zcount(quiz_keys.submissions_queued(), "-inf", overdue_ms)
        data_pipe.get(quiz_keys.submissions_rescued())
        data_pipe.get(epoch_key())
        replies = pipe.execute() + ([] if shared else data_pipe.execute())
    queued, started, abandoned, failed, stuck, rescued, epoch = replies
    body = {
        "status": "ok",
        "redis": "ok",
        "roles": roles,
        "queue": {
            "name": name, "queued": queued, "started": started, "abandoned": abandoned,
            "failed": failed, "stuck": stuck, "rescued": int(rescued or 0),
        },
        "workers": live_workers(rq_client, name, now=now),
    }
    if settings.ARCHIVE_ENABLED:
        body["archive"] = archive_status()
    body["data"] = epoch_check(client=client, raw=epoch)  # "unknown": no marker, PostgreSQL unreadable
    if body["data"] == LOST:
        body["status"] = "lost"
        raise ServiceUnavailable(DATA_LOST_MESSAGE, details=body)
    return body


def archive_status() -> dict:
    """The archive's outbox backlog, its oldest entry's age, and whether PostgreSQL answers."""
    from django.db import DatabaseError, connection

    from config.outbox.archiver import GROUP

    try:
        with connection.cursor() as cursor:
            cursor.execute("SELECT 1")
        database = "ok"
    except DatabaseError:
        connection.close()
        database = "unreachable"
    return {"database": database, **outbox_backlog(group=GROUP)}


class RedisRolesOut(serializers.Serializer):
    data = serializers.CharField(help_text="REDIS_URL: users, sessions, quizzes, boards, limits, events.")
    queue = serializers.CharField(help_text="QUEUE_REDIS_URL: RQ.")
    channels = serializers.CharField(help_text="CHANNELS_REDIS_URL: the Channels layer.")
    cache = serializers.CharField(help_text="CACHE_REDIS_URL: results cache and browser sessions.")


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
    roles = RedisRolesOut()
    queue = QueueOut()
    workers = serializers.IntegerField(help_text="Live workers on the score queue.")
    archive = ArchiveOut(required=False, help_text="Only with DATABASE_URL set.")
    data = serializers.CharField(
        help_text="`ok` (or `unknown`: no marker yet and PostgreSQL unreadable); when Redis came back empty the "
        "answer is a 503 whose details say `lost` (docs/operations.md)."
    )


class HealthViewSet(ViewSet):
    """Liveness and readiness in one: 200 when Redis answers with its data, 503 (error envelope) when not."""

    authentication_classes: list = []
    permission_classes = [AllowAny]

    def get_view_name(self) -> str:
        return "Health"  # one document, not the router's "Health List"

    @extend_schema(operation_id="health_retrieve", responses={200: HealthOut})
    def list(self, request):
        """Liveness and readiness in one: 200 when Redis answers, 503 (error envelope) when not."""
        return Response(health_status())
