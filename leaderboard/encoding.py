"""How a board holds exact points *and* the order in which Redis applied them.

    score  = points                     (a double: exact for every integer up to 2**53 - 1)
    member = "<tie>:<uid>", tie = TIE_MAX - seq in 11 base-32 digits (0-9a-v)

`seq` comes from one counter (`qb:lb:seq`, INCR), taken by the score script each time it
changes a user's points, so it is the order Redis applied the changes, at any rate. Among equal
scores `ZREVRANGE`/`ZREVRANK` order members by descending bytes, and 0-9a-v sort like their
values, so the lower seq (the user who
got there first) comes first: one key, one command, no second lookup. A user's tie on a board
is also kept where a rank read can find it (leaderboard.keys.board_tie_ref): in the profile hash
for the global board, in the board's `:members` hash (uid -> tie) for day and week boards.

Why not time in the score (the encoding before this one, `points * 2**31 + seconds`): a double
has 53 bits, so every bit of tie-break costs a bit of points; one-second ties capped points at
2**22 - 1 = 4,194,303 and fell back to user id order within a second. Here points are exact up
to MAX_POINTS and ties never fall back; the counter lasts 2**53 changes. Eleven base-32 digits
keep a member at 28 bytes, which Redis stores in a 32-byte allocation: 15 decimal digits made
it 32 bytes and a 48-byte allocation, 16 B more per member (bench/leaderboard_scale.py).
Lua scripts that write boards build members the same way (quizzes/lua/score_apply.lua).
"""
from __future__ import annotations

from pathlib import Path

# The same rule in Lua, prepended to every script that writes a board member (tie_of).
TIE_LUA = Path(__file__).resolve().parent / "lua" / "tie.lua"

TIE_WIDTH = 11
TIE_MAX = 2**53 - 1
MAX_POINTS = 2**53 - 1
_DIGITS = "0123456789abcdefghijklmnopqrstuv"  # base 32, in byte order

# The encoding before this one, only for migrating boards written with it (leaderboard/services.py).
LEGACY_TIME_SPAN = 2**31
LEGACY_EPOCH = 1_704_067_200  # 2024-01-01T00:00:00Z


def member(user_id: str, seq: int) -> str:
    """Return the board member of `user_id` for the change numbered `seq`."""
    if not 0 < seq <= TIE_MAX:
        raise ValueError(f"seq must be within 1..{TIE_MAX}")
    value, digits = TIE_MAX - seq, []
    for _ in range(TIE_WIDTH):
        value, digit = divmod(value, 32)
        digits.append(_DIGITS[digit])
    return f"{''.join(reversed(digits))}:{user_id}"


def member_user(board_member: str) -> str:
    """Return the user id of a board member."""
    return board_member.partition(":")[2]


def member_seq(board_member: str) -> int:
    """Return the change number of a board member (lower: reached its points earlier)."""
    return TIE_MAX - int(board_member.partition(":")[0], 32)


def decode_points(score: float | int | str) -> int:
    """Return the whole points of a board score (what clients are shown)."""
    return int(float(score))


def legacy_points(encoded: float | int | str) -> int:
    """Return the points of a score written by the legacy encoding."""
    return int(float(encoded)) // LEGACY_TIME_SPAN


def legacy_reached_at(encoded: float | int | str) -> int:
    """Return the epoch second a legacy-encoded score was reached."""
    return LEGACY_EPOCH + (LEGACY_TIME_SPAN - 1 - int(float(encoded)) % LEGACY_TIME_SPAN)
