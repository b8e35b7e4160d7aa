"""HTTP request metrics by route template: Django's middleware here, and `observe` for the fast path.

The route label is the URL pattern that answered, written as a template (`/api/v1/quizzes/{quiz_id}`),
never the raw path: ids would make a series per quiz. Paths no pattern routes are `unmatched`,
files WhiteNoise serves `static`. Each (route, method, status) keeps its own counter child, so a
request costs two dict lookups and two memory-mapped writes (bench/metrics_cost.py).
"""
from __future__ import annotations

import atexit
import multiprocessing.util
import os
import re
import threading
import time
from bisect import bisect_left
from collections import defaultdict, deque
from functools import lru_cache

from django.conf import settings
from django.http import HttpRequest
from django.urls import ResolverMatch

from config import metrics
from config.http.request_log import TimedRequestMiddleware

# prometheus_client's Histogram internals (`_sum`, `_buckets`, `_upper_bounds`), as in 0.26.
PATCHES = {"prometheus-client": ">=0.26,<0.27"}
FLUSH_SECONDS = 1.0
UNMATCHED = "unmatched"
_NAMED_GROUP = re.compile(r"\(\?P<(\w+)>(?:[^()]|\([^()]*\))*\)")
_CONVERTER = re.compile(r"<(?:\w+:)?(\w+)>")
_CATCH_ALL = "not-found"  # config.urls.NOT_FOUND: the pattern that answers every unrouted path


@lru_cache(maxsize=512)
def route_template(route: str) -> str:
    """A resolver's route (`api/v1/^quizzes/(?P<quiz_id>[^/.]+)$`) as `/api/v1/quizzes/{quiz_id}`."""
    template = _CONVERTER.sub(r"{\1}", _NAMED_GROUP.sub(r"{\1}", route))
    return "/" + template.replace("^", "").replace("$", "").replace("\\", "")


def route_label(match: ResolverMatch | None, path: str = "") -> str:
    """The route label of a resolved request (`static` or `unmatched` when nothing resolved)."""
    if match is None or match.url_name == _CATCH_ALL:
        return "static" if path.startswith(_static_prefix()) else UNMATCHED
    return route_template(match.route)


@lru_cache(maxsize=1)
def _static_prefix() -> str:
    return "/" + settings.STATIC_URL.lstrip("/")


class _Series:
    """Requests observed on the hot path, handed to prometheus_client once a second by a thread.

    Observing through the client costs a lock and a memory-mapped write per value: ~9 us per
    request for a counter and a histogram, 4% of the leaderboard read's server CPU (231 vs 223
    us per request, 1 web process, bench/metrics_cost.py). Here a request costs one
    `deque.append` (thread-safe, nothing lost); the flusher adds up what came per label set and
    writes each sum once: the counter with `inc(n)`, the histogram's sum and buckets through its
    children (`_sum`, `_buckets`, `_upper_bounds`: prometheus_client internals, see PATCHES). A
    scrape sees a process's requests up to FLUSH_SECONDS late; exit flushes what is left.
    """

    def __init__(self) -> None:
        self.pending: deque[tuple[str, str, int, float]] = deque()
        self.counts: dict[tuple[str, str, int], object] = {}
        self.durations: dict[tuple[str, str], object] = {}
        self._flusher: tuple[int, threading.Thread] | None = None
        self._lock = threading.Lock()

    def observe(self, route: str, method: str, status: int, seconds: float) -> None:
        self.pending.append((route, method, status, seconds))
        if self._flusher is None or self._flusher[0] != os.getpid():
            self._start()

    def _start(self) -> None:
        with self._lock:
            if self._flusher is None or self._flusher[0] != os.getpid():  # none yet, or forked
                thread = threading.Thread(target=self._run, name="metrics-flush", daemon=True)
                self._flusher = (os.getpid(), thread)
                thread.start()
                atexit.register(self.flush)
                multiprocessing.util.Finalize(None, self.flush, exitpriority=1)  # before mark_process_dead

    def _run(self) -> None:
        while True:
            time.sleep(FLUSH_SECONDS)
            self.flush()

    def flush(self) -> None:
        """Write what was observed since the last flush to this process's metric files."""
        counts: dict[tuple[str, str, int], int] = defaultdict(int)
        durations: dict[tuple[str, str], list[float]] = defaultdict(list)
        while True:
            try:
                route, method, status, seconds = self.pending.popleft()
            except IndexError:
                break
            counts[(route, method, status)] += 1
            durations[(route, method)].append(seconds)
        with self._lock:
            for key, n in counts.items():
                self._count(key).inc(n)
            for key, values in durations.items():
                _histogram_add(self._duration(key), values)

    def _count(self, key: tuple[str, str, int]):
        child = self.counts.get(key)
        if child is None:
            route, method, status = key
            child = self.counts[key] = metrics.http_requests.labels(route, metrics.method_label(method), str(status))
        return child

    def _duration(self, key: tuple[str, str]):
        child = self.durations.get(key)
        if child is None:
            child = self.durations[key] = metrics.http_request_duration.labels(key[0], metrics.method_label(key[1]))
        return child


def _histogram_add(child, values: list[float]) -> None:
    """Observe every value in `values` on a histogram child with one write per bucket touched."""
    bounds = child._upper_bounds
    per_bucket = defaultdict(int)
    for value in values:
        per_bucket[bisect_left(bounds, value)] += 1  # the first bound >= value, as observe() picks
    child._sum.inc(sum(values))
    for index, n in per_bucket.items():
        child._buckets[index].inc(n)


SERIES = _Series()
observe = SERIES.observe  # (route, method, status, seconds): also called by config/http/fastpath.py
flush = SERIES.flush


class RequestMetricsMiddleware(TimedRequestMiddleware):
    """Count and time every request Django answers, by route template, method and status."""

    @staticmethod
    def enabled() -> bool:
        return metrics.ENABLED

    def done(self, request: HttpRequest, status: int, started: float) -> None:
        route = route_label(getattr(request, "resolver_match", None), request.path_info)
        observe(route, request.method, status, time.perf_counter() - started)
