"""How a leaderboard member's sorted-set score encodes points *and* who got there first.

    encoded = points * 2**TIME_BITS + (2**TIME_BITS - 1 - seconds_since_EPOCH)

Higher points always win; among equal points the member who reached them earlier has the
larger remainder, so `ZREVRANGE`/`ZREVRANK` order ties by time with one key and no second
lookup. A Redis sorted-set score is a double, exact for integers below 2**53, so with
TIME_BITS = 31 (seconds up to 2092 from a 2024 epoch) points stay exact up to 2**22 - 1 =
4,194,303 per board. Within the same second, ties fall back to Redis' member order.
Lua scripts that write boards use the same formula (see quizzes/lua/score_apply.lua).
"""
from __future__ import annotations

TIME_BITS = 31
TIME_SPAN = 2**TIME_BITS
EPOCH = 1_704_067_200  # 2024-01-01T00:00:00Z
MAX_POINTS = 2 ** (53 - TIME_BITS) - 1


def encode(points: int, at_seconds: int) -> int:
    """Encode `points` reached at epoch second `at_seconds`."""
    if not 0 <= points <= MAX_POINTS:
        raise ValueError(f"points must be within 0..{MAX_POINTS}")
    offset = min(max(int(at_seconds) - EPOCH, 0), TIME_SPAN - 1)
    return points * TIME_SPAN + (TIME_SPAN - 1 - offset)


def decode_points(encoded: float | int | str) -> int:
    """Return the whole points of an encoded score (what clients are shown)."""
    return int(float(encoded)) // TIME_SPAN


def reached_at(encoded: float | int | str) -> int:
    """Return the epoch second at which the points were reached."""
    return EPOCH + (TIME_SPAN - 1 - int(float(encoded)) % TIME_SPAN)
