"""One socket's event feed: a snapshot or a replay first, then live events, without a seam.

The order that makes the seam exact: (1) join the hub, whose subscription is live, so every
event published from now on is queued for this socket; (2) read the Stream (or the snapshot,
which carries the newest event id read in the same atomic step); (3) deliver queued live events
whose id is greater than the last one sent. An event published before (2) is in what was read;
one published after it is in the queue; one in both is sent once, because ids only grow.
"""
from __future__ import annotations

import asyncio
import json
import logging
from typing import Awaitable, Callable

from django.conf import settings

from leaderboard import keys, selectors
from leaderboard.events import NO_EVENT_ID, event_id_order, with_event_id
from leaderboard.hub import CLOSE_TOO_SLOW, RESYNC, Subscriber, hub

logger = logging.getLogger(__name__)

# 1011 would be the standard code, but daphne (autobahn) refuses to send it (only 1000 and
# 3000-4999), leaving the socket open and silent; 4503 means the same on every server.
CLOSE_INTERNAL_ERROR = 4503
REPLAY_PAGE = 500

Send = Callable[[str], Awaitable[None]]
Close = Callable[[int], Awaitable[None]]


class Feed:
    """Deliver one topic's events to one socket, in event-id order, each exactly once."""

    def __init__(self, *, topic: str, session_id: str, snapshot: Callable[[], Awaitable[dict]],
                 send: Send, close: Close) -> None:
        self.sub = Subscriber(topic=topic, session_id=session_id, limit=settings.WS_QUEUE_MAX,
                              on_overflow=self._drop)
        self.stream = keys.topic_stream(topic)
        self._snapshot, self._send, self._close = snapshot, send, close
        self.last_id, self._last_order = NO_EVENT_ID, event_id_order(NO_EVENT_ID)
        self._task: asyncio.Task | None = None

    @classmethod
    def board(cls, *, session_id: str, send: Send, close: Close) -> "Feed":
        """The /ws/leaderboard/ feed: top 10 snapshot, then board events."""
        async def snapshot() -> dict:
            return {"type": "leaderboard.snapshot", **await selectors.leaderboard_snapshot()}

        return cls(topic=keys.BOARD_TOPIC, session_id=session_id, snapshot=snapshot, send=send, close=close)

    @classmethod
    def personal(cls, *, user_id: str, session_id: str, send: Send, close: Close) -> "Feed":
        """The /ws/me/ feed: the user's profile snapshot, then the user's own events."""
        async def snapshot() -> dict:
            return {"type": "me.snapshot", **await selectors.me_snapshot(user_id=user_id)}

        return cls(topic=keys.user_topic(user_id), session_id=session_id, snapshot=snapshot,
                   send=send, close=close)

    async def start(self, last_event_id: str | None) -> None:
        """Join the hub, catch up (replay after `last_event_id`, else a snapshot), go live."""
        await hub().attach(self.sub)
        try:
            await self._catch_up(last_event_id)
        except BaseException:
            hub().detach(self.sub)
            raise
        self._task = asyncio.create_task(self._pump())

    def _drop(self) -> None:
        """Close a socket that fell behind now, abandoning a send stuck on a client not reading."""
        if self._task is not None and not self._task.done():
            self._task.cancel()
            self._task = asyncio.create_task(self._close(CLOSE_TOO_SLOW))

    async def stop(self) -> None:
        hub().detach(self.sub)
        if self._task is not None:
            self._task.cancel()

    async def _catch_up(self, after: str | None) -> None:
        if after is None or not await self._replay(after):
            async with hub().read_slots:
                snapshot = await self._snapshot()
            await self._send(json.dumps(snapshot))
            self._sent(snapshot["event_id"])

    async def _range(self, start: str, count: int) -> list[tuple[str, str]]:
        async with hub().read_slots:
            return await selectors.events_range(stream=self.stream, start=start, count=count)

    async def _replay(self, after: str) -> bool:
        """Send the events after `after`; False when `after` is no longer in the Stream (a gap)."""
        rows = await self._range(after, REPLAY_PAGE + 1)
        if after != NO_EVENT_ID:
            # Read inclusively: finding `after` itself proves nothing after it was trimmed away.
            if not rows or rows[0][0] != after:
                return False
            rows = rows[1:]
        while True:
            for event_id, body in rows:
                await self._send(with_event_id(body, event_id))
                self._sent(event_id)
            if len(rows) < REPLAY_PAGE:
                return True
            rows = await self._range(f"({self.last_id}", REPLAY_PAGE)

    def _sent(self, event_id: str, order: tuple[int, int] | None = None) -> None:
        self.last_id, self._last_order = event_id, order or event_id_order(event_id)

    async def _pump(self) -> None:
        queue = self.sub.queue
        try:
            while True:
                item = await queue.get()
                if isinstance(item, int):
                    await self._close(item)
                    return
                if item == RESYNC:
                    await self._catch_up(self.last_id)
                    continue
                order, event_id, text = item
                if order > self._last_order:
                    await self._send(text)
                    self._sent(event_id, order)
        except asyncio.CancelledError:
            raise
        except Exception:
            logger.exception("event feed failed; closing the socket so the client replays")
            await self._close(CLOSE_INTERNAL_ERROR)
