"""WebSocket consumers: channel-layer members that deliver one Stream's events, each exactly once.

`/ws/leaderboard/?ticket=...[&last_event_id=...]` and `/ws/me/?ticket=...[&last_event_id=...]`.
Close codes: 4401 missing, used or expired ticket, or the session ended; 4400 malformed
last_event_id; 4403 `group=` names no group the user is in (or they left it, or it was deleted); 4429 the socket fell too far behind (reconnect with last_event_id), or the user
already has WS_MAX_SOCKETS_PER_USER sockets open (reason "too many sockets"); 4503 the server
could not reach Redis (reconnect with last_event_id).

The per-user cap counts both paths, across every web process, with one lease per socket in
Redis (leaderboard.keys.user_sockets, taken atomically by lua/socket_lease.lua). Each process
renews its sockets' leases every third of WS_SOCKET_LEASE_SECONDS, so the sockets of a process
that died stop counting within one lease. Over the cap the new socket is refused, rather than
the oldest closed: a flood of sockets (a runaway client, a script with a stolen token) then
cannot close the user's working tabs, and two tabs over the cap cannot keep closing each other
in a reconnect loop. A user who opens one tab too many closes another.

Groups and the messages they carry (group_send from any process reaches these sockets):

| group           | members                        | messages                                  |
|-----------------|--------------------------------|-------------------------------------------|
| `leaderboard`   | every /ws/leaderboard/ socket  | `feed.event` (board Stream)               |
| `user.<uid>`    | that user's /ws/me/ sockets    | `feed.event` (the user's Stream)          |
| `session.<sid>` | every socket of that session   | `session.ended`: close with 4401          |
| `leaderboard.group.<gid>` | every /ws/leaderboard/?group= socket of it | `feed.event` (the group's Stream); `group.left` when deleted |
| `leaderboard.group.<gid>.user.<uid>` | that member's sockets on it | `group.left`: close with 4403 |

`feed.event` is `{"type", "event_id", "after", "text"}`: `text` is sent to the client as is,
`after` (optional) is the id of the Stream entry before this one. The layer itself sends
`layer.reconnected` to every member after it resubscribed (config/realtime/channel_layer.py).

The seam between replay and live delivery: (1) join the groups (the layer returns once Redis
acknowledged the subscription), so every event announced from now on is queued for this
socket; (2) read the Stream (or a snapshot, which carries the newest event id read in the same
atomic step); (3) relay queued events whose id is above the last one sent. An event whose
`after` is not the last id sent means one was missed (announced out of order, or before the
subscription): the Stream is read again first. Ids only grow, so nothing is sent twice.
"""
from __future__ import annotations

import asyncio
import json
import logging
import re
import secrets
from collections import Counter
from urllib.parse import parse_qs

from asgiref.sync import sync_to_async
from channels.consumer import get_handler_name
from channels.exceptions import StopConsumer
from channels.generic.websocket import AsyncWebsocketConsumer
from channels.layers import get_channel_layer
from channels.utils import await_many_dispatch
from django.conf import settings

from accounts import keys as account_keys
from accounts.services import ws_ticket_redeem
from config import metrics
from config.realtime.channel_layer import REDIS_ERRORS
from leaderboard import keys, selectors, services
from leaderboard.events import EVENT_ID_RE, NO_EVENT_ID, event_id_order, with_event_id

logger = logging.getLogger(__name__)

CLOSE_BAD_REQUEST = 4400
CLOSE_SESSION_ENDED = 4401
CLOSE_FORBIDDEN = 4403  # not a member of the group asked for (or no longer one)
GROUP_ID_RE = re.compile(r"[0-9a-f]{16}")
CLOSE_TOO_SLOW = 4429
CLOSE_TOO_MANY_SOCKETS = 4429  # the same code: over a limit; the close reason tells which
# 1011 would be the standard code, but daphne (autobahn) refuses to send it (only 1000 and
# 3000-4999), leaving the socket open and silent; 4503 means the same on every server.
CLOSE_INTERNAL_ERROR = 4503
REPLAY_PAGE = 500
SESSION_ENDED = {"type": "session.ended"}

# Runs in a worker thread (the ticket lookup uses the sync client) without queueing behind
# other sync code on the one thread-sensitive executor.
_redeem = sync_to_async(ws_ticket_redeem, thread_sensitive=False)


