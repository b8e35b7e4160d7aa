"""A quiz's results, served cache-aside from Django's cache (django-redis, TTL RESULTS_CACHE_SECONDS).

Versioned entries: an entry is stored under the quiz version it was computed for
(keys.quiz_results(quiz_id, version)), and a reader looks only under the version it has just
read from the quiz hash. An update bumps the version, so it invalidates every entry at once
without touching the cache, and results of an old version are never served again (an erasure
moves the quiz's results generation the same way: keys.quiz_results): a slow
reader that started before an update still stores its (old-version) result, but under the old
version's key, which no later reader asks for; it expires with its TTL.

One computation per burst of misses: `cache.add` (SET NX with a TTL) on a per-version lease key
lets exactly one reader compute; the others poll briefly for its entry and answer HIT when it
lands, or compute for themselves (without storing) after RESULTS_WAIT_SECONDS, so a crashed
lease holder delays readers but never blocks them.

Cost against the former Lua lookup (one script doing both reads): a HIT is two round trips (the
quiz's version, then the entry) instead of one.

Staleness rule for new submissions: scoring does not invalidate the cache (under load that would
mean recomputing on every submission). A submission processed after an entry was computed shows
up in the results within RESULTS_CACHE_SECONDS (60 s by default), when that entry expires.
"""
from __future__ import annotations

import time
from dataclasses import dataclass

from django.conf import settings
from django.core.cache import cache

from config.http.exceptions import NotFound
from quizzes import keys, selectors

POLL_SECONDS = 0.02
HIT, MISS = "HIT", "MISS"


@dataclass(frozen=True)
class Results:
    body: dict
    cache: str  # HIT or MISS


def results_fetch(*, quiz_id: str) -> Results:
    """Return the quiz's results from the cache, or computed once for all concurrent misses."""
    basis = selectors.quiz_results_basis(quiz_id=quiz_id)
    if basis is None:
        raise NotFound("Quiz not found.")
    entry = keys.quiz_results(quiz_id, basis.version, basis.generation)
    deadline = time.monotonic() + settings.RESULTS_WAIT_SECONDS
    leased = False
    while True:
        cached = cache.get(entry)
        if cached is not None:
            return Results(body=cached, cache=HIT)
        if not leased:
            leased = results_lease(quiz_id=quiz_id, version=basis.version, generation=basis.generation)
        if leased or time.monotonic() >= deadline:
            body = selectors.results_compute(
                quiz_id=quiz_id, version=basis.version, max_score=basis.max_score,
                question_count=basis.question_count,
            )
            if leased:
                results_store(quiz_id=quiz_id, body=body, generation=basis.generation)
            return Results(body=body, cache=MISS)
        wait_for_lease_holder()


def results_lease(*, quiz_id: str, version: int, generation: int = 0) -> bool:
    """Take the lease to compute this version's results; False when another reader holds it."""
    lease = keys.quiz_results_lease(quiz_id, version, generation)
    return cache.add(lease, 1, timeout=settings.RESULTS_LEASE_SECONDS)


def results_store(*, quiz_id: str, body: dict, generation: int = 0) -> None:
    """Store results under the version (and generation) they describe, then release that lease."""
    version = body["version"]
    cache.set(keys.quiz_results(quiz_id, version, generation), body, timeout=settings.RESULTS_CACHE_SECONDS)
    # A lease that outlived its TTL may belong to another reader by now: deleting it costs at
    # most one extra computation of the same version, never a wrong answer.
    cache.delete(keys.quiz_results_lease(quiz_id, version, generation))


def wait_for_lease_holder() -> None:
    """Pause before looking again (polling: a miss is rare and the wait is short)."""
    time.sleep(POLL_SECONDS)
