"""`GET /api/v1/admin/queues`: django-rq's queue statistics and RQ's cron schedulers, for admins.

django-rq's own dashboard needs Django's admin site and database sessions, which this project
does not have; this endpoint reports the same numbers (it calls the function behind that
dashboard and behind `manage.py rqstats`) through the API's bearer authentication.
"""
from __future__ import annotations

from django_rq.utils import get_cron_schedulers, get_statistics
from drf_spectacular.utils import OpenApiResponse, extend_schema, extend_schema_serializer
from rest_framework import serializers
from rest_framework.permissions import IsAdminUser
from rest_framework.response import Response
from rest_framework.viewsets import ViewSet

QUEUE_FIELDS = (
    "name", "jobs", "started_jobs", "finished_jobs", "failed_jobs",
    "deferred_jobs", "scheduled_jobs", "workers",
)


def _cron_scheduler(scheduler) -> dict:
    return {
        "name": scheduler.name,
        "hostname": scheduler.hostname,
        "pid": scheduler.pid,
        "last_heartbeat": scheduler.last_heartbeat,
        "jobs": [
            {
                "name": job.name,
                "func_name": job.func_name,
                "queue_name": job.queue_name,
                "cron": job.cron,
                "interval": job.interval,
                "latest_enqueue_time": job.latest_enqueue_time,
                "next_enqueue_time": job.next_enqueue_time,
            }
            for job in scheduler.get_jobs()
        ],
    }


def queue_statistics() -> dict:
    """Per-queue job counts and live workers (django-rq's numbers), plus live cron schedulers."""
    queues = [{f: q[f] for f in QUEUE_FIELDS} for q in get_statistics()["queues"]]
    return {"queues": queues, "cron_schedulers": [_cron_scheduler(s) for s in get_cron_schedulers()]}


class RqQueueOut(serializers.Serializer):
    name = serializers.CharField()
    jobs = serializers.IntegerField(help_text="Jobs waiting in the queue.")
    started_jobs = serializers.IntegerField()
    finished_jobs = serializers.IntegerField()
    failed_jobs = serializers.IntegerField()
    deferred_jobs = serializers.IntegerField()
    scheduled_jobs = serializers.IntegerField()
    workers = serializers.IntegerField(help_text="Live workers listening on this queue.")


class RqCronJobOut(serializers.Serializer):
    name = serializers.CharField()
    func_name = serializers.CharField()
    queue_name = serializers.CharField()
    cron = serializers.CharField(allow_null=True)
    interval = serializers.IntegerField(allow_null=True)
    latest_enqueue_time = serializers.DateTimeField(allow_null=True)
    next_enqueue_time = serializers.DateTimeField(allow_null=True)


class RqCronSchedulerOut(serializers.Serializer):
    name = serializers.CharField()
    hostname = serializers.CharField()
    pid = serializers.IntegerField()
    last_heartbeat = serializers.DateTimeField(allow_null=True)
    jobs = RqCronJobOut(many=True)


@extend_schema_serializer(many=False)  # one document, though `list` serves it
class QueueStatsOut(serializers.Serializer):
    queues = RqQueueOut(many=True)
    cron_schedulers = RqCronSchedulerOut(many=True)


class QueueStatsViewSet(ViewSet):
    """RQ queue statistics (admins only): the numbers of django-rq's stats page and `rqstats`."""

    permission_classes = [IsAdminUser]  # RedisUser.is_staff is its admin role

    def get_view_name(self) -> str:
        return "Queues"  # one document, not the router's "Queue Stats List"

    @extend_schema(
        operation_id="admin_queues_retrieve",
        responses={
            200: QueueStatsOut,
            403: OpenApiResponse(description="`forbidden`: the caller is not an admin."),
        },
    )
    def list(self, request):
        """RQ queue statistics (admins only): the numbers of django-rq's stats page and `rqstats`."""
        return Response(QueueStatsOut(queue_statistics()).data)
