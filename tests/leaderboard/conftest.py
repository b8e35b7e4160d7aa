"""Leaderboard fixtures: put scores on boards the way the scoring script does, get tickets, run
asyncio scenarios on a fresh loop."""
from __future__ import annotations

import asyncio
from datetime import datetime, timezone

import pytest

from config.redis.clients import async_redis_client
from leaderboard.services import board_put

T0 = 1_800_000_000  # an instant (2027-01-15)


@pytest.fixture
def board(redis):
    """Set a user's points on the board of epoch second `at`; equal points rank in call order, as scored."""

    def put(user_id: str, points: int, at: int = T0, period: str = "all") -> None:
        board_put(entries=[(user_id, points)], period=period, at=datetime.fromtimestamp(at, tz=timezone.utc))

    return put


@pytest.fixture
def ticket(auth_client):
    """Issue a one-time WebSocket ticket for a user made by `make_user`."""

    def issue(user: dict) -> str:
        resp = auth_client(user["token"]).post("/api/v1/auth/ws-ticket")
        assert resp.status_code == 200, resp.content
        return resp.json()["ticket"]

    return issue


@pytest.fixture
def run():
    """Run a coroutine on a fresh event loop, closing that loop's Redis connections after."""

    def _run(coro_fn, *args, **kwargs):
        async def scenario():
            try:
                return await coro_fn(*args, **kwargs)
            finally:
                await async_redis_client().connection_pool.disconnect()

        return asyncio.run(scenario())

    return _run
