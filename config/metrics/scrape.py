"""`GET /metrics`: every process's values summed (prometheus_client's MultiProcessCollector), plus
what only Redis knows, read at scrape time: queue depth and oldest job age, outbox lag per group.

Served only to `Authorization: Bearer <METRICS_TOKEN>` (compared in constant time). Without the
setting, without the header or with another token the answer is the API's 404 envelope, the same
as for a path that does not exist, so the endpoint says nothing to whoever lacks the token.
"""
from __future__ import annotations

import hmac
import time
from datetime import datetime, timezone

from django.conf import settings
from django.http import Http404, HttpRequest, HttpResponse
from django.views.decorators.csrf import csrf_exempt
from prometheus_client import CollectorRegistry, generate_latest
from prometheus_client.core import GaugeMetricFamily
from prometheus_client.exposition import CONTENT_TYPE_LATEST

from config import metrics
from config.metrics import http
from config.http.exceptions import json_error_response
from config.jobs import keys as rq_keys
from config.outbox.reader import outbox_backlog
from config.redis.clients import redis_client, role_client
from config.redis.errors import REDIS_DOWN


def _age(enqueued_at: str | None, now: float) -> float:
    """Seconds since RQ's `enqueued_at` (its `%Y-%m-%dT%H:%M:%S.%fZ`), 0 for none."""
    if not enqueued_at:
        return 0.0
    stamp = datetime.strptime(enqueued_at, "%Y-%m-%dT%H:%M:%S.%fZ").replace(tzinfo=timezone.utc)
    return round(max(0.0, now - stamp.timestamp()), 3)


def queue_depths() -> dict[str, tuple[int, float]]:
    """Each RQ queue's waiting jobs and its oldest job's age (s), in one pipelined round trip.

    The oldest job is the queue list's head; SORT ... BY nosort GET reads its hash field in the
    same command, so the age needs no second round trip.
    """
    names = list(settings.RQ_QUEUES)
    now = time.time()
    with role_client("queue").pipeline(transaction=False) as pipe:
        for name in names:
            pipe.llen(rq_keys.rq_queue(name))
            pipe.sort(rq_keys.rq_queue(name), start=0, num=1, by="nosort", get=f"{rq_keys.rq_job('*')}->enqueued_at")
        replies = pipe.execute()
    found = {}
    for i, name in enumerate(names):
        depth, head = replies[2 * i], replies[2 * i + 1]
        stamp = head[0] if head else None
        found[name] = (int(depth), _age(stamp.decode() if isinstance(stamp, bytes) else stamp, now))
    return found


class RedisGauges:
    """Scrape-time gauges read from Redis; `quizboard_redis_up` 0 when it cannot be read."""

    def collect(self):
        up = GaugeMetricFamily("quizboard_redis_up", "1 when the scrape could read the queue and outbox figures from Redis.")
        try:
            families = list(self._read())
        except REDIS_DOWN:
            metrics.redis_error()
            up.add_metric([], 0)
            yield up
            return
        up.add_metric([], 1)
        yield up
        yield from families

    @staticmethod
    def _read():
        depth = GaugeMetricFamily("quizboard_queue_jobs", "Jobs waiting in each RQ queue.", labels=["queue"])
        age = GaugeMetricFamily("quizboard_queue_oldest_job_age_seconds",
                                "Age of the oldest job waiting in each RQ queue (0 when empty).", labels=["queue"])
        for name, (jobs, oldest) in queue_depths().items():
            depth.add_metric([name], jobs)
            age.add_metric([name], oldest)
        lag = GaugeMetricFamily("quizboard_outbox_lag_entries",
                                "Outbox entries each consumer group has not acknowledged yet.", labels=["group"])
        lag_age = GaugeMetricFamily("quizboard_outbox_lag_seconds",
                                    "Age of the oldest outbox entry each group has not acknowledged "
                                    "(group=\"archive\" is the archive's lag).", labels=["group"])
        client = redis_client()
        for group in settings.OUTBOX_GROUPS:
            backlog = outbox_backlog(group=group, client=client)
            lag.add_metric([group], backlog["backlog"])
            lag_age.add_metric([group], backlog["oldest_age_seconds"])
        return depth, age, lag, lag_age


def exposition() -> bytes:
    """The text every process's metrics and the Redis gauges make together."""
    from prometheus_client import multiprocess

    http.flush()  # this process's requests now; the others' within FLUSH_SECONDS
    registry = CollectorRegistry()
    multiprocess.MultiProcessCollector(registry)
    registry.register(RedisGauges())
    return generate_latest(registry)


def authorized(request: HttpRequest) -> bool:
    """Whether the request carries `Bearer <METRICS_TOKEN>` (never when the setting is empty)."""
    token = settings.METRICS_TOKEN
    scheme, _, given = request.headers.get("Authorization", "").partition(" ")
    if not (metrics.ENABLED and token and scheme.lower() == "bearer"):
        return False
    return hmac.compare_digest(given.strip().encode(), token.encode())


@csrf_exempt
def metrics_view(request: HttpRequest) -> HttpResponse:
    """Prometheus text format for every process of this host; 404 without the token."""
    if request.method not in ("GET", "HEAD") or not authorized(request):
        return json_error_response(Http404())
    response = HttpResponse(exposition(), content_type=CONTENT_TYPE_LATEST)
    response["Cache-Control"] = "no-store"
    return response
