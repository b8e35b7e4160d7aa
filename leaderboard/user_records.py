"""The leaderboard's per-user records, as registered with accounts/records.py (AppConfig.ready)."""
from __future__ import annotations

from accounts.records import ERASE_BATCH, BoardSpan, RecordKind, keys_delete
from config.redis.clients import redis_client
from leaderboard import groups, keys


def global_board(now: int) -> list[BoardSpan]:
    """The all-time board: never expires."""
    return [(keys.board("all"), None)]


def period_boards(now: int) -> list[BoardSpan]:
    """Every day and week board that can still exist at `now`, from the boards' own expiry rule."""
    return keys.period_boards_live(now)


def personal_events_erase(user_id: str) -> None:
    keys_delete(redis_client(), [keys.user_events_stream(user_id)])


def board_events_erase(user_id: str) -> None:
    """Delete the board events that name the user (top 10 snapshots, entries into it), a page at a time.

    Runs after the user left the boards, whose script recorded a top 10 without them. A socket
    replaying across a deleted entry only re-reads the Stream (its `after` id is gone).
    """
    client = redis_client()
    stream, start = keys.events_stream(), "-"
    while page := client.xrange(stream, min=start, max="+", count=ERASE_BATCH):
        naming = [entry_id for entry_id, fields in page if user_id in fields.get("body", "")]
        if naming:
            client.xdel(stream, *naming)
        start = "(" + page[-1][0]


def socket_leases_erase(user_id: str) -> None:
    """Drop the user's socket leases (their sockets close with their sessions; a late release is a no-op)."""
    keys_delete(redis_client(), [keys.user_sockets(user_id)])


KINDS = (
    # Board entries: bans, privacy and the sweep take a user off them (erasure runs a ban's
    # leave first); their parked copies are accounts' `parked` kind.
    RecordKind(name="board.global", owner="leaderboard", documented=(), boards=global_board,
               ban=True, hide=True, sweep=True),
    RecordKind(name="board.period", owner="leaderboard", documented=(), boards=period_boards,
               ban=True, hide=True, sweep=True),
    # Memberships both ways and the group boards (privacy keeps a member on them: API.md).
    RecordKind(name="groups", owner="leaderboard", order=45, erase=groups.groups_erase, export=groups.groups_export,
               documented=("qb:grp:user:{uid}",), ban=True, sweep=True,
               on_leave=groups.group_boards_leave, on_return=groups.group_boards_return),
    RecordKind(name="events.personal", owner="leaderboard", documented=("qb:lb:events:user:{uid}",),
               erase=personal_events_erase),
    RecordKind(name="sockets", owner="leaderboard", documented=("qb:lb:sockets:user:{uid}",),
               erase=socket_leases_erase),
    RecordKind(name="events.board", owner="leaderboard", documented=("qb:lb:events",), erase=board_events_erase,
               on_hide=board_events_erase),
)
