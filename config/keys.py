"""The project-wide key prefix; each app's `keys.py` builds its own keys on top of it."""
from __future__ import annotations

import hashlib

from django.conf import settings


def key(*parts: object) -> str:
    """Join parts under the project prefix: key("user", uid) -> "qb:user:<uid>"."""
    return ":".join([settings.REDIS_KEY_PREFIX, *(str(p) for p in parts)])


def digest(text: str) -> str:
    """SHA-256 hex of untrusted text, so user-supplied strings never appear in key names."""
    return hashlib.sha256(text.encode("utf-8")).hexdigest()
