"""Every Prometheus metric of every process, defined here and nowhere else (docs/operations.md, "Metrics").

prometheus_client in multiprocess mode: each process (the uvicorn web processes, the RQ workers,
the cron scheduler, the relay, the archiver) writes its values to memory-mapped files in
settings.METRICS_DIR, which settings.py exports as PROMETHEUS_MULTIPROC_DIR before this module
(and so prometheus_client) is imported; `GET /metrics` (config/metrics/scrape.py) sums them.
Chosen over django-prometheus, which instruments Django's request cycle and database only: it
sees neither the RQ workers nor the requests answered on the event loop (config/http/fastpath.py),
and it would add its own middleware pair and per-request label lookups on top of ours.

A process's live gauges are dropped when it exits (`mark_process_dead`, from atexit and from
multiprocessing's exit hook, which is what uvicorn's spawned web processes run instead of atexit);
its counters stay, as they should. The folder is wiped once at stack start (`make run` does it;
in production the container's entrypoint does). `METRICS_ENABLED=0` makes every metric here a
no-op, for the side-by-side benchmark (bench/metrics_cost.py).

Apps import this module and increment; it imports no app. Labels come from small fixed sets:
route templates, never raw paths; close codes, outcomes and limiter scopes named in code.
"""
from __future__ import annotations

import atexit
import multiprocessing.util
import os
import sys

from django.conf import settings

ENABLED: bool = settings.METRICS_ENABLED  # settings.py has set PROMETHEUS_MULTIPROC_DIR by now

from prometheus_client import Counter, Gauge, Histogram, values  # noqa: E402

if ENABLED and not getattr(values.ValueClass, "_multiprocess", False):
    raise RuntimeError(
        "prometheus_client was imported before settings.py set PROMETHEUS_MULTIPROC_DIR: its values "
        "would stay in this process and never reach GET /metrics"
    )

# Seconds. The HTTP buckets are the client's defaults; jobs take longer when Redis stalls.
HTTP_BUCKETS = (0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0)
JOB_BUCKETS = (0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 5.0, 30.0, 120.0)
METHODS = frozenset({"GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS"})
# What `role` says in redis_errors_total: the Procfile process this is, from its command line.
ROLES = {"rqworker": "worker", "cron": "scheduler", "outbox_relay": "relay", "archiver": "archiver"}


class _Off:
    """Stands in for any metric when METRICS_ENABLED is off: every call does nothing."""

    def labels(self, *args, **kwargs) -> "_Off":
        return self

    def inc(self, amount: float = 1) -> None:
        pass

    dec = observe = set = inc


def _counter(name: str, documentation: str, labels: tuple[str, ...] = ()):
    return Counter(name, documentation, labels, registry=None) if ENABLED else _Off()


def _histogram(name: str, documentation: str, labels: tuple[str, ...] = (), buckets=HTTP_BUCKETS):
    return Histogram(name, documentation, labels, buckets=buckets, registry=None) if ENABLED else _Off()


def _gauge(name: str, documentation: str, labels: tuple[str, ...] = ()):
    # livesum: the sum over the processes that still run (a dead one's file is dropped).
    return Gauge(name, documentation, labels, multiprocess_mode="livesum", registry=None) if ENABLED else _Off()


# --- HTTP (config/metrics/http.py and the event-loop fast path) ----------------------------------
http_requests = _counter(
    "http_requests", "HTTP requests answered, by route template, method and status.", ("route", "method", "status"))
http_request_duration = _histogram(
    "http_request_duration_seconds", "Time to answer an HTTP request, by route template and method.",
    ("route", "method"))

# --- Submissions and scoring (quizzes/apis.py, quizzes/tasks.py, quizzes/scoring.py) -------------
submissions_accepted = _counter(
    "quizboard_submissions_accepted", "Submissions accepted and queued for scoring (replays not counted).")
submissions_refused = _counter(
    "quizboard_submissions_refused", "Submissions refused, by the answer's status code.", ("reason",))
score_jobs = _counter(
    "quizboard_score_jobs", "Score job runs by outcome: applied, skipped (already applied or failed), "
    "retried, requeued (left to the reconciler), failed.", ("outcome",))
score_job_duration = _histogram(
    "quizboard_score_job_duration_seconds", "Time a score job run took, whatever its outcome.",
    buckets=JOB_BUCKETS)
reconciler_rescues = _counter(
    "quizboard_reconciler_rescues", "Submissions the reconciler found without a job and enqueued again.")

# --- WebSockets (leaderboard/consumers.py) -------------------------------------------------------
websocket_connections = _gauge(
    "quizboard_websocket_connections", "WebSockets open now, by path.", ("path",))
websocket_messages_sent = _counter(
    "quizboard_websocket_messages_sent", "Messages sent to WebSocket clients, by path.", ("path",))
websocket_closes = _counter(
    "quizboard_websocket_closes", "WebSockets closed, by close code (4400, 4401, 4429, 4503) or "
    "`client` when the client closed.", ("code",))

# --- Rate limits (ratelimit/throttles.py) and Redis errors ---------------------------------------
ratelimit_rejections = _counter(
    "quizboard_ratelimit_rejections", "Requests refused by a rate limiter, by limiter scope.", ("limiter",))
redis_errors = _counter(
    "quizboard_redis_errors", "Redis found unreachable or stalled (a 503, a fail-open, a loop's wait), "
    "by process role.", ("role",))


def process_role(argv: list[str] | None = None) -> str:
    """This process's Procfile role: web, worker, scheduler, relay, archiver (or other)."""
    argv = sys.argv if argv is None else argv
    if argv and argv[0].endswith("manage.py") and len(argv) > 1:
        return ROLES.get(argv[1], "other")
    return "web" if any(name in " ".join(argv[:1]) for name in ("uvicorn", "daphne", "granian", "gunicorn")) else "other"


ROLE = process_role()
_redis_errors_here = redis_errors.labels(ROLE)


def redis_error() -> None:
    """Count one REDIS_DOWN caught in this process."""
    _redis_errors_here.inc()


def method_label(method: str) -> str:
    """The request method, or `other` for one outside the fixed set."""
    return method if method in METHODS else "other"


def _mark_process_dead(pid: int = os.getpid()) -> None:
    from prometheus_client import multiprocess

    if os.getpid() == pid:  # a forked child inherits the hooks: only the process itself says it died
        multiprocess.mark_process_dead(pid)


if ENABLED:
    atexit.register(_mark_process_dead)
    multiprocessing.util.Finalize(None, _mark_process_dead, exitpriority=0)