class _Local:
    """What this event loop's sockets share: Redis read slots and the session liveness check."""

    def __init__(self) -> None:
        self.loop = asyncio.get_running_loop()
        # Sockets read Redis on connect and after a reconnect, possibly thousands at once; the
        # pool lends at most REDIS_MAX_CONNECTIONS and fails a caller that waits past the socket
        # timeout, so reads queue here instead, leaving room for the layer and the checks.
        self.read_slots = asyncio.Semaphore(max(1, settings.REDIS_MAX_CONNECTIONS // 2))
        self.sessions: Counter[str] = Counter()
        self._check: asyncio.Task | None = None
        self.leases: dict[str, set[str]] = {}  # user id -> this loop's socket ids holding a lease
        self._renew: asyncio.Task | None = None

    def watch(self, session_id: str) -> None:
        self.sessions[session_id] += 1
        if self._check is None:
            self._check = asyncio.create_task(self._check_sessions())

    def unwatch(self, session_id: str) -> None:
        self.sessions[session_id] -= 1
        if self.sessions[session_id] <= 0:
            del self.sessions[session_id]
        if not self.sessions and self._check is not None:
            self._check.cancel()
            self._check = None

    def hold(self, user_id: str, socket_id: str) -> None:
        self.leases.setdefault(user_id, set()).add(socket_id)
        if self._renew is None:
            self._renew = asyncio.create_task(self._renew_leases())

    def drop(self, user_id: str, socket_id: str) -> None:
        held = self.leases.get(user_id, set())
        held.discard(socket_id)
        if not held:
            self.leases.pop(user_id, None)
        if not self.leases and self._renew is not None:
            self._renew.cancel()
            self._renew = None

    async def _renew_leases(self) -> None:
        # One round trip per period for every socket of this process; a failed renewal is
        # retried next period, well before the leases (three periods long) lapse.
        while True:
            await asyncio.sleep(settings.WS_SOCKET_LEASE_SECONDS / 3)
            try:
                await services.socket_leases_renew(leases={uid: list(ids) for uid, ids in self.leases.items()})
            except Exception as exc:
                logger.warning("socket lease renewal failed: %s", exc)

    async def _check_sessions(self) -> None:
        # Idle and absolute expiry end a session silently (its key expires), so each process
        # checks its sockets' sessions in one pipelined round trip and announces the ended ones.
        layer = get_channel_layer()
        while True:
            await asyncio.sleep(settings.WS_SESSION_CHECK_SECONDS)
            session_ids = list(self.sessions)
            try:
                alive = await selectors.sessions_alive(session_ids=session_ids)
                for session_id in session_ids:
                    if session_id not in alive:
                        await layer.group_send(account_keys.session_group(session_id), SESSION_ENDED)
            except Exception as exc:  # a failed check must not end the checks; the next one retries
                logger.warning("session liveness check failed: %s", exc)


_local: _Local | None = None


def _shared() -> _Local:
    """Return this event loop's shared state (a server runs one loop per process)."""
    global _local
    if _local is None or _local.loop is not asyncio.get_running_loop():
        _local = _Local()
    return _local


class _FeedConsumer(AsyncWebsocketConsumer):
    """A ticket-authenticated socket that follows one Stream through its channel-layer groups."""

    stream: str
    session_id: str | None = None
    metric_path: str  # the socket's route, the label of its metrics
    _open = _sent_metric = None  # this path's gauge and counter children, once accepted
    _closed_by_server = False

    async def __call__(self, scope, receive, send) -> None:
        # channels' AsyncConsumer.__call__, with two changes: the layer channel is made inside
        # connect, after accept, so a Redis outage closes with 4503 rather than failing the
        # handshake; and layer messages are relayed by a loop of their own (_relay) instead of
        # await_many_dispatch, which builds a Task and an asyncio.wait per message per member.
        self.scope, self.base_send = scope, send
        self.channel_layer = get_channel_layer(self.channel_layer_alias)
        self.channel_name = None
        self.groups = []
        self.last_id, self._last_order = NO_EVENT_ID, event_id_order(NO_EVENT_ID)
        self._relay_task: asyncio.Task | None = None
        self._closing = False
        self.lease: tuple[str, str] | None = None  # (user id, socket id) counted against the cap
        try:
            await await_many_dispatch([receive], self.dispatch)
        except StopConsumer:
            pass
        finally:
            if self._open is not None:
                self._open.dec()
            await self._leave()

    async def dispatch(self, message: dict) -> None:
        # channels' dispatch minus aclose_old_connections: there is no database
        # (DATABASES is empty), and that call is a thread hop per message per member.
        # A message type this consumer does not know (a typo in some announcer) is dropped, so
        # it cannot close every socket of a group.
        handler = getattr(self, get_handler_name(message), None)
        if handler is None:
            logger.warning("no handler for channel-layer message type %r", message.get("type"))
            return
        await handler(message)

    async def websocket_disconnect(self, message: dict) -> None:
        if not self._closed_by_server:
            metrics.websocket_closes.labels("client").inc()
        await self.disconnect(message.get("code"))
        raise StopConsumer()

    async def connect(self) -> None:
        # Accept before closing: a close during the handshake would reach the client as an
        # HTTP 403, and the contract promises close code 4401.
        await self.accept()
        self._open = metrics.websocket_connections.labels(self.metric_path)
        self._sent_metric = metrics.websocket_messages_sent.labels(self.metric_path)
        self._open.inc()
        query = parse_qs(self.scope.get("query_string", b"").decode("latin-1"))
        last_event_id = query.get("last_event_id", [None])[0]
        try:
            owner = await _redeem(ticket=query.get("ticket", [""])[0])
            if owner is None:
                return await self.close(code=CLOSE_SESSION_ENDED)
            if last_event_id is not None and not EVENT_ID_RE.fullmatch(last_event_id):
                return await self.close(code=CLOSE_BAD_REQUEST)
            if not await self._take_lease(owner["user_id"]):
                return await self.close(code=CLOSE_TOO_MANY_SOCKETS, reason="too many sockets")
            if not await self.admit(owner, query):
                return await self.close(code=CLOSE_FORBIDDEN)
            self.follow(owner)
            await asyncio.wait_for(self._join(owner["session_id"]), settings.WS_SUBSCRIBE_TIMEOUT_SECONDS)
            # Checked again once subscribed: a removal between the two checks reaches this socket.
            if not await self.admit(owner, query):
                return await self.close(code=CLOSE_FORBIDDEN)
            await self._catch_up(last_event_id)
        except (*REDIS_ERRORS, TimeoutError) as exc:
            logger.warning("could not open an event feed: %r", exc)
            metrics.redis_error()
            return await self._fail()
        self._relay_task = asyncio.create_task(self._relay())

    async def admit(self, owner: dict, query: dict) -> bool:
        """Whether this socket's owner may follow what the query asks for (4403 otherwise)."""
        return True

    def follow(self, owner: dict) -> None:
        """Set `stream` and `groups` for this socket's owner."""
        raise NotImplementedError

    async def snapshot(self) -> dict:
        raise NotImplementedError

    async def _take_lease(self, user_id: str) -> bool:
        """Count this socket against its user's cap (WS_MAX_SOCKETS_PER_USER; 0 is no cap)."""
        if settings.WS_MAX_SOCKETS_PER_USER <= 0:
            return True
        socket_id = secrets.token_hex(8)
        if not await services.socket_lease_take(user_id=user_id, socket_id=socket_id):
            return False
        self.lease = (user_id, socket_id)
        _shared().hold(user_id, socket_id)
        return True

    async def _release_lease(self) -> None:
        user_id, socket_id = self.lease
        self.lease = None
        _shared().drop(user_id, socket_id)
        try:
            await services.socket_lease_release(user_id=user_id, socket_id=socket_id)
        except REDIS_ERRORS as exc:  # unrenewed, the lease lapses by itself
            logger.warning("could not release a socket lease: %r", exc)

    async def _join(self, session_id: str) -> None:
        self.channel_name = await self.channel_layer.new_channel()
        on_overflow = getattr(self.channel_layer, "on_overflow", None)
        if on_overflow is not None:  # absent on the stock layer, which bench/ws_fanout.py measures
            on_overflow(self.channel_name, self._too_slow)
        self.groups.append(account_keys.session_group(session_id))
        self.session_id = session_id
        _shared().watch(session_id)
        for group in self.groups:
            await self.channel_layer.group_add(group, self.channel_name)

    async def _leave(self) -> None:
        if self._relay_task is not None:
            self._relay_task.cancel()
        if self.lease is not None:
            await self._release_lease()
        if self.session_id is not None:
            _shared().unwatch(self.session_id)
            self.session_id = None
        if self.channel_name is None:
            return
        try:
            for group in self.groups:
                await self.channel_layer.group_discard(group, self.channel_name)
            if self._relay_task is None:  # otherwise the relay's cancelled receive releases it
                discard = getattr(self.channel_layer, "discard_channel", None)
                if discard is not None:
                    await discard(self.channel_name)
                else:  # the stock layer, which bench/ws_fanout.py measures
                    self.channel_layer.channels.pop(self.channel_name, None)
        except REDIS_ERRORS as exc:
            logger.warning("could not leave the socket's groups: %r", exc)

    async def _relay(self) -> None:
        receive, channel = self.channel_layer.receive, self.channel_name
        try:
            while True:
                await self.dispatch(await receive(channel))
        except asyncio.CancelledError:
            raise
        except Exception:
            logger.exception("event feed failed; closing the socket so the client replays")
            await self._fail()

    def _too_slow(self) -> None:
        """Close a socket that fell behind now, abandoning a send stuck on a client not reading."""
        if self._relay_task is not None and not self._relay_task.done():
            self._relay_task.cancel()
        self._closing = True
        asyncio.ensure_future(self.close(code=CLOSE_TOO_SLOW))

    async def _fail(self) -> None:
        self._closing = True
        await self.close(code=CLOSE_INTERNAL_ERROR)

    async def receive(self, text_data=None, bytes_data=None) -> None:
        """Clients only listen; anything they send is ignored."""

    async def send(self, text_data=None, bytes_data=None, close=False) -> None:
        await super().send(text_data=text_data, bytes_data=bytes_data, close=close)
        self._sent_metric.inc()

    async def close(self, code=None, reason=None) -> None:
        if not self._closed_by_server:
            self._closed_by_server = True
            metrics.websocket_closes.labels(str(code)).inc()
        await super().close(code=code, reason=reason)

    # --- channel-layer messages --------------------------------------------------------------

    async def feed_event(self, message: dict) -> None:
        """Send one Stream event unless already sent; re-read the Stream first if one is missing."""
        if self._closing:
            return
        event_id = message["event_id"]
        order = event_id_order(event_id)
        if order <= self._last_order:
            return
        after = message.get("after")
        if after is not None and after != self.last_id:
            await self._catch_up(self.last_id)
            if order <= self._last_order:
                return
        await self.send(text_data=message["text"])
        self._sent(event_id, order)

    async def group_left(self, message: dict) -> None:
        """The owner left or was removed from the group this socket follows, or it was deleted."""
        self._closing = True
        await self.close(code=CLOSE_FORBIDDEN)

    async def session_ended(self, message: dict) -> None:
        self._closing = True
        await self.close(code=CLOSE_SESSION_ENDED)

    async def layer_reconnected(self, message: dict) -> None:
        """What was announced while the layer was away is only in the Stream: read it again."""
        if not self._closing:
            await self._catch_up(self.last_id)

    # --- Stream reads --------------------------------------------------------------------------

    async def _catch_up(self, after: str | None) -> None:
        if after is None or not await self._replay(after):
            async with _shared().read_slots:
                snapshot = await self.snapshot()
            await self.send(text_data=json.dumps(snapshot))
            self._sent(snapshot["event_id"])

    async def _range(self, start: str, count: int) -> list[tuple[str, str]]:
        async with _shared().read_slots:
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
                if event_id_order(event_id) > self._last_order:
                    await self.send(text_data=with_event_id(body, event_id))
                    self._sent(event_id)
            if len(rows) < REPLAY_PAGE:
                return True
            rows = await self._range(f"({self.last_id}", REPLAY_PAGE)

    def _sent(self, event_id: str, order: tuple[int, int] | None = None) -> None:
        self.last_id, self._last_order = event_id, order or event_id_order(event_id)


class LeaderboardConsumer(_FeedConsumer):
    """`/ws/leaderboard/[?group=<id>]`: the top 10 snapshot, then top-10 changes and entries into it.

    With `group`, the same protocol for that group's board (each message with `group_id`), from
    the group's own Stream (leaderboard/group_live.py); a non-member (or an unknown or malformed
    id: no existence leak) is closed with 4403, and so is a member who leaves or is removed.
    """

    metric_path = "/ws/leaderboard/"
    group_id: str | None = None

    async def admit(self, owner: dict, query: dict) -> bool:
        requested = query.get("group")
        if requested is None:
            return True
        self.group_id = requested[0]
        if len(requested) != 1 or not GROUP_ID_RE.fullmatch(self.group_id):
            return False
        async with _shared().read_slots:
            return await selectors.group_member_is(group_id=self.group_id, user_id=owner["user_id"])

    def follow(self, owner: dict) -> None:
        if self.group_id is None:
            self.stream = keys.events_stream()
            self.groups = [keys.BOARD_GROUP]
            return
        self.stream = keys.group_events_stream(self.group_id)
        self.groups = [keys.group_channel(self.group_id), keys.group_member_channel(self.group_id, owner["user_id"])]

    async def snapshot(self) -> dict:
        if self.group_id is not None:
            found = await selectors.group_snapshot(group_id=self.group_id)
            return {"type": "leaderboard.snapshot", "group_id": self.group_id, **found}
        return {"type": "leaderboard.snapshot", **await selectors.leaderboard_snapshot()}


class MeConsumer(_FeedConsumer):
    """`/ws/me/`: the user's snapshot, then their processed submissions and top-10 entries."""

    metric_path = "/ws/me/"

    def follow(self, owner: dict) -> None:
        self.user_id = owner["user_id"]
        self.stream = keys.user_events_stream(self.user_id)
        self.groups = [keys.user_group(self.user_id)]

    async def snapshot(self) -> dict:
        return {"type": "me.snapshot", **await selectors.me_snapshot(user_id=self.user_id)}

