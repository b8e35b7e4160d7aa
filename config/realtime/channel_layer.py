"""The channel layer: channels_redis' pub/sub layer, with fan-out to many local members made cheap.

`FanoutChannelLayer` is `channels_redis.pubsub.RedisPubSubChannelLayer` (same wire format, same
group and channel names, same `group_send` from any process, sync or async) with these changes,
each measured or needed for a guarantee the sockets make:

- A group message is deserialized once and the same dict is queued for every local member; the
  stock layer queues the raw bytes and each member's `receive` unpacks its own copy. Members must
  treat a received message as read-only. `receive` is a plain method, not a `__getattr__` partial.
- Each member's queue is bounded (`capacity`, from `WS_QUEUE_MAX`): a member that falls that far
  behind gets nothing more, and the callback it registered with `on_overflow` runs at once (a
  consumer closes its socket with 4429; the client replays from the Stream).
- `group_add` and `new_channel` return only once Redis has acknowledged the SUBSCRIBE, so a
  member that joins a group and then reads a Stream cannot miss an event published in between.
- After the connection is lost and redis-py resubscribes, every local member of a group gets
  `{"type": "layer.reconnected"}` as soon as that group's subscription is acknowledged again
  (what was published meanwhile is gone: members re-read their Stream), and the `on_reconnect`
  hook of the layer's CONFIG, which the stock layer accepts but never calls, is called.
- `group_send_sync` sends from sync code in one pipelined round trip (see its docstring).

A patch of channels_redis' internals (`_get_layer`, `_subscribe_to_channel`, `_do_receiving`,
`_receive_message` and the shard's connection handling): written against channels-redis 4.3
(PATCHES below; tests/test_library_versions.py fails first when the installed version leaves
that range, and pyproject.toml pins it).

Measured with 2,000 local members of one group, server CPU per broadcast (bench/ws_fanout.py,
bench/RESULTS.md, same run): the stock layer with channels' own consumer dispatch 664 ms, the
stock layer with this project's consumers (leaderboard/consumers.py) 86 ms, this layer with them
80 ms, the former hand-written hub 80 ms. Most of what remains is the server's per-socket send.
"""
from __future__ import annotations

import asyncio
import atexit
import logging
import os
import queue
import threading
from typing import Callable

import redis
import redis.exceptions
import redis.sentinel
from asgiref.sync import async_to_sync
from channels.layers import get_channel_layer
from channels_redis.pubsub import RedisPubSubChannelLayer, RedisPubSubLoopLayer, RedisSingleShardConnection
from channels_redis.utils import _consistent_hash, _wrap_close, decode_hosts

from config.redis.errors import REDIS_DOWN

logger = logging.getLogger(__name__)

RECONNECTED = {"type": "layer.reconnected"}
REDIS_ERRORS = (*REDIS_DOWN, OSError)  # a socket error may surface raw from the pub/sub reader
FLUSH_SECONDS = 5.0


def group_send_sync(messages: list[tuple[str, dict]], *, wait: bool = True) -> None:
    """Send each (group, message) to its group from sync code, in order (FanoutChannelLayer.group_send_sync)."""
    layer = get_channel_layer()
    if isinstance(layer, FanoutChannelLayer):
        layer.group_send_sync(messages, wait=wait)
        return

    async def send_all() -> None:  # another layer (bench/ws_fanout.py's stock rows): its own API
        for group, message in messages:
            await layer.group_send(group, message)

    async_to_sync(send_all)()


# Library -> the versions these subclasses were written and tested against.
PATCHES = {"channels-redis": ">=4.3,<4.4"}

