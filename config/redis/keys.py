"""The project-wide key prefix; each app's `keys.py` builds its own keys on top of it.

| key       | type   | TTL                                       | contents                                        |
|-----------|--------|-------------------------------------------|-------------------------------------------------|
| qb:outbox | stream | none; trimmed once every group is done, capped at OUTBOX_MAXLEN | entries `type`, `data` (JSON), read by consumer groups (config/outbox/reader.py) |
| qb:epoch  | string | none                                      | JSON {id, created_at, by, state, lost_at}: the data store's epoch (config/redis/epoch.py) |
"""
from __future__ import annotations

import hashlib

from django.conf import settings


def key(*parts: object) -> str:
    """Join parts under the project prefix: key("user", uid) -> "qb:user:<uid>"."""
    return ":".join([settings.REDIS_KEY_PREFIX, *(str(p) for p in parts)])


def digest(text: str) -> str:
    """SHA-256 hex of untrusted text, so user-supplied strings never appear in key names."""
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


def outbox_stream() -> str:
    """The data store's outbox: a capped Stream that scripts append to in the same atomic step.

    Each entry has a `type` field and a JSON `data` field; every reader is a consumer group
    (the queue relay, the PostgreSQL archive), so a new reader needs no new write path.
    """
    return key("outbox")


def epoch() -> str:
    """The data store's epoch marker: written at first start, so its absence later means a loss."""
    return key("epoch")
