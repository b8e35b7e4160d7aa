"""Keys owned by the leaderboard app.

| key                          | type   | TTL                                    | contents                                   |
|------------------------------|--------|----------------------------------------|--------------------------------------------|
| qb:lb:all                    | zset   | none                                   | "<tie>:<uid>" -> total points (see encoding.py); each user's tie is the profile field `board_tie` |
| qb:lb:day:{YYYY-MM-DD}       | zset   | until PERIOD_DAYS_KEPT + 1 days after the UTC day | "<tie>:<uid>" -> points earned that day    |
| qb:lb:day:{YYYY-MM-DD}:members | hash | the day board's                        | uid -> its tie on that board               |
| qb:lb:week:{YYYY-Www}        | zset   | until PERIOD_WEEKS_KEPT weeks + 1 day after the ISO week | "<tie>:<uid>" -> points earned that week   |
| qb:lb:week:{YYYY-Www}:members | hash  | the week board's                       | uid -> its tie on that board               |
| qb:lb:seq                    | string | none                                   | the change counter whose value orders ties |
| qb:lb:events                 | stream | none; capped (XADD MAXLEN ~ EVENTS_STREAM_MAXLEN) | board events, field `body` = event JSON without its id |
| qb:lb:top10:published        | string | none (one small key)                   | the last top10_changed event JSON sent (change detection) |
| qb:lb:events:user:{uid}      | stream | EVENTS_USER_STREAM_SECONDS after the user's last event; capped (MAXLEN ~ EVENTS_USER_STREAM_MAXLEN) | one user's personal events, same shape |
| qb:lb:sockets:user:{uid}     | zset   | 2 x WS_SOCKET_LEASE_SECONDS after the last lease taken or renewed | socket id -> lease end (epoch ms): the user's open WebSockets, at most WS_MAX_SOCKETS_PER_USER |

Channel-layer groups (names, not keys: letters, digits and `.-_` only): `leaderboard` (every
/ws/leaderboard/ socket) and `user.<uid>` (that user's /ws/me/ sockets) get each event of their
Stream as `feed.event`; sessions' groups are accounts' (accounts.keys.session_group).
A stream entry's id is the event's `event_id`; replay reads the stream after a client's last id.
"""
from __future__ import annotations

from datetime import datetime, timedelta, timezone

from django.conf import settings

from accounts import keys as account_keys
from config.redis.keys import key

PERIODS = ("all", "day", "week")
BOARD_GROUP = "leaderboard"


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


def period_span(period: str, at: datetime) -> tuple[datetime, datetime]:
    """Return the (start, end) instants of the day or ISO week containing `at` (end exclusive)."""
    at = at.astimezone(timezone.utc)
    day_start = datetime(at.year, at.month, at.day, tzinfo=timezone.utc)
    if period == "day":
        return day_start, day_start + timedelta(days=1)
    if period == "week":
        start = day_start - timedelta(days=at.weekday())
        return start, start + timedelta(days=7)
    raise ValueError(f"unknown period {period!r}")


PERIOD_STEPS = {"day": timedelta(days=1), "week": timedelta(weeks=1)}


def periods_kept(period: str) -> int:
    """How many finished day or week boards stay readable (`ago` 1..this): the settings."""
    return settings.PERIOD_DAYS_KEPT if period == "day" else settings.PERIOD_WEEKS_KEPT


def board_expires_at(period: str, at: datetime) -> int | None:
    """Epoch seconds at which the period board containing `at` may disappear (None: never).

    A board stays while it is `ago` <= periods_kept(period) of the current period, and one day
    more, so that a read racing the reset still finds the board it computed.
    """
    if period == "all":
        return None
    _, end = period_span(period, at)
    return int((end + periods_kept(period) * PERIOD_STEPS[period] + timedelta(days=1)).timestamp())


BOARD_TIE_FIELD = "board_tie"  # the profile field holding a user's tie on the global board


def board_members(board_key: str) -> str:
    """Return the companion hash (uid -> tie) of the day or week board named `board_key`."""
    return f"{board_key}:members"


def board_tie_ref(board_key: str, user_id: str) -> tuple[str, str]:
    """Return (hash key, field) where a user's tie on the board named `board_key` is kept.

    The global board keeps it in the user's profile hash: a field of that small hash costs
    about 20 B a user, where a 1M-entry members hash measured about 130 B (bench/). Day and
    week boards, smaller and expiring, keep their own members hash.
    """
    if board_key == board("all"):
        return account_keys.user_profile(user_id), BOARD_TIE_FIELD
    return board_members(board_key), user_id


def tie_sequence() -> str:
    """The counter every board change takes a number from: equal points order by it."""
    return key("lb", "seq")


def events_stream() -> str:
    """The capped Stream of board events (top 10 changes, entries into the top 10)."""
    return key("lb", "events")


def top_published() -> str:
    """The last top10_changed event body published, to send only real changes."""
    return key("lb", "top10", "published")


def user_events_stream(user_id: str) -> str:
    """The capped, expiring Stream of one user's personal events."""
    return key("lb", "events", "user", user_id)


def user_sockets(user_id: str) -> str:
    """The leases of one user's open WebSockets, across every web process (the per-user cap)."""
    return key("lb", "sockets", "user", user_id)


def user_group(user_id: str) -> str:
    """The channel-layer group of one user's /ws/me/ sockets (not a key: a group name)."""
    return f"user.{user_id}"
