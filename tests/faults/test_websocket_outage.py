"""WebSockets across a Redis outage: a socket opened meanwhile is closed with 4503 at once, and a
socket opened before gets every event again once Redis is back, either on the same connection
or, if the server closed it with 4503, by reconnecting with `last_event_id` (API.md's replay).

Each web process's channel layer holds one Pub/Sub connection for all of its sockets; when it
is lost the layer resubscribes by itself and every socket re-reads its Stream.
"""
from __future__ import annotations

import contextlib
import json
import time

import pytest
from websockets.exceptions import ConnectionClosed
from websockets.sync.client import connect

from tests.faults.conftest import SCORED_SECONDS
from tests.faults.live import PROMPT, make_user, outage, processed
from tests.faults.processes import wait_until

CLOSE_REDIS_UNREACHABLE = 4503
CLOSE_TOO_SLOW = 4429
WAIT = 10  # seconds for an expected message


class Follower:
    """A client that follows one feed the way API.md asks: reconnect with last_event_id."""

    def __init__(self, web, live, path: str) -> None:
        self.web, self.live, self.path = web, live, path
        self.last_event_id: str | None = None
        self.reconnects = 0
        self.sockets = contextlib.ExitStack()
        self.ws = self._connect()

    def _connect(self):
        ticket = self.live.call("POST", "/api/v1/auth/ws-ticket").body["ticket"]
        query = f"ticket={ticket}" + (f"&last_event_id={self.last_event_id}" if self.last_event_id else "")
        base = self.web.url.replace("http", "ws", 1)
        return self.sockets.enter_context(connect(f"{base}{self.path}?{query}", open_timeout=WAIT))

    def expect(self, wanted: str) -> dict:
        """Read until a message of type `wanted`, reconnecting when the server asks for it."""
        deadline = time.monotonic() + WAIT
        while time.monotonic() < deadline:
            try:
                message = json.loads(self.ws.recv(timeout=max(0.1, deadline - time.monotonic())))
            except ConnectionClosed as closed:
                assert closed.rcvd and closed.rcvd.code in (CLOSE_REDIS_UNREACHABLE, CLOSE_TOO_SLOW), closed
                self.reconnects += 1
                self.ws = self._connect()
                continue
            self.last_event_id = message.get("event_id") or self.last_event_id
            if message["type"] == wanted:
                return message
        raise AssertionError(f"{self.path}: no {wanted} message within {WAIT} s")

    def close(self) -> None:
        self.sockets.close()


def _opened_during_the_outage_closes_with_4503(web, ticket: str) -> None:
    started = time.monotonic()
    with connect(f"{web.url.replace('http', 'ws', 1)}/ws/leaderboard/?ticket={ticket}",
                 open_timeout=WAIT) as late:
        with pytest.raises(ConnectionClosed) as closed:
            late.recv(timeout=WAIT)
    assert closed.value.rcvd.code == CLOSE_REDIS_UNREACHABLE
    assert time.monotonic() - started < PROMPT


@pytest.mark.parametrize("mode", [
    "crashed",
    "paused",
])
def test_sockets_get_every_event_after_an_outage_and_new_ones_close_with_4503(live_system, mode):
    server, web, live = live_system.redis, live_system.web, live_system.live
    board, mine = Follower(web, live, "/ws/leaderboard/"), Follower(web, live, "/ws/me/")
    board.expect("leaderboard.snapshot")
    mine.expect("me.snapshot")
    pending = live.call("POST", "/api/v1/auth/ws-ticket").body["ticket"]

    with outage(server, mode):
        _opened_during_the_outage_closes_with_4503(web, pending)

    bob = make_user("bob")
    submission_id = live.submit([0, 1, 0], as_user=bob)
    wait_until(lambda: processed(submission_id), timeout=SCORED_SECONDS, what="bob's score")
    entered = board.expect("leaderboard.entered_top10")
    assert (entered["username"], entered["score"]) == ("bob", 35)
    own = live.submit([0, 1, 0])
    scored = mine.expect("submission.processed")
    assert (scored["submission_id"], scored["total_score"]) == (own, 35)
    board.close()
    mine.close()
