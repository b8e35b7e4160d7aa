"""A quiz's results, served cache-aside (TTL RESULTS_CACHE_SECONDS) with leases.

Read path, one round trip per attempt (results_lookup.lua): a cached entry counts only when it
was computed for the quiz's current version (HIT). On a miss exactly one caller receives a
lease (SET NX PX with a random token) and computes; the others poll briefly for its value and
answer HIT when it lands, or compute for themselves (without storing) after
RESULTS_WAIT_SECONDS, so a crashed lease holder delays readers but never blocks them.

Race-safe invalidation: an update or delete deletes the entry and the lease in the same script
that bumps the version, and results_store.lua stores only while the caller still holds its
lease *and* the quiz is still at the version the results were computed for. A reader that
started before an update therefore can never store its (old-version) result after it, and
results of an old version are never served again.

Staleness rule for new submissions: scoring does not invalidate the cache (under load that would
mean recomputing on every submission). A submission processed after an entry was computed shows
up in the results within RESULTS_CACHE_SECONDS (60 s by default), when that entry expires.
"""
from __future__ import annotations

import json
import secrets
import time
from dataclasses import dataclass
from pathlib import Path

from django.conf import settings

from config.exceptions import NotFound
from config.redis import LuaScript
from quizzes import keys, selectors

_LUA = Path(__file__).parent / "lua"
_results_lookup = LuaScript(_LUA / "results_lookup.lua")
_results_store = LuaScript(_LUA / "results_store.lua")

POLL_SECONDS = 0.02
HIT, MISS = "HIT", "MISS"


@dataclass(frozen=True)
class Results:
    body: dict
    cache: str  # HIT or MISS


@dataclass(frozen=True)
class _Lookup:
    version: int
    max_score: int
    question_count: int
    cached: str | None
    leased: bool


def results_fetch(*, quiz_id: str) -> Results:
    """Return the quiz's results from the cache, or computed once for all concurrent misses."""
    token = secrets.token_hex(16)
    deadline = time.monotonic() + settings.RESULTS_WAIT_SECONDS
    while True:
        found = _lookup(quiz_id=quiz_id, token=token)
        if found.cached is not None:
            return Results(body=json.loads(found.cached), cache=HIT)
        if found.leased or time.monotonic() >= deadline:
            body = selectors.results_compute(
                quiz_id=quiz_id, version=found.version, max_score=found.max_score,
                question_count=found.question_count,
            )
            if found.leased:
                results_store(quiz_id=quiz_id, token=token, body=body)
            return Results(body=body, cache=MISS)
        wait_for_lease_holder()


def _lookup(*, quiz_id: str, token: str) -> _Lookup:
    reply = _results_lookup(
        keys=[keys.quiz(quiz_id), keys.quiz_results(quiz_id), keys.quiz_results_lease(quiz_id)],
        args=[token, int(settings.RESULTS_LEASE_SECONDS * 1000)],
    )
    if reply is None:
        raise NotFound("Quiz not found.")
    version, max_score, question_count, cached, leased = reply
    return _Lookup(int(version), int(max_score), int(question_count), cached, bool(leased))


def results_store(*, quiz_id: str, token: str, body: dict) -> bool:
    """Store computed results if the lease is still ours and the version still current."""
    stored = _results_store(
        keys=[keys.quiz(quiz_id), keys.quiz_results(quiz_id), keys.quiz_results_lease(quiz_id)],
        args=[token, body["version"], json.dumps(body), settings.RESULTS_CACHE_SECONDS],
    )
    return bool(stored)


def wait_for_lease_holder() -> None:
    """Pause before looking again (polling: a miss is rare and the wait is short)."""
    time.sleep(POLL_SECONDS)
