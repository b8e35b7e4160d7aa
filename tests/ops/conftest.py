"""Ops fixtures: users made through accounts.services, put on boards as scoring does, last seen N days ago."""
from __future__ import annotations

import time
from datetime import datetime, timedelta, timezone

import pytest

from accounts import keys, services
from leaderboard import keys as lb_keys
from leaderboard.services import board_entries_put
from tests.boards import board_entry

DAY = 86_400


@pytest.fixture
def now() -> int:
    """The sweep's clock, injected: the real current second (sessions made now stay alive)."""
    return int(time.time())


def boards_at(now: int) -> list[str]:
    """The global board and the day and week boards a user could still be on at `now`."""
    at = datetime.fromtimestamp(now, tz=timezone.utc)
    return [
        lb_keys.board("all"),
        lb_keys.board("day", at),
        lb_keys.board("day", at - timedelta(days=1)),
        lb_keys.board("week", at),
        lb_keys.board("week", at - timedelta(weeks=1)),
    ]


@pytest.fixture
def member(redis, now):
    """A user with one session, last active `days_ago`, on every board with `points`."""

    def _make(username: str, *, days_ago: float, points: int = 100) -> dict:
        user = services.user_create(username=username, password="correct-horse-1")
        seen = now - int(days_ago * DAY)
        session = services.session_create(user=user, now_ms=seen * 1000)
        for board in boards_at(now):
            board_entries_put(board=board, entries=[(user["id"], points)])
        redis.hset(keys.user_profile(user["id"]), "total_score", points)
        entry = board_entry(redis, lb_keys.board("all"), user["id"])
        return {**user, "token": session.token, "session_id": session.session_id, "entry": entry}

    return _make


def keyspace(redis) -> dict:
    """Every key with its type, value and whether it expires: a snapshot to compare."""
    readers = {
        "hash": redis.hgetall,
        "zset": lambda k: redis.zrange(k, 0, -1, withscores=True),
        "string": redis.get,
        "set": redis.smembers,
        "list": lambda k: redis.lrange(k, 0, -1),
    }
    snapshot = {}
    for name in redis.scan_iter(count=1000):
        kind = redis.type(name)
        value = readers[kind](name) if kind in readers else None
        snapshot[name] = (kind, value, redis.ttl(name) > 0)
    return snapshot
