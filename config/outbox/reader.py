"""The outbox Stream: what scripts append, and one consumer-group reader for every group.

Scripts append entries (`type`, JSON `data`) to `config.redis.keys.outbox_stream()` in the same
atomic step as the change they describe: the accept script's `submission.accepted` when the
queue has its own Redis (settings.SUBMISSIONS_VIA_OUTBOX), and the record scripts' entries
only with the archive on (`outbox_script_args()`; with it off they get no extra key, so
Redis-only memory is unchanged). Each reader is a consumer group: `relay` moves score jobs to
the queue's Redis (handlers, `run`), `archive` writes batches to PostgreSQL (`read`, `ack`).

A group delivers each entry to one of its consumers; an entry is acknowledged (XACK) only
after its side effects are done, so a consumer that dies mid-way leaves it pending: it reads
its own pending entries first, and another consumer takes a dead one's over with XAUTOCLAIM
once they have been idle `claim_idle_ms`. Handlers must therefore be idempotent: an entry may
be handled more than once, never zero times (while it is in the Stream: see OUTBOX_MAXLEN).

`outbox_trim` (lua/outbox_trim.lua) drops, in one step, what every group has read and
acknowledged, so the Stream holds only the backlog; nothing is trimmed while a group named in
settings.OUTBOX_GROUPS does not exist yet, so a newly deployed group reads from the start.
`XADD MAXLEN ~ OUTBOX_MAXLEN` is only the safety cap for a reader that stays away.
Hand-written because redis-py has the Stream commands but no consumer loop, and none of the
stack's libraries (RQ, channels-redis) reads a Stream.
"""
from __future__ import annotations

import json
import logging
import os
import socket
import threading
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Callable

import redis
import redis.exceptions
from django.conf import settings

from config.redis.keys import outbox_stream
from config.redis.clients import redis_client
from config.redis.epoch import EpochWatch
from config.redis.errors import REDIS_DOWN, Backoff
from config.redis.lua import LuaScript

_trim = LuaScript(Path(__file__).parent / "lua" / "outbox_trim.lua")

logger = logging.getLogger(__name__)

Handler = Callable[[dict, str], None]  # (data, entry id)
# The `relay` group's handlers by entry type, registered by the apps' AppConfig.ready.
RELAY_HANDLERS: dict[str, Handler] = {}


def relay_handler_register(kind: str, handler: Handler) -> None:
    """Have the `relay` process hand outbox entries of type `kind` to `handler`."""
    RELAY_HANDLERS[kind] = handler


@dataclass(frozen=True)
class Entry:
    id: str
    type: str
    data: dict


def outbox_script_args() -> tuple[list[str], list]:
    """The outbox key and cap to append to a record script's KEYS and ARGV; empty when the archive is off."""
    if not settings.ARCHIVE_ENABLED:
        return [], []
    return [outbox_stream()], [settings.OUTBOX_MAXLEN]


def outbox_append(pipe, *, type: str, data: dict) -> None:
    """Queue an archive outbox entry on a MULTI pipeline (for writes that are not scripts)."""
    if settings.ARCHIVE_ENABLED:
        pipe.xadd(
            outbox_stream(), {"type": type, "data": json.dumps(data, separators=(",", ":"))},
            maxlen=settings.OUTBOX_MAXLEN, approximate=True,
        )


def consumer_name() -> str:
    """A name unique to this process (host and pid), as consumer names must be."""
    return f"{socket.gethostname()}-{os.getpid()}"


