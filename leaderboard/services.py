"""Writes for the leaderboard outside scoring: setting points directly, migrating boards, the
period boards' retention, and the leases that cap each user's open WebSockets.

Scoring writes boards in quizzes/lua/score_apply.lua; these use the same encoding
(leaderboard/encoding.py) and the same change counter, so their ties order with its ties.
"""
from __future__ import annotations

import time
from dataclasses import dataclass, field
from datetime import datetime, timedelta, timezone
from pathlib import Path
from typing import Callable, Iterable, Mapping

from django.conf import settings

from accounts import keys as account_keys
from config.redis.clients import async_redis_client, redis_client
from config.redis.lua import LuaScript
from leaderboard import encoding, keys

_LUA = Path(__file__).parent / "lua"
_board_put = LuaScript(_LUA / "board_put.lua", library=encoding.TIE_LUA)
_board_migrate = LuaScript(_LUA / "board_migrate.lua", library=encoding.TIE_LUA)
_socket_lease = LuaScript(_LUA / "socket_lease.lua")
MIGRATE_BATCH = 500


def board_put(*, entries: Iterable[tuple[str, int]], period: str = "all", at: datetime | None = None) -> int:
    """Set (user id, points) on a period's board in order: equal points rank in this order."""
    at = at or datetime.now(timezone.utc)
    return board_entries_put(board=keys.board(period, at), entries=entries, expires_at=keys.board_expires_at(period, at))


def board_entries_put(*, board: str, entries: Iterable[tuple[str, int]], expires_at: int | None = None) -> int:
    """Set (user id, points) on the board named `board` in order (one round trip)."""
    flat = [item for uid, points in entries for item in (uid, int(points))]
    if not flat:
        return 0
    expires = expires_at
    refs = [keys.board_tie_ref(board, uid) for uid in flat[::2]]
    triples = [item for i, (_, field) in enumerate(refs) for item in (flat[2 * i], flat[2 * i + 1], field)]
    return int(_board_put(
        keys=[board, keys.tie_sequence(), keys.board_members(board), *(ref for ref, _ in refs)],
        args=["" if expires is None else expires, encoding.TIE_MAX, *triples],
    ))


@dataclass
class MigrationReport:
    """What `boards_migrate` converted."""

    boards: dict[str, int] = field(default_factory=dict)  # board key -> entries converted
    evicted: int = 0  # profiles whose remembered global entry was converted


def _legacy_boards() -> list[str]:
    """Every board key (global, day, week), found with SCAN by type: old day boards included."""
    client = redis_client()
    found = [keys.board("all")]
    for pattern in (keys.board("day").rsplit(":", 1)[0] + ":*", keys.board("week").rsplit(":", 1)[0] + ":*"):
        found += sorted(client.scan_iter(match=pattern, count=1000, _type="zset"))
    return found


def boards_migrate(*, progress: Callable[[str], None] = lambda _: None) -> MigrationReport:
    """Convert every board entry (and remembered evicted entry) of the legacy encoding; idempotent.

    Ties keep their legacy order: entries take change numbers in the order they were reached
    (legacy second, then the legacy member order within it), all before any new change.
    """
    client = redis_client()
    report = MigrationReport()
    rows: list[tuple[int, int, str, str, int]] = []  # (reached_at, tie rank, board, uid, points)
    for board in _legacy_boards():
        legacy = [(m, s) for m, s in client.zrevrange(board, 0, -1, withscores=True) if ":" not in m]
        for order, (uid, score) in enumerate(legacy):
            rows.append((encoding.legacy_reached_at(score), order, board, uid, encoding.legacy_points(score)))
        report.boards[board] = len(legacy)
    uids = client.hkeys(account_keys.users_names())
    pipe = client.pipeline(transaction=False)
    for uid in uids:
        pipe.hget(account_keys.user_profile(uid), "evicted")
    for uid, evicted in zip(uids, pipe.execute() if uids else []):
        if evicted and " " not in evicted:
            rows.append((encoding.legacy_reached_at(evicted), 0, "", uid, encoding.legacy_points(evicted)))
            report.evicted += 1
    rows.sort(key=lambda row: (row[0], row[1]))
    for start in range(0, len(rows), MIGRATE_BATCH):
        _migrate_batch(rows[start : start + MIGRATE_BATCH])
        progress(f"  {min(start + MIGRATE_BATCH, len(rows))} of {len(rows)} entries converted")
    return report


