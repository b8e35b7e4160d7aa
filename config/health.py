"""`GET /api/v1/health`: Redis reachability, score-queue depth, failed jobs, live workers."""
from __future__ import annotations

import django_rq
from django.conf import settings
from drf_spectacular.utils import extend_schema, extend_schema_serializer
from rest_framework import serializers
from rest_framework.permissions import AllowAny
from rest_framework.response import Response
from rest_framework.viewsets import ViewSet
from rq import Worker
from rq.registry import FailedJobRegistry

from config.outbox import outbox_backlog
from config.redis import redis_client


def health_status() -> dict:
    """Return the health document; raises redis errors when Redis is unreachable."""
    redis_client().ping()
    queue = django_rq.get_queue(settings.SCORE_QUEUE)
    failed = FailedJobRegistry(queue=queue)
    body = {
        "status": "ok",
        "redis": "ok",
        "queue": {"name": queue.name, "queued": queue.count, "failed": failed.count},
        "workers": Worker.count(queue=queue),
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
    queued = serializers.IntegerField()
    failed = serializers.IntegerField()


class ArchiveOut(serializers.Serializer):
    database = serializers.CharField(help_text="`ok` or `unreachable`.")
    backlog = serializers.IntegerField(help_text="Outbox entries not yet in PostgreSQL.")
    oldest_age_seconds = serializers.FloatField(help_text="Age of the oldest of them (0 when none).")


@extend_schema_serializer(many=False)  # one document, though `list` serves it
class HealthOut(serializers.Serializer):
    status = serializers.CharField()
    redis = serializers.CharField()
    queue = QueueOut()
    workers = serializers.IntegerField()
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
