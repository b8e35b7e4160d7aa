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

from config.redis import redis_client


def health_status() -> dict:
    """Return the health document; raises redis errors when Redis is unreachable."""
    redis_client().ping()
    queue = django_rq.get_queue(settings.SCORE_QUEUE)
    failed = FailedJobRegistry(queue=queue)
    return {
        "status": "ok",
        "redis": "ok",
        "queue": {"name": queue.name, "queued": queue.count, "failed": failed.count},
        "workers": Worker.count(queue=queue),
    }


class QueueOut(serializers.Serializer):
    name = serializers.CharField()
    queued = serializers.IntegerField()
    failed = serializers.IntegerField()


@extend_schema_serializer(many=False)  # one document, though `list` serves it
class HealthOut(serializers.Serializer):
    status = serializers.CharField()
    redis = serializers.CharField()
    queue = QueueOut()
    workers = serializers.IntegerField()


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