def _migrate_batch(rows: list[tuple[int, int, str, str, int]]) -> None:
    """Convert one batch in one script call: each row's board (or profile) and tie hash via KEYS."""
    script_keys, args = [keys.tie_sequence()], [encoding.TIE_MAX]
    for _, _, board, uid, points in rows:
        if board:
            ref, field = keys.board_tie_ref(board, uid)
            script_keys += [board, ref]
            args += ["board", uid, points, field]
        else:
            profile = account_keys.user_profile(uid)
            script_keys += [profile, profile]
            args += ["evicted", uid, points, ""]
    _board_migrate(keys=script_keys, args=args)


# --- WebSocket leases (the per-user cap; leaderboard/consumers.py) ------------------------------


RETAIN_HORIZON_DAYS = 400  # how far back the retention pass looks (at least the kept periods and two)


def period_boards_retain(*, now: int | None = None) -> int:
    """Give every day and week board of the last RETAIN_HORIZON_DAYS the expiry of the retention settings.

    Each score sets its boards' EXPIREAT (keys.board_expires_at), but a finished board is never
    scored again: without this pass a board finished under a shorter retention (before
    PERIOD_DAYS_KEPT / PERIOD_WEEKS_KEPT were raised, or before they existed) would still vanish
    at its old instant, and one finished under a longer one would outlive what the sweep, bans
    and erasure enumerate (leaderboard/user_records.py). A board past the rule is deleted (an
    EXPIREAT in the past). One pipelined round trip of EXPIREATs (a missing key is a no-op);
    returns how many boards are kept.
    """
    now = int(time.time()) if now is None else now
    at = datetime.fromtimestamp(now, tz=timezone.utc)
    pipe = redis_client().pipeline(transaction=False)
    expiries = []
    for period in ("day", "week"):
        moment = at
        step = keys.PERIOD_STEPS[period]
        horizon = max(timedelta(days=RETAIN_HORIZON_DAYS), (keys.periods_kept(period) + 2) * step)
        while moment > at - horizon:
            board, expires = keys.board(period, moment), keys.board_expires_at(period, moment)
            pipe.expireat(board, expires)
            pipe.expireat(keys.board_members(board), expires)
            expiries.append(expires)
            moment -= step
    found = pipe.execute()[::2]
    return sum(1 for exists, expires in zip(found, expiries) if exists and expires > now)


def _now_ms() -> int:
    return int(time.time() * 1000)


async def socket_lease_take(*, user_id: str, socket_id: str, now_ms: int | None = None) -> bool:
    """Count a new socket of `user_id` (one lease); False when the user already holds the cap."""
    lease_ms = settings.WS_SOCKET_LEASE_SECONDS * 1000
    taken = await _socket_lease.run_async(
        keys=[keys.user_sockets(user_id)],
        args=[socket_id, _now_ms() if now_ms is None else now_ms, lease_ms, settings.WS_MAX_SOCKETS_PER_USER],
    )
    return bool(int(taken))


async def socket_leases_renew(*, leases: Mapping[str, Iterable[str]], now_ms: int | None = None) -> None:
    """Extend the leases of this process's open sockets ({user id: socket ids}), one round trip.

    XX: a lease that already lapsed (its process stalled past it) or was released is not brought
    back, so a renewal racing a close can never hold a place for a socket that is gone.
    """
    lease_ms = settings.WS_SOCKET_LEASE_SECONDS * 1000
    until = (_now_ms() if now_ms is None else now_ms) + lease_ms
    pipe = async_redis_client().pipeline(transaction=True)
    for user_id, socket_ids in leases.items():
        name = keys.user_sockets(user_id)
        pipe.zadd(name, dict.fromkeys(socket_ids, until), xx=True)
        pipe.pexpire(name, 2 * lease_ms)
    if len(pipe):
        await pipe.execute()


async def socket_lease_release(*, user_id: str, socket_id: str) -> None:
    """Give back a closed socket's place (the key goes with its last member)."""
    await async_redis_client().zrem(keys.user_sockets(user_id), socket_id)
