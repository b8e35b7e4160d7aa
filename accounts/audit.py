"""The audit log of admin actions: a capped Stream (XADD MAXLEN ~ AUDIT_STREAM_MAXLEN), newest first on read.

Each entry: actor_id, action, target_type, target_id, reason; the entry id gives its time.
With the archive on, each entry is also an outbox entry (`audit.recorded`, with the Stream's
entry id) written in the same script, so PostgreSQL (accounts_audit) keeps what the cap drops.
"""
from __future__ import annotations

from pathlib import Path

from django.conf import settings

from accounts import keys
from config.http.times import iso_from_epoch
from config.outbox.reader import outbox_script_args
from config.redis.clients import redis_client
from config.redis.lua import LuaScript

_record = LuaScript(Path(__file__).parent / "lua" / "audit_record.lua")

ACTIONS = ("user.ban", "user.unban", "submission.disqualify", "quiz.create", "quiz.update", "quiz.delete",
           "admin.grant")


def audit_record(*, actor_id: str, action: str, target_type: str, target_id: str, reason: str = "") -> str:
    """Append one admin action (and its outbox copy, archive on) in one script; return its entry id."""
    outbox_keys, outbox_args = outbox_script_args()
    return _record(
        keys=[keys.audit_stream(), *outbox_keys],
        args=[settings.AUDIT_STREAM_MAXLEN, actor_id, action, target_type, target_id, reason, *outbox_args],
    )


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
