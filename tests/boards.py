"""Read boards in tests the way the app does: through each user's recorded tie (encoding.py)."""
from __future__ import annotations

from leaderboard import encoding
from leaderboard.keys import board_tie_ref


def _member(redis, board: str, user_id: str) -> str | None:
    tie = redis.hget(*board_tie_ref(board, user_id))
    return None if tie is None else f"{tie}:{user_id}"


def board_points(redis, board: str, user_id: str) -> int | None:
    """Return the user's points on `board`, or None when they are not on it."""
    member = _member(redis, board, user_id)
    score = redis.zscore(board, member) if member else None
    return None if score is None else encoding.decode_points(score)


def board_users(redis, board: str) -> list[str]:
    """Return the user ids on `board`, best first (ties: who got there first)."""
    return [encoding.member_user(m) for m in redis.zrevrange(board, 0, -1)]


def board_seq(redis, board: str, user_id: str) -> int:
    """Return the change number with which the user reached their points on `board`."""
    return encoding.member_seq(_member(redis, board, user_id))


def board_entry(redis, board: str, user_id: str) -> tuple[int, int] | None:
    """Return the user's (points, change number) on `board`: the whole entry, tie included."""
    points = board_points(redis, board, user_id)
    return None if points is None else (points, board_seq(redis, board, user_id))
