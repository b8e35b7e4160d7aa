"""The audit log of admin actions: a capped Stream (XADD MAXLEN ~ AUDIT_STREAM_MAXLEN), newest first on read.

Each entry: actor_id, action, target_type, target_id, reason; the entry id gives its time.
With the archive on, each entry is also an outbox entry (`audit.recorded`) in the same MULTI,
so PostgreSQL keeps what the capped Stream drops.
"""
from __future__ import annotations

from django.conf import settings

from accounts import keys
from config.http.times import iso_from_epoch
from config.outbox.reader import outbox_append
from config.redis.clients import redis_client

ACTIONS = ("user.ban", "user.unban", "submission.disqualify", "quiz.create", "quiz.update", "quiz.delete",
           "admin.grant")


def audit_record(*, actor_id: str, action: str, target_type: str, target_id: str, reason: str = "") -> str:
    """Append one admin action; return its entry id."""
    entry = {"actor_id": actor_id, "action": action, "target_type": target_type, "target_id": target_id,
             "reason": reason}
    pipe = redis_client().pipeline(transaction=True)
    pipe.xadd(keys.audit_stream(), entry, maxlen=settings.AUDIT_STREAM_MAXLEN, approximate=True)
    outbox_append(pipe, type="audit.recorded", data=entry)
    return pipe.execute()[0]


def audit_entries(*, limit: int = 50, before: str | None = None) -> list[dict]:
    """Entries newest first, `limit` of them, strictly older than the entry id `before`."""
    end = "+" if before is None else _just_before(before)
    if end is None:
        return []
    rows = redis_client().xrevrange(keys.audit_stream(), max=end, min="-", count=limit)
    return [
        {"id": entry_id, "at": iso_from_epoch(int(entry_id.split("-")[0]) / 1000), **fields}
        for entry_id, fields in rows
    ]


def _just_before(entry_id: str) -> str | None:
    """The greatest entry id below `entry_id` (None below 0-0): XREVRANGE's inclusive bound."""
    ms, seq = (int(part) for part in entry_id.split("-"))
    if seq > 0:
        return f"{ms}-{seq - 1}"
    return f"{ms - 1}-{2**64 - 1}" if ms > 0 else None
