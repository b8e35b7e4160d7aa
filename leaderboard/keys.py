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
| qb:grp:{gid}                 | hash   | none                                   | a group: id, name, owner_id, created_at, join_code (shown to its owner) |
| qb:grp:{gid}:members         | set    | none                                   | the group's member uids (GROUP_MAX_MEMBERS at most) |
| qb:grp:{gid}:joined          | hash   | none                                   | member uid -> joined_at (ISO-8601)         |
| qb:grp:code:{sha256(code)}   | string | none                                   | the group id a join code opens (one per group; rotating deletes the old) |
| qb:grp:user:{uid}            | set    | none                                   | the ids of the user's groups (GROUPS_MAX_PER_USER at most) |
| qb:grp:{gid}:lb:all          | zset   | none                                   | the group's all-time board: a copy of each member's qb:lb:all entry |
| qb:grp:{gid}:lb:day:{YYYY-MM-DD} | zset | the day board's                      | a copy of each member's day-board entry    |
| qb:grp:{gid}:lb:week:{YYYY-Www} | zset | the week board's                      | a copy of each member's week-board entry   |
| qb:grp:{gid}:events          | stream | none; capped (XADD MAXLEN ~ GROUP_EVENTS_STREAM_MAXLEN); deleted with the group | the group board's events, field `body` (group_live.py) |
| qb:grp:{gid}:top10:published | string | none; deleted with the group           | the group's last top10 recorded (change detection) |

A group board's member is the user's member on the global board of that period ("<tie>:<uid>",
same points), so the user's tie is found where the global board keeps it (board_tie_ref); the
score script writes both in one step (fan-out on write, quizzes/lua/score_apply.lua).

Channel-layer groups (names, not keys: letters, digits and `.-_` only): `leaderboard` (every
/ws/leaderboard/ socket) and `user.<uid>` (that user's /ws/me/ sockets) get each event of their
Stream as `feed.event`; `leaderboard.group.<gid>` (every /ws/leaderboard/?group= socket of that
group) gets the group's Stream, and `leaderboard.group.<gid>.user.<uid>` (that member's) `group.left`; sessions' groups are accounts' (accounts.keys.session_group).
A stream entry's id is the event's `event_id`; replay reads the stream after a client's last id.
"""
from __future__ import annotations

from datetime import datetime, timedelta, timezone

from django.conf import settings

from accounts import keys as account_keys
from config.redis.keys import digest, key

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


def period_boards_live(now: int) -> list[tuple[str, int]]:
    """Every day and week board (key, EXPIREAT) that can still exist at epoch second `now`."""
    spans: list[tuple[str, int]] = []
    at = datetime.fromtimestamp(now, tz=timezone.utc)
    for period, step in (("day", timedelta(days=1)), ("week", timedelta(weeks=1))):
        moment = at
        while (expires := board_expires_at(period, moment)) > now:
            spans.append((board(period, moment), expires))
            moment -= step
    return spans


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


# --- groups (classes, study groups) ------------------------------------------------------------


def group(group_id: str) -> str:
    """A group's hash: id, name, owner_id, created_at, join_code."""
    return key("grp", group_id)


def group_members(group_id: str) -> str:
    """The Set of a group's member ids."""
    return key("grp", group_id, "members")


def group_joined(group_id: str) -> str:
    """A group's member id -> joined_at hash."""
    return key("grp", group_id, "joined")


def group_code(code: str) -> str:
    """The key a join code opens (the normalized code is hashed: it is client-supplied text)."""
    return key("grp", "code", digest(code))


def user_groups(user_id: str) -> str:
    """The Set of the ids of a user's groups."""
    return key("grp", "user", user_id)


def group_board(group_id: str, period: str = "all", at: datetime | None = None) -> str:
    """The group's board for `period` containing `at`: the global board's name under the group."""
    global_board = board(period, at)
    suffix = global_board[len(key("lb")) + 1:]  # "all", "day:<date>", "week:<week>"
    return key("grp", group_id, "lb", suffix)


def group_board_of(group_id: str, global_board: str) -> str:
    """The group's copy of the global (or period) board named `global_board`."""
    return key("grp", group_id, "lb", global_board[len(key("lb")) + 1:])


def group_events_stream(group_id: str) -> str:
    """The group board's capped Stream of events (its top 10 changes, entries into it)."""
    return key("grp", group_id, "events")


def group_top_published(group_id: str) -> str:
    """The group's last top10 recorded, to record only real changes."""
    return key("grp", group_id, "top10", "published")


def group_channel(group_id: str) -> str:
    """The channel-layer group of every socket following the group's board (a name, not a key)."""
    return f"leaderboard.group.{group_id}"


def group_member_channel(group_id: str, user_id: str) -> str:
    """The channel-layer group of one member's sockets on the group's board (closed when they leave)."""
    return f"leaderboard.group.{group_id}.user.{user_id}"