class OutboxReader:
    """One consumer of one group on the outbox Stream."""

    def __init__(
        self, *, group: str, consumer: str | None = None, client: redis.Redis | None = None,
        handlers: dict[str, Handler] | None = None, batch: int = 100, block_ms: int = 500,
        claim_idle_ms: int = 30_000, trim_seconds: float = 10.0,
    ) -> None:
        self.client = client or redis_client()
        self.stream = outbox_stream()
        self.group = group
        self.consumer = consumer or consumer_name()
        self.handlers = handlers or {}
        self.batch = batch
        self.block_ms = block_ms  # below the socket timeout, so an idle read is not a timeout
        self.claim_idle_ms = claim_idle_ms
        self.trim_seconds = trim_seconds
        self._group_ready = False
        self._trimmed_at = 0.0

    def ensure_group(self) -> None:
        """Create the group at the Stream's start (MKSTREAM), so no entry written before is skipped."""
        try:
            self.client.xgroup_create(self.stream, self.group, id="0", mkstream=True)
        except redis.exceptions.ResponseError as exc:
            if "BUSYGROUP" not in str(exc):
                raise
        self._group_ready = True

    def read(self, *, count: int, block_ms: int | None) -> list[Entry]:
        """Return this consumer's pending entries, else a dead consumer's, else up to `count` new ones."""
        mine = self.client.xreadgroup(self.group, self.consumer, {self.stream: "0"}, count=count)
        rows = mine[0][1] if mine else []
        self._ack_trimmed(rows)
        if not rows or not any(fields for _, fields in rows):
            _, claimed, *_ = self.client.xautoclaim(
                self.stream, self.group, self.consumer, self.claim_idle_ms, "0-0", count=count,
            )
            self._ack_trimmed(claimed)
            rows = claimed
        if not any(fields for _, fields in rows):
            fresh = self.client.xreadgroup(self.group, self.consumer, {self.stream: ">"}, count=count, block=block_ms)
            rows = fresh[0][1] if fresh else []
        return [_entry(entry_id, fields) for entry_id, fields in rows if fields]

    def _ack_trimmed(self, rows) -> None:
        # A pending entry the cap trimmed away comes back without fields: nothing left to act on.
        gone = [entry_id for entry_id, fields in rows if not fields]
        if gone:
            self.client.xack(self.stream, self.group, *gone)

    def ack(self, ids: list[str], pipe=None) -> None:
        """Acknowledge entries (queued on `pipe` when given, to share its MULTI)."""
        if ids:
            (pipe or self.client).xack(self.stream, self.group, *ids)

    def backlog(self) -> dict:
        """Entries not yet acknowledged by this group, and the age in seconds of the oldest one."""
        return outbox_backlog(group=self.group, client=self.client)

    def trim(self) -> int:
        """Remove the entries every group is done with; return how many went."""
        self._trimmed_at = time.monotonic()
        return outbox_trim(client=self.client)

    def run_once(self) -> int:
        """Handle one batch with the handlers (blocking up to block_ms for new entries); return its size."""
        if not self._group_ready:
            self.ensure_group()
        try:
            entries = self.read(count=self.batch, block_ms=self.block_ms)
        except redis.exceptions.ResponseError as exc:
            if not group_lost(exc):
                raise
            logger.error("outbox group %s is gone (%s); creating it again", self.group, exc)
            self._group_ready = False  # the Stream was deleted (e.g. FLUSHALL): create it again
            return 0
        done = []
        try:
            for entry in entries:
                self._dispatch(entry)
                done.append(entry.id)
        finally:
            self.ack(done)
        if time.monotonic() - self._trimmed_at >= self.trim_seconds:
            self.trim()
        return len(done)

    def _dispatch(self, entry: Entry) -> None:
        handler = self.handlers.get(entry.type)
        if handler is None:
            return  # another group's type
        if entry.data is None:
            logger.error("outbox entry %s (%s) has malformed data; skipped", entry.id, entry.type)
            return
        handler(entry.data, entry.id)

    def run(self, stop: threading.Event) -> None:
        """Read until `stop` is set, waiting out Redis outages and failing handlers."""
        backoff, epoch = Backoff(), EpochWatch()
        while not stop.is_set():
            try:
                epoch.check()
                self.run_once()
                backoff.reset()
            except Exception as exc:  # noqa: BLE001 - the entry stays pending and is retried
                wait = backoff.next()
                level = logging.WARNING if isinstance(exc, REDIS_DOWN) else logging.ERROR
                logger.log(level, "outbox group %s: %s: %s; retrying in %.1f s", self.group,
                           type(exc).__name__, exc, wait, exc_info=level == logging.ERROR)
                stop.wait(wait)


def group_lost(exc: redis.exceptions.ResponseError) -> bool:
    """Whether a Stream command failed because the Stream or its group no longer exists.

    NOGROUP: the group is gone (FLUSHALL, a Redis restarted with nothing on disk). UNBLOCKED:
    the Stream was deleted while this reader blocked on it (FLUSHALL during an XREADGROUP).
    """
    return str(exc).startswith(("NOGROUP", "UNBLOCKED"))


def _entry(entry_id, fields: dict) -> Entry:
    fields = {_text(k): _text(v) for k, v in fields.items()}
    try:
        data = json.loads(fields.get("data") or "{}")
    except ValueError:
        data = None
    return Entry(_text(entry_id), fields.get("type", ""), data)


def outbox_trim(*, client: redis.Redis | None = None) -> int:
    """Drop the entries every group has read and acknowledged, atomically; return how many went."""
    try:
        return int(_trim(keys=[outbox_stream()], args=list(settings.OUTBOX_GROUPS), client=client or redis_client()))
    except redis.exceptions.ResponseError as exc:
        if "no such key" in str(exc).lower():
            return 0
        raise


def outbox_backlog(*, group: str, client: redis.Redis | None = None) -> dict:
    """Unacknowledged entries of `group` (pending plus unread) and the oldest one's age (s)."""
    client = client or redis_client()
    stream = outbox_stream()
    try:
        groups = {g["name"]: g for g in client.xinfo_groups(stream)}
    except redis.exceptions.ResponseError:  # no Stream yet
        return {"backlog": 0, "oldest_age_seconds": 0.0}
    info = groups.get(group)
    if info is None:
        length = client.xlen(stream)
        oldest = client.xrange(stream, count=1)
        return {"backlog": length, "oldest_age_seconds": _age(oldest[0][0] if oldest else None)}
    pending = client.xpending(stream, group)
    unread = client.xrange(stream, min=f"({info['last-delivered-id']}", count=1)
    lag = info.get("lag")
    if lag is None:  # Redis cannot tell after some trims: the Stream's length bounds it
        lag = client.xlen(stream) if unread else 0
    candidates = [pending["min"]] if pending["pending"] else []
    candidates += [unread[0][0]] if unread else []
    oldest = min(candidates, key=_id_key) if candidates else None
    return {"backlog": pending["pending"] + int(lag), "oldest_age_seconds": _age(oldest)}


def _id_key(entry_id: str) -> tuple[int, int]:
    ms, _, seq = entry_id.partition("-")
    return int(ms), int(seq or 0)


def _age(entry_id: str | None) -> float:
    if entry_id is None:
        return 0.0
    return round(max(0.0, time.time() - _id_key(entry_id)[0] / 1000), 3)


def _text(value) -> str:
    return value.decode() if isinstance(value, bytes) else str(value)
