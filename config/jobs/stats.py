"""`GET /api/v1/admin/queues`: django-rq's queue statistics and RQ's cron schedulers, for admins.

django-rq's own dashboard needs Django's admin site and database sessions, which this project
does not have; this endpoint reports the same numbers (those of that dashboard and of
`manage.py rqstats`) through the API's bearer authentication.

They are read, not computed by django-rq's `get_statistics`: that calls `len()` on RQ's started
registry, which runs `cleanup()`, which runs an abandoned job's failure callback under a SIGALRM
death penalty, and in a server thread that raises "signal only works in main thread" (a 500
until the worker's maintenance got there first; rq/rq#2135, #2086). Cleaning up is the
workers' job; here each queue's numbers are one pipelined round trip of LLEN and ZCARDs.
"""
from __future__ import annotations

from django.conf import settings
from django_rq.utils import get_cron_schedulers
from drf_spectacular.utils import OpenApiResponse, extend_schema, extend_schema_serializer
from rest_framework import serializers
from rest_framework.permissions import IsAdminUser
from rest_framework.response import Response
from rest_framework.viewsets import ViewSet

from config.jobs.workers import live_workers
from config.redis.clients import redis_client
from config.jobs import keys as rq_keys

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


def _queue_row(client, name: str) -> dict:
    with client.pipeline(transaction=False) as pipe:
        pipe.llen(rq_keys.rq_queue(name))
        pipe.zcard(rq_keys.rq_started(name))
        pipe.zcard(rq_keys.rq_finished(name))
        pipe.zcard(rq_keys.rq_failed(name))
        pipe.zcard(rq_keys.rq_deferred(name))
        pipe.zcard(rq_keys.rq_scheduled(name))
        counts = pipe.execute()
    return dict(zip(QUEUE_FIELDS, [name, *counts, live_workers(client, name)]))


def queue_statistics() -> dict:
    """Per-queue job counts and live workers (django-rq's numbers), plus live cron schedulers."""
    client = redis_client()
    queues = [_queue_row(client, name) for name in settings.RQ_QUEUES]
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
