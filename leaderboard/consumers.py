"""WebSocket consumers: authenticate with a one-time ticket, then hand the socket to a Feed.

`/ws/leaderboard/?ticket=...[&last_event_id=...]` and `/ws/me/?ticket=...[&last_event_id=...]`.
Close codes: 4401 missing, used or expired ticket, or the session ended; 4400 malformed
last_event_id; 4429 the socket fell too far behind (reconnect with last_event_id);
4503 the server could not reach Redis (reconnect with last_event_id).
"""
from __future__ import annotations

import logging
from urllib.parse import parse_qs

from asgiref.sync import sync_to_async
from channels.generic.websocket import AsyncWebsocketConsumer

from accounts.services import ws_ticket_redeem
from leaderboard.events import EVENT_ID_RE
from leaderboard.feeds import CLOSE_INTERNAL_ERROR, Feed
from leaderboard.hub import CLOSE_SESSION_ENDED, REDIS_ERRORS

logger = logging.getLogger(__name__)

CLOSE_BAD_REQUEST = 4400

# Runs in a worker thread (the ticket lookup uses the sync client) without queueing behind
# other sync code on the one thread-sensitive executor.
_redeem = sync_to_async(ws_ticket_redeem, thread_sensitive=False)


class _TicketConsumer(AsyncWebsocketConsumer):
    # Fan-out goes through leaderboard.hub, so a socket needs no channel-layer channel of its own.
    channel_layer_alias = None
    feed: Feed | None = None

    async def connect(self) -> None:
        # Accept before closing: a close during the handshake would reach the client as an
        # HTTP 403, and the contract promises close code 4401.
        await self.accept()
        query = parse_qs(self.scope.get("query_string", b"").decode("latin-1"))
        last_event_id = query.get("last_event_id", [None])[0]
        try:
            owner = await _redeem(ticket=query.get("ticket", [""])[0])
            if owner is None:
                return await self.close(code=CLOSE_SESSION_ENDED)
            if last_event_id is not None and not EVENT_ID_RE.fullmatch(last_event_id):
                return await self.close(code=CLOSE_BAD_REQUEST)
            self.feed = self.make_feed(owner)
            await self.feed.start(last_event_id)
        except (*REDIS_ERRORS, TimeoutError) as exc:
            logger.warning("could not open an event feed: %r", exc)
            self.feed = None
            await self.close(code=CLOSE_INTERNAL_ERROR)

    def make_feed(self, owner: dict) -> Feed:
        raise NotImplementedError

    async def disconnect(self, code: int) -> None:
        if self.feed is not None:
            await self.feed.stop()

    async def receive(self, text_data=None, bytes_data=None) -> None:
        """Clients only listen; anything they send is ignored."""

    async def deliver(self, text: str) -> None:
        await self.send(text_data=text)

    async def shut(self, code: int) -> None:
        await self.close(code=code)


class LeaderboardConsumer(_TicketConsumer):
    """`/ws/leaderboard/`: the top 10 snapshot, then top-10 changes and entries into it."""

    def make_feed(self, owner: dict) -> Feed:
        return Feed.board(session_id=owner["session_id"], send=self.deliver, close=self.shut)


class MeConsumer(_TicketConsumer):
    """`/ws/me/`: the user's snapshot, then their processed submissions and top-10 entries."""

    def make_feed(self, owner: dict) -> Feed:
        return Feed.personal(
            user_id=owner["user_id"], session_id=owner["session_id"], send=self.deliver, close=self.shut
        )