class FanoutChannelLayer(RedisPubSubChannelLayer):
    """The pub/sub layer with decode-once fan-out, bounded member queues and reconnect notices."""

    def __init__(self, *args, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        # Hosts as addresses ({"address": url, ...connection options}), as settings give them.
        self._sync_hosts = decode_hosts(kwargs.get("hosts"))
        self._prefix = kwargs.get("prefix", "asgi")
        self._sync_clients: tuple[int, dict[int, redis.Redis]] = (os.getpid(), {})
        self._sync_lock = threading.Lock()
        self._outbox: tuple[int, queue.SimpleQueue] | None = None

    def group_send_sync(self, messages: list[tuple[str, dict]], *, wait: bool = True) -> None:
        """group_send for sync callers: the same channels and bytes, one round trip per shard.

        Hand-written because asgiref's async_to_sync, called from a thread without an event
        loop (an RQ worker, a WSGI thread), starts a thread, a loop and so a new layer with a
        new Redis connection on every call: the score job ran at 0.21x a no-op job that way,
        and 0.43-0.77x with a long-lived loop in a thread. Here a sync connection is kept per
        process. With `wait=False` a sender thread of this process publishes, in call order,
        while the caller goes on (errors are logged; at exit what is queued is sent first, for
        up to FLUSH_SECONDS).
        """
        batches: dict[int, list[tuple[str, bytes]]] = {}
        for group, message in messages:
            channel = self.group_channel_name(group)
            shard = _consistent_hash(channel, len(self._sync_hosts))
            batches.setdefault(shard, []).append((channel, self.serialize(message)))
        if wait:
            self._publish(batches)
        elif batches:
            self._sender().put(batches)

    def _publish(self, batches: dict[int, list[tuple[str, bytes]]]) -> None:
        for shard, batch in batches.items():
            client = self._sync_client(shard)
            if len(batch) == 1:  # the common case (one event), without a pipeline's overhead
                client.publish(*batch[0])
                continue
            pipe = client.pipeline(transaction=False)
            for channel, data in batch:
                pipe.publish(channel, data)
            pipe.execute()

    def _sender(self) -> queue.SimpleQueue:
        with self._sync_lock:
            if self._outbox is None or self._outbox[0] != os.getpid():  # none yet, or forked
                outbox: queue.SimpleQueue = queue.SimpleQueue()
                threading.Thread(target=self._send_forever, args=(outbox,), daemon=True,
                                 name="channel-layer-sender").start()
                self._outbox = (os.getpid(), outbox)
                atexit.register(self._flush_outbox, outbox)
            return self._outbox[1]

    def _send_forever(self, outbox: queue.SimpleQueue) -> None:
        while True:
            item = outbox.get()
            if isinstance(item, threading.Event):
                item.set()
                continue
            try:
                self._publish(item)
            except Exception as exc:  # the events are in their Streams; sockets catch up there
                logger.warning("could not announce to the channel layer: %r", exc)

    def _flush_outbox(self, outbox: queue.SimpleQueue) -> None:
        done = threading.Event()
        outbox.put(done)
        done.wait(FLUSH_SECONDS)

    def group_channel_name(self, group: str) -> str:
        """The Pub/Sub channel of a group (RedisPubSubLoopLayer._get_group_channel_name)."""
        return f"{self._prefix}__group__{group}"

    def _sync_client(self, shard: int) -> redis.Redis:
        with self._sync_lock:
            if self._sync_clients[0] != os.getpid():  # a forked child opens its own connections
                self._sync_clients = (os.getpid(), {})
            clients = self._sync_clients[1]
            if shard not in clients:
                host = dict(self._sync_hosts[shard])
                if "master_name" in host:
                    # A Sentinel role (CHANNELS_REDIS_URL): redis-py's own Sentinel support, as
                    # channels_redis uses redis.asyncio's for the async side.
                    sentinel = redis.sentinel.Sentinel(host.pop("sentinels"), sentinel_kwargs=host.pop("sentinel_kwargs"))
                    clients[shard] = sentinel.master_for(host.pop("master_name"), **host)
                else:
                    clients[shard] = redis.Redis.from_url(host.pop("address"), **host)
            return clients[shard]

    async def receive(self, channel: str) -> dict:
        # The stock proxy reaches this through __getattr__, building a partial and one more
        # coroutine per message per member; a plain method is the same call without them.
        return await self._get_layer().receive(channel)

    def _get_layer(self) -> "_LoopLayer":
        loop = asyncio.get_running_loop()
        layer = self._layers.get(loop)
        if layer is None:
            layer = self._layers[loop] = _LoopLayer(*self._args, **self._kwargs, channel_layer=self)
            _wrap_close(self, loop)
        return layer


class _LoopLayer(RedisPubSubLoopLayer):
    """One event loop's side of FanoutChannelLayer."""

    def __init__(self, hosts=None, capacity: int = 256, **kwargs) -> None:
        super().__init__(hosts, **kwargs)
        self.capacity = capacity
        self._shards = [_Shard(host, self) for host in decode_hosts(hosts)]
        self._overflow: dict[str, Callable[[], None]] = {}
        self._overflowed: set[str] = set()

    def on_overflow(self, channel: str, callback: Callable[[], None]) -> None:
        """Call `callback` (once) when `channel`'s queue is full and a message must be dropped."""
        self._overflow[channel] = callback

    async def _subscribe_to_channel(self, channel: str) -> None:
        try:
            await super()._subscribe_to_channel(channel)
        except BaseException:
            self.channels.pop(channel, None)
            raise

    async def receive(self, channel: str) -> dict:
        """Return the next message of a local channel, already deserialized (read-only)."""
        queue = self.channels.get(channel)
        if queue is None:
            await self._subscribe_to_channel(channel)
            queue = self.channels[channel]
        try:
            return await queue.get()
        except (asyncio.CancelledError, asyncio.TimeoutError, GeneratorExit):
            # As the stock layer: a cancelled receive means the consumer is leaving.
            self._forget(channel)
            try:
                await self._get_shard(channel).unsubscribe(channel)
            except BaseException:
                logger.exception("Unexpected exception while cleaning-up channel:")
            raise

    async def discard_channel(self, channel: str) -> None:
        """Drop a local channel that never received (what a cancelled receive does for the others)."""
        if channel in self.channels:
            self._forget(channel)
            await self._get_shard(channel).unsubscribe(channel)

    def _forget(self, channel: str) -> None:
        self.channels.pop(channel, None)
        self._overflow.pop(channel, None)
        self._overflowed.discard(channel)

    def _offer(self, channel: str, message: dict) -> None:
        queue = self.channels.get(channel)
        if queue is None or channel in self._overflowed:
            return
        if queue.qsize() >= self.capacity:
            self._overflowed.add(channel)
            callback = self._overflow.pop(channel, None)
            if callback is not None:
                callback()
            return
        queue.put_nowait(message)

    def _deliver(self, name: str, data: bytes) -> None:
        members = self.groups.get(name)
        if members is None and name not in self.channels:
            return
        try:
            message = self.channel_layer.deserialize(data)  # once for every member
        except Exception:  # a malformed message must cost only itself
            logger.warning("dropped a malformed channel-layer message on %s: %r", name, data[:200])
            return
        for channel in (tuple(members) if members is not None else (name,)):
            self._offer(channel, message)

    def _resubscribed(self, name: str) -> None:
        for channel in tuple(self.groups.get(name, ())):
            self._offer(channel, RECONNECTED)


class _Shard(RedisSingleShardConnection):
    """A shard connection that waits for SUBSCRIBE acknowledgements and notices resubscriptions."""

    def __init__(self, host, channel_layer: _LoopLayer) -> None:
        super().__init__(host, channel_layer)
        self._confirmed: set[str] = set()
        self._waiters: dict[str, asyncio.Future] = {}
        self._lost = False

    async def subscribe(self, channel: str) -> None:
        await super().subscribe(channel)
        connection = self._pubsub.connection if self._pubsub is not None else None
        if connection is not None and getattr(self, "_watched", None) is not connection:
            # Called on every later connect of this connection, after redis-py's own callback
            # has sent the resubscription.
            self._watched = connection
            connection.register_connect_callback(self._connected_again)
        if channel not in self._confirmed:
            waiter = self._waiters.get(channel)
            if waiter is None:
                waiter = self._waiters[channel] = asyncio.get_running_loop().create_future()
            await asyncio.shield(waiter)

    def _connected_again(self, connection) -> None:
        self._lost = True

    async def unsubscribe(self, channel: str) -> None:
        await super().unsubscribe(channel)
        self._confirmed.discard(channel)

    async def flush(self) -> None:
        await super().flush()
        self._confirmed.clear()
        for waiter in self._waiters.values():
            waiter.cancel()
        self._waiters.clear()

    async def _do_receiving(self) -> None:
        # The stock loop drops subscribe acknowledgements; they are what tells a first
        # subscription (a member may go on) from a resubscription (members must re-read).
        while True:
            try:
                if self._pubsub and self._pubsub.subscribed:
                    message = await self._pubsub.get_message(timeout=0.1)
                    if message is not None:
                        self._receive_message(message)
                else:
                    await asyncio.sleep(0.1)
            except (asyncio.CancelledError, GeneratorExit):
                raise
            except REDIS_ERRORS as exc:
                if not self._lost:
                    logger.warning("channel layer lost its Redis connection (%s); reconnecting", exc)
                self._lost = True
                await asyncio.sleep(0.2)
            except Exception:
                logger.exception("Unexpected exception in receive task")
                await asyncio.sleep(1)

    def _receive_message(self, message: dict) -> None:
        kind, name = message["type"], message["channel"]
        if isinstance(name, bytes):
            name = name.decode()
        if kind == "message":
            self.channel_layer._deliver(name, message["data"])
        elif kind == "subscribe":
            self._acknowledged(name)

    def _acknowledged(self, name: str) -> None:
        if name not in self._confirmed:
            self._confirmed.add(name)
            waiter = self._waiters.pop(name, None)
            if waiter is not None and not waiter.done():
                waiter.set_result(None)
            return
        if self._lost:
            self._lost = False
            logger.warning("channel layer resubscribed after a lost connection")
            if self.channel_layer.on_reconnect is not None:
                self.channel_layer.on_reconnect()
        self.channel_layer._resubscribed(name)
