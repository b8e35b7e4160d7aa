"""Process-wide fan-out: one Redis Pub/Sub subscription per web process, delivered locally.

Why not a channels_redis group: `group_send` on the core layer costs O(members) per broadcast,
and the Pub/Sub layer still SUBSCRIBEs a channel for every consumer (`new_channel`). Here the
process subscribes once (the events channel and the sessions-ended channel), splits each
message once, and hands the same text object to every local socket of its topic.

Each socket has a bounded queue (`WS_QUEUE_MAX`): a socket that falls that far behind is
closed with 4429 and can reconnect with its last event_id to replay from the Stream, so a slow
client costs bounded memory. When the subscription is re-established after a Redis hiccup,
messages published meanwhile were lost, so every socket is told to re-read its Stream (RESYNC).
Sessions that end (logout: a message; idle expiry: silent, so a periodic EXISTS check) close
their sockets with 4401.
"""
from __future__ import annotations

import asyncio
import json
import logging
from dataclasses import dataclass, field
from typing import Callable

import redis.exceptions
from django.conf import settings

from accounts import keys as account_keys
from config.redis import async_redis_client
from leaderboard import keys, selectors
from leaderboard.events import event_id_order

logger = logging.getLogger(__name__)

CLOSE_SESSION_ENDED = 4401
CLOSE_TOO_SLOW = 4429
RESYNC = "resync"  # queue marker: re-read the Stream after the last delivered event
REDIS_ERRORS = (redis.exceptions.ConnectionError, redis.exceptions.TimeoutError, OSError)

# A live event as queued: (sortable id, event id, client JSON text shared by every socket).
Delivery = tuple[tuple[int, int], str, str]


@dataclass(eq=False)
class Subscriber:
    """One socket's place in the hub: its topic, its session and its bounded queue."""

    topic: str
    session_id: str
    limit: int
    queue: asyncio.Queue = field(default_factory=asyncio.Queue)
    closing: int | None = None
    # Called when the queue overflows: the socket's sender may be stuck in a send that the
    # server holds back (backpressure), so the close cannot wait its turn in the queue.
    on_overflow: Callable[[], None] | None = None

    def offer(self, item: Delivery) -> None:
        """Queue a live event; past the limit close the socket (the client replays later)."""
        if self.closing is not None:
            return
        if self.queue.qsize() >= self.limit:
            self.close(CLOSE_TOO_SLOW)
            if self.on_overflow is not None:
                self.on_overflow()
            return
        self.queue.put_nowait(item)

    def close(self, code: int) -> None:
        """Ask the socket to close with `code` once it has sent what it already queued."""
        if self.closing is None:
            self.closing = code
            self.queue.put_nowait(code)

    def resync(self) -> None:
        if self.closing is None:
            self.queue.put_nowait(RESYNC)


class Hub:
    """The fan-out of one event loop (one per web process); starts with its first socket."""

    def __init__(self) -> None:
        self.loop = asyncio.get_running_loop()
        self.topics: dict[str, set[Subscriber]] = {}
        self.sessions: dict[str, set[Subscriber]] = {}
        self._ready = asyncio.Event()
        self._tasks: list[asyncio.Task] = []
        # Sockets read Redis on connect and on a resync, possibly thousands at once; the pool
        # lends at most REDIS_MAX_CONNECTIONS and fails a caller that waits past the socket
        # timeout, so reads queue here instead, leaving room for the subscription and checks.
        self.read_slots = asyncio.Semaphore(max(1, settings.REDIS_MAX_CONNECTIONS // 2))

    @property
    def socket_count(self) -> int:
        return sum(len(subs) for subs in self.topics.values())

    async def attach(self, sub: Subscriber) -> None:
        """Register a socket, then wait until the process's subscription is live."""
        self.topics.setdefault(sub.topic, set()).add(sub)
        self.sessions.setdefault(sub.session_id, set()).add(sub)
        if not self._tasks:
            self._tasks = [asyncio.create_task(self._listen()), asyncio.create_task(self._check_sessions())]
        try:
            await asyncio.wait_for(self._ready.wait(), settings.WS_SUBSCRIBE_TIMEOUT_SECONDS)
        except TimeoutError:
            self.detach(sub)
            raise

    def detach(self, sub: Subscriber) -> None:
        """Forget a socket; the last one out stops the subscription."""
        _discard(self.topics, sub.topic, sub)
        _discard(self.sessions, sub.session_id, sub)
        if not self.topics and self._tasks:
            for task in self._tasks:
                task.cancel()
            self._tasks = []
            self._ready = asyncio.Event()

    async def _listen(self) -> None:
        delay = 0.1
        while True:
            pubsub = async_redis_client().pubsub()
            try:
                await pubsub.subscribe(keys.events_channel(), account_keys.sessions_ended_channel())
                while True:
                    message = await pubsub.get_message(timeout=None)
                    if message is not None:
                        self._handle_safely(message)
                        delay = 0.1
            except REDIS_ERRORS as exc:
                logger.warning("event subscription lost (%s); retrying in %.1f s", exc, delay)
            finally:
                await pubsub.aclose()
            await asyncio.sleep(delay)
            delay = min(delay * 2, 5.0)

    def _handle_safely(self, message: dict) -> None:
        # A malformed message must cost only itself, never the process's whole fan-out.
        try:
            self.handle(message)
        except Exception:
            logger.exception("dropped a malformed event message: %r", message.get("data"))

    def handle(self, message: dict) -> None:
        """Route one Pub/Sub message (public so tests can drive the hub without Redis)."""
        channel, data = message["channel"], message["data"]
        if message["type"] == "subscribe":
            if channel == keys.events_channel():
                self._subscribed()
        elif message["type"] != "message":
            return
        elif channel == keys.events_channel():
            topic, event_id, text = data.split("\n", 2)
            item = (event_id_order(event_id), event_id, text)
            for sub in self.topics.get(topic, ()):
                sub.offer(item)
        elif channel == account_keys.sessions_ended_channel():
            self.close_sessions(json.loads(data).get("session_ids") or [])

    def _subscribed(self) -> None:
        # The first acknowledgement opens the gate; any later one means redis-py (or our loop)
        # resubscribed after a lost connection, and what was published meanwhile is only in
        # the Streams: every socket re-reads its Stream and drops what it already sent.
        if self._ready.is_set():
            for subs in self.topics.values():
                for sub in subs:
                    sub.resync()
        self._ready.set()

    def close_sessions(self, session_ids: list[str]) -> None:
        """Close the sockets opened under any of these sessions with 4401."""
        for session_id in session_ids:
            for sub in self.sessions.get(session_id, ()):
                sub.close(CLOSE_SESSION_ENDED)

    async def _check_sessions(self) -> None:
        while True:
            await asyncio.sleep(settings.WS_SESSION_CHECK_SECONDS)
            session_ids = list(self.sessions)
            if not session_ids:
                continue
            try:
                alive = await selectors.sessions_alive(session_ids=session_ids)
            except Exception as exc:  # a failed check must not end the checks; the next one retries
                logger.warning("session liveness check failed: %s", exc)
                continue
            self.close_sessions([sid for sid in session_ids if sid not in alive])


def _discard(index: dict[str, set[Subscriber]], name: str, sub: Subscriber) -> None:
    members = index.get(name)
    if members is not None:
        members.discard(sub)
        if not members:
            del index[name]


_hub: Hub | None = None


def hub() -> Hub:
    """Return this event loop's hub (daphne runs one loop per process)."""
    global _hub
    if _hub is None or _hub.loop is not asyncio.get_running_loop():
        _hub = Hub()
    return _hub
