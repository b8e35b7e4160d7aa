"""Read the data store's outbox Stream as one consumer group, and dispatch each entry by type.

Scripts append entries (`type`, JSON `data`) to `config.keys.outbox_stream()` in the same atomic
step as the change they describe; each reader is a consumer group with its own handlers (the
`relay` group moves score jobs to the queue's Redis; others may read the same entries for their
own types). A group delivers each entry to one of its consumers; an entry is acknowledged
(XACK) only after its handler returned, so a consumer that dies mid-way leaves it pending, and
another consumer takes it over with XAUTOCLAIM once it has been idle `claim_idle_ms`. Handlers
must therefore be idempotent: an entry may be handled more than once, never zero times (while
it is in the Stream: see OUTBOX_MAXLEN). Entries of types a group has no handler for are
acknowledged and skipped.

Every reader also trims, at most every `trim_seconds`, the entries every group is done with
(lua/outbox_trim.lua), so the Stream holds what is unread plus a little; OUTBOX_MAXLEN is
only the safety cap for a reader that stays away. Nothing is trimmed while a group named in
settings.OUTBOX_GROUPS does not exist yet, so a newly deployed group reads from the start.
"""
from __future__ import annotations

import json
import logging
import os
import socket
import threading
import time
from pathlib import Path
from typing import Callable

import redis
import redis.exceptions
from django.conf import settings

from config.keys import outbox_stream
from config.redis import LuaScript

_trim = LuaScript(Path(__file__).parent / "lua" / "outbox_trim.lua")

logger = logging.getLogger(__name__)

Handler = Callable[[dict, str], None]  # (data, entry id)
REDIS_DOWN = (redis.exceptions.ConnectionError, redis.exceptions.TimeoutError)


def consumer_name() -> str:
    """A name unique to this process (host and pid), as consumer names must be."""
    return f"{socket.gethostname()}-{os.getpid()}"


class OutboxReader:
    """One consumer of one group on the outbox Stream."""

    def __init__(
        self, *, client: redis.Redis, group: str, handlers: dict[str, Handler], consumer: str | None = None,
        batch: int = 100, block_ms: int = 500, claim_idle_ms: int = 30_000, trim_seconds: float = 10.0,
    ) -> None:
        self.client = client
        self.stream = outbox_stream()
        self.group = group
        self.handlers = handlers
        self.consumer = consumer or consumer_name()
        self.batch = batch
        self.block_ms = block_ms  # below the socket timeout, so an idle read is not a timeout
        self.claim_idle_ms = claim_idle_ms
        self.trim_seconds = trim_seconds
        self._group_ready = False
        self._trimmed_at = 0.0

    def trim(self) -> int:
        """Remove the entries every group is done with; return how many went."""
        self._trimmed_at = time.monotonic()
        return int(_trim(keys=[self.stream], args=list(settings.OUTBOX_GROUPS), client=self.client))

    def ensure_group(self) -> None:
        """Create the group at the Stream's start (MKSTREAM), so no entry written before is skipped."""
        try:
            self.client.xgroup_create(self.stream, self.group, id="0", mkstream=True)
        except redis.exceptions.ResponseError as exc:
            if "BUSYGROUP" not in str(exc):
                raise
        self._group_ready = True

    def run_once(self) -> int:
        """Handle pending entries (own, then a dead consumer's), else new ones (blocking up to block_ms)."""
        if not self._group_ready:
            self.ensure_group()
        try:
            # First this consumer's own unacknowledged entries (a handler that failed), then a
            # dead consumer's, then new ones.
            mine = self.client.xreadgroup(self.group, self.consumer, {self.stream: "0"}, count=self.batch)
            entries = [e for e in (mine[0][1] if mine else []) if e[1]]
            if not entries:
                _, claimed, _ = self.client.xautoclaim(
                    self.stream, self.group, self.consumer, self.claim_idle_ms, "0-0", count=self.batch,
                )
                entries = [e for e in claimed if e[1]]  # a trimmed entry comes back without fields
            if not entries:
                read = self.client.xreadgroup(
                    self.group, self.consumer, {self.stream: ">"}, count=self.batch, block=self.block_ms,
                )
                entries = read[0][1] if read else []
        except redis.exceptions.ResponseError as exc:
            if "NOGROUP" not in str(exc):
                raise
            self._group_ready = False  # the Stream was deleted (e.g. FLUSHALL): create it again
            return 0
        done = []
        try:
            for entry_id, fields in entries:
                self._dispatch(_text(entry_id), fields)
                done.append(entry_id)
        finally:
            if done:
                self.client.xack(self.stream, self.group, *done)
        if time.monotonic() - self._trimmed_at >= self.trim_seconds:
            self.trim()
        return len(done)

    def _dispatch(self, entry_id: str, fields: dict) -> None:
        kind = _text(fields.get("type") or fields.get(b"type") or "")
        handler = self.handlers.get(kind)
        if handler is None:
            return  # another group's type
        try:
            data = json.loads(fields.get("data") or fields.get(b"data") or "{}")
        except ValueError:
            logger.error("outbox entry %s (%s) has malformed data; skipped", entry_id, kind)
            return
        handler(data, entry_id)

    def run(self, stop: threading.Event) -> None:
        """Read until `stop` is set, waiting out Redis outages and failing handlers."""
        wait = 0.1
        while not stop.is_set():
            try:
                self.run_once()
                wait = 0.1
            except Exception as exc:  # noqa: BLE001 - the entry stays pending and is retried
                level = logging.WARNING if isinstance(exc, REDIS_DOWN) else logging.ERROR
                logger.log(level, "outbox group %s: %s: %s; retrying in %.1f s", self.group,
                           type(exc).__name__, exc, wait, exc_info=level == logging.ERROR)
                stop.wait(wait)
                wait = min(wait * 2, 5.0)


def _text(value) -> str:
    return value.decode() if isinstance(value, bytes) else str(value)
