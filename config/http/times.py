"""Instants as the API writes them: ISO-8601 UTC to the second, with a Z (the one rule, API.md)."""
from __future__ import annotations

from datetime import datetime, timezone


def iso(at: datetime) -> str:
    """Format an instant as ISO-8601 UTC to the second with a Z: 2026-12-06T21:00:00Z."""
    return at.astimezone(timezone.utc).isoformat(timespec="seconds").replace("+00:00", "Z")


def iso_now() -> str:
    """The current instant, formatted by `iso`."""
    return iso(datetime.now(timezone.utc))


def iso_from_epoch(seconds: float) -> str:
    """An epoch time in seconds, formatted by `iso`."""
    return iso(datetime.fromtimestamp(seconds, tz=timezone.utc))
