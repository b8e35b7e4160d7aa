"""Reads for the leaderboard: pages, ranks, the around-me window, and the real-time reads.

Every board read is one round trip: a read-only Lua script joins usernames (HMGET) to the
ranked rows, so a page never costs one call per row. Ranks are 1-based; unranked is None.
The `async` functions serve the WebSocket consumers and the fast read (leaderboard/fastreads.py) on
the event loop's own Redis pool.
"""
from __future__ import annotations

from datetime import datetime, timezone
from pathlib import Path

from accounts import keys as account_keys
from config.http.times import iso
from config.redis.clients import async_redis_client
from config.redis.lua import LuaScript
from leaderboard import keys
from leaderboard.encoding import decode_points
from leaderboard.events import TOP_N

_LUA = Path(__file__).parent / "lua"
_board_page = LuaScript(_LUA / "board_page.lua")
_board_around = LuaScript(_LUA / "board_around.lua")
_board_rank = LuaScript(_LUA / "board_rank.lua")


def _entries(flat: list, first: int) -> list[dict]:
    """Turn the scripts' flat [uid, points, username, ...] rows into entries."""
    rows = []
    for i in range(0, len(flat), 3):
        uid, encoded, name = flat[i : i + 3]
        rows.append(
            {"rank": first + i // 3 + 1, "user_id": uid, "username": name, "score": decode_points(encoded)}
        )
    return rows


def period_moment(*, period: str, ago: int, now: datetime | None = None) -> datetime | None:
    """Return an instant inside the day or week `ago` periods before `now`'s (None: `all`, or past retention)."""
    now = now or datetime.now(timezone.utc)
    if period == "all" or ago > keys.periods_kept(period):
        return None
    return now - ago * keys.PERIOD_STEPS[period]


def period_of(period: str, at: datetime) -> dict:
    """Return a board's `period` object: {name, starts_at, ends_at} (both null for `all`)."""
    if period == "all":
        return {"name": "all", "starts_at": None, "ends_at": None}
    start, end = keys.period_span(period, at)
    return {"name": period, "starts_at": iso(start), "ends_at": iso(end)}


def leaderboard_page(
    *, period: str = "all", limit: int = 10, offset: int = 0, at: datetime | None = None
) -> dict:
    """Return {total, entries, period} for one page of a board, best first (one round trip)."""
    at = at or datetime.now(timezone.utc)
    total, flat, _ = _board_page(**_page_call(period, limit, offset, at))
    return {"total": int(total), "entries": _entries(flat, offset), "period": period_of(period, at)}


async def leaderboard_page_async(
    *, period: str = "all", limit: int = 10, offset: int = 0, at: datetime | None = None
) -> dict:
    """`leaderboard_page` on the running event loop's Redis pool (leaderboard/fastreads.py)."""
    at = at or datetime.now(timezone.utc)
    total, flat, _ = await _board_page.run_async(**_page_call(period, limit, offset, at))
    return {"total": int(total), "entries": _entries(flat, offset), "period": period_of(period, at)}


def _page_call(period: str, limit: int, offset: int, at: datetime) -> dict:
    return {"keys": [keys.board(period, at), account_keys.users_names()], "args": [offset, offset + limit - 1]}


def board_page(*, board: str, limit: int = 10, offset: int = 0) -> dict:
    """Return {total, entries} for one page of any board by its key (a quiz's board), best first."""
    total, flat, _ = _board_page(keys=[board, account_keys.users_names()], args=[offset, offset + limit - 1])
    return {"total": int(total), "entries": _entries(flat, offset)}


def leaderboard_around(
    *, user_id: str, around: int = 2, period: str = "all", at: datetime | None = None
) -> dict:
    """Return {rank, score, around} for a user and `around` entries each side (one round trip)."""
    board = keys.board(period, at)
    ref, field = keys.board_tie_ref(board, user_id)
    return board_around(board=board, ref=ref, field=field, user_id=user_id, around=around)


def board_around(*, board: str, user_id: str, around: int = 2, ref: str | None = None, field: str | None = None,
                 tie: str | None = None) -> dict:
    """{rank, score, around} on any board by its key (one round trip).

    The user's tie is found where the board keeps it (`keys.board_tie_ref`), or at (ref, field)
    (a group board: the global board's ties), or given as `tie`.
    """
    if ref is None or field is None:
        ref, field = keys.board_tie_ref(board, user_id)
    args = [user_id, around, field] + ([tie] if tie else [])
    row = _board_around(keys=[board, account_keys.users_names(), ref], args=args)
    if not row:
        return {"rank": None, "score": 0, "around": []}
    rank, encoded, first, flat = row
    return {"rank": int(rank) + 1, "score": decode_points(encoded), "around": _entries(flat, int(first))}


def leaderboard_rank_of(*, user_id: str, period: str = "all", at: datetime | None = None) -> dict | None:
    """Return {rank, score} of a user on a board, or None for an unknown user (one round trip)."""
    board = keys.board(period, at)
    ref, field = keys.board_tie_ref(board, user_id)
    rank, points, exists = _board_rank(
        keys=[board, ref, account_keys.user_profile(user_id)], args=[user_id, field]
    )
    if not exists:
        return None
    if rank < 0:
        return {"rank": None, "score": 0}
    return {"rank": rank + 1, "score": decode_points(points)}


def board_rank_call(*, user_id: str, period: str = "all", at: datetime | None = None) -> tuple[str, list, list]:
    """Return (script source, keys, args) reading a user's {rank, points} on a board, for a pipeline.

    The reply is [0-based rank or -1, points, 1]; see leaderboard/lua/board_rank.lua.
    """
    board = keys.board(period, at)
    ref, field = keys.board_tie_ref(board, user_id)
    return _board_rank.source, [board, ref], [user_id, field]


# --- real time (asyncio) -----------------------------------------------------------------------


async def leaderboard_snapshot() -> dict:
    """Return {entries: top 10, event_id: newest board event} read in one atomic step."""
    _, flat, newest = await _board_page.run_async(
        keys=[keys.board("all"), account_keys.users_names(), keys.events_stream()],
        args=[0, TOP_N - 1],
    )
    return {"entries": _entries(flat, 0), "event_id": newest}


async def group_member_is(*, group_id: str, user_id: str) -> bool:
    """Whether the user is in the group (for its socket)."""
    return bool(await async_redis_client().sismember(keys.group_members(group_id), user_id))


async def group_snapshot(*, group_id: str) -> dict:
    """Return a group board's {entries: top 10, event_id: newest group event} read in one atomic step."""
    _, flat, newest = await _board_page.run_async(
        keys=[keys.group_board(group_id), account_keys.users_names(), keys.group_events_stream(group_id)],
        args=[0, TOP_N - 1],
    )
    return {"entries": _entries(flat, 0), "event_id": newest}


async def me_snapshot(*, user_id: str) -> dict:
    """Return {user_id, username, total_score, rank, event_id: newest personal event} (MULTI)."""
    source, rank_keys, rank_args = board_rank_call(user_id=user_id)
    pipe = async_redis_client().pipeline(transaction=True)
    pipe.hmget(account_keys.user_profile(user_id), "username", "total_score")
    pipe.eval(source, len(rank_keys), *rank_keys, *rank_args)
    pipe.xrevrange(keys.user_events_stream(user_id), "+", "-", count=1)
    (username, total), (rank, _, _), newest = await pipe.execute()
    return {
        "user_id": user_id,
        "username": username,
        "total_score": int(total or 0),
        "rank": None if rank < 0 else rank + 1,
        "event_id": newest[0][0] if newest else "0-0",
    }


async def events_range(*, stream: str, start: str, count: int) -> list[tuple[str, str]]:
    """Return up to `count` (event id, stored event JSON) from `start` (XRANGE syntax) on."""
    rows = await async_redis_client().xrange(stream, min=start, max="+", count=count)
    return [(event_id, fields.get("body", "")) for event_id, fields in rows]


async def sessions_alive(*, session_ids: list[str]) -> set[str]:
    """Return which of the sessions still exist (one pipelined EXISTS each, one round trip)."""
    pipe = async_redis_client().pipeline(transaction=False)
    for session_id in session_ids:
        pipe.exists(account_keys.session(session_id))
    found = await pipe.execute()
    return {sid for sid, alive in zip(session_ids, found) if alive}
