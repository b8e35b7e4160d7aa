"""Keys owned by the leaderboard app.

| key                          | type   | TTL                               | contents                                   |
|------------------------------|--------|-----------------------------------|--------------------------------------------|
| qb:lb:all                    | zset   | none                              | uid -> encoded score (see encoding.py)     |
| qb:lb:day:{YYYY-MM-DD}       | zset   | until 2 days after the UTC day    | uid -> encoded points earned that day      |
| qb:lb:week:{YYYY-Www}        | zset   | until 8 days after the ISO week   | uid -> encoded points earned that week     |
"""
from __future__ import annotations

from datetime import datetime, timedelta, timezone

from config.keys import key

PERIODS = ("all", "day", "week")


def board(period: str = "all", at: datetime | None = None) -> str:
    """Return the board key for `period` ("all", "day", "week") containing the instant `at`."""
    if period == "all":
        return key("lb", "all")
    at = at or datetime.now(timezone.utc)
    if period == "day":
        return key("lb", "day", at.strftime("%Y-%m-%d"))
    if period == "week":
        year, week, _ = at.isocalendar()
        return key("lb", "week", f"{year}-W{week:02d}")
    raise ValueError(f"unknown period {period!r}")


def board_expires_at(period: str, at: datetime) -> int | None:
    """Epoch seconds at which the period board containing `at` may disappear (None: never)."""
    if period == "all":
        return None
    day_start = datetime(at.year, at.month, at.day, tzinfo=timezone.utc)
    if period == "day":
        end = day_start + timedelta(days=1)
        return int((end + timedelta(days=2)).timestamp())
    if period == "week":
        end = day_start + timedelta(days=7 - at.weekday())
        return int((end + timedelta(days=8)).timestamp())
    raise ValueError(f"unknown period {period!r}")
