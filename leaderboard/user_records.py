"""The leaderboard's per-user records, as registered with accounts/records.py (AppConfig.ready)."""
from __future__ import annotations

from datetime import datetime, timedelta, timezone

from accounts.records import BoardSpan, RecordKind, keys_delete
from config.redis.clients import redis_client
from leaderboard import keys


def global_board(now: int) -> list[BoardSpan]:
    """The all-time board: never expires."""
    return [(keys.board("all"), None)]


def period_boards(now: int) -> list[BoardSpan]:
    """Every day and week board that can still exist at `now`, from the boards' own expiry rule."""
    spans: list[BoardSpan] = []
    at = datetime.fromtimestamp(now, tz=timezone.utc)
    for period, step in (("day", timedelta(days=1)), ("week", timedelta(weeks=1))):
        moment = at
        while (expires := keys.board_expires_at(period, moment)) > now:
            spans.append((keys.board(period, moment), expires))
            moment -= step
    return spans


def personal_events_erase(user_id: str) -> None:
    keys_delete(redis_client(), [keys.user_events_stream(user_id)])


KINDS = (
    # Board entries: bans, privacy and the sweep take a user off them (erasure runs a ban's
    # leave first); their parked copies are accounts' `parked` kind.
    RecordKind(name="board.global", owner="leaderboard", documented=(), boards=global_board,
               ban=True, hide=True, sweep=True),
    RecordKind(name="board.period", owner="leaderboard", documented=(), boards=period_boards,
               ban=True, hide=True, sweep=True),
    RecordKind(name="events.personal", owner="leaderboard", documented=("qb:lb:events:user:{uid}",),
               erase=personal_events_erase),
)
