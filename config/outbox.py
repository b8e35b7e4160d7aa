"""The outbox Stream: what scripts append, and a small generic consumer-group reader.

Writers pass `outbox_script_args()` to the scripts that change records: with the archive off
they get no extra key and append nothing, so Redis-only memory is unchanged. Readers are
consumer groups (`archive` here); each reads its own pending entries first (a reader that died
mid-batch gets them again), then new ones, and acknowledges after its side effects commit.
Entries are `{type, data}` with `data` JSON. `outbox_trim` drops what every group has read
and acknowledged, so the Stream holds only the backlog; the XADD cap bounds it in an outage.
Hand-written because redis-py has the Stream commands but no consumer loop, and none of the
stack's libraries (RQ, channels-redis) reads a Stream; it stays small and generic so that any
other reader of this outbox (a relay) can use it too.
"""
from __future__ import annotations

import json
import time
from dataclasses import dataclass

import redis.exceptions
from django.conf import settings

from config.keys import outbox_stream
from config.redis import redis_client


@dataclass(frozen=True)
class Entry:
    id: str
    type: str
    data: dict


def outbox_script_args() -> tuple[list[str], list]:
    """The outbox key and cap to append to a script's KEYS and ARGV; empty when the archive is off."""
    if not settings.ARCHIVE_ENABLED:
        return [], []
    return [outbox_stream()], [settings.OUTBOX_STREAM_MAXLEN]


def outbox_append(pipe, *, type: str, data: dict) -> None:
    """Queue an outbox entry on a MULTI pipeline (for writes that are not scripts)."""
    if settings.ARCHIVE_ENABLED:
        pipe.xadd(
            outbox_stream(), {"type": type, "data": json.dumps(data, separators=(",", ":"))},
            maxlen=settings.OUTBOX_STREAM_MAXLEN, approximate=True,
        )


def _entries(reply) -> list[Entry]:
    out = []
    for _stream, rows in reply or []:
        for entry_id, fields in rows:
            if fields:  # a pending entry trimmed away by the cap comes back empty
                out.append(Entry(entry_id, fields.get("type", ""), json.loads(fields.get("data") or "{}")))
    return out


class OutboxReader:
    """One consumer of one consumer group on the outbox Stream."""

    def __init__(self, *, group: str, consumer: str, client=None) -> None:
        self.group, self.consumer = group, consumer
        self.stream = outbox_stream()
        self.client = client or redis_client()

    def ensure_group(self) -> None:
        """Create the group at the start of the Stream (so nothing already appended is skipped)."""
        try:
            self.client.xgroup_create(self.stream, self.group, id="0", mkstream=True)
        except redis.exceptions.ResponseError as exc:
            if "BUSYGROUP" not in str(exc):
                raise

    def read(self, *, count: int, block_ms: int) -> list[Entry]:
        """Return this consumer's unacknowledged entries, else up to `count` new ones."""
        pending = self.client.xreadgroup(self.group, self.consumer, {self.stream: "0"}, count=count)
        entries = _entries(pending)
        stale = [row[0] for _s, rows in pending or [] for row in rows if not row[1]]
        if stale:
            self.client.xack(self.stream, self.group, *stale)
        if entries:
            return entries
        fresh = self.client.xreadgroup(self.group, self.consumer, {self.stream: ">"}, count=count, block=block_ms)
        return _entries(fresh)

    def ack(self, ids: list[str], pipe=None) -> None:
        """Acknowledge entries (queued on `pipe` when given, to share its MULTI)."""
        if ids:
            (pipe or self.client).xack(self.stream, self.group, *ids)

    def backlog(self) -> dict:
        """Entries not yet acknowledged by this group, and the age in seconds of the oldest one."""
        return outbox_backlog(group=self.group, client=self.client)


def outbox_backlog(*, group: str, client=None) -> dict:
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


def outbox_trim(*, client=None) -> None:
    """Drop entries every group has read and acknowledged (XTRIM MINID)."""
    client = client or redis_client()
    stream = outbox_stream()
    try:
        groups = client.xinfo_groups(stream)
    except redis.exceptions.ResponseError:
        return
    if not groups:
        return
    floor = None
    for info in groups:
        pending = client.xpending(stream, info["name"])
        needed = pending["min"] if pending["pending"] else _next_id(info["last-delivered-id"])
        floor = needed if floor is None or _id_key(needed) < _id_key(floor) else floor
    client.xtrim(stream, minid=floor, approximate=False)


def _id_key(entry_id: str) -> tuple[int, int]:
    ms, _, seq = entry_id.partition("-")
    return int(ms), int(seq or 0)


def _next_id(entry_id: str) -> str:
    ms, seq = _id_key(entry_id)
    return f"{ms}-{seq + 1}"


def _age(entry_id: str | None) -> float:
    if entry_id is None:
        return 0.0
    return round(max(0.0, time.time() - _id_key(entry_id)[0] / 1000), 3)
