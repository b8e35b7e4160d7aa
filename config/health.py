"""`GET /api/v1/health`: each Redis role's reachability, score-queue depth, failed jobs, live workers."""
from __future__ import annotations

from django.conf import settings
from drf_spectacular.utils import extend_schema, extend_schema_serializer
from rest_framework import serializers
from rest_framework.permissions import AllowAny
from rest_framework.response import Response
from rest_framework.viewsets import ViewSet
from rq import Queue, Worker
from rq.registry import FailedJobRegistry

from config.exceptions import REDIS_DOWN, ServiceUnavailable
from config.redis import role_client


ROLES = ("data", "queue", "channels", "cache")


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
    queue = Queue(settings.SCORE_QUEUE, connection=role_client("queue"))
    failed = FailedJobRegistry(queue=queue)
    return {
        "status": "ok",
        "redis": "ok",
        "roles": roles,
        "queue": {"name": queue.name, "queued": queue.count, "failed": failed.count},
        "workers": Worker.count(queue=queue),
    }


class RedisRolesOut(serializers.Serializer):
    data = serializers.CharField(help_text="REDIS_URL: users, sessions, quizzes, boards, limits, events.")
    queue = serializers.CharField(help_text="QUEUE_REDIS_URL: RQ.")
    channels = serializers.CharField(help_text="CHANNELS_REDIS_URL: the Channels layer.")
    cache = serializers.CharField(help_text="CACHE_REDIS_URL: results cache and browser sessions.")


class QueueOut(serializers.Serializer):
    name = serializers.CharField()
    queued = serializers.IntegerField()
    failed = serializers.IntegerField()


@extend_schema_serializer(many=False)  # one document, though `list` serves it
class HealthOut(serializers.Serializer):
    status = serializers.CharField()
    redis = serializers.CharField()
    roles = RedisRolesOut()
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
