"""Inactive-user lifecycle: evict users idle for INACTIVE_AFTER_DAYS, clear what expiry left behind.

Two passes, both idempotent and safe next to live traffic, run hourly by the `scheduler`
process (config/cron.py) and on demand by `manage.py cleanup_inactive`:

1. The sweep reads inactive ids from the last-seen index in batches (`ZRANGEBYSCORE ... LIMIT`)
   and evicts each with one Lua script (accounts/lua/user_evict.lua) that re-reads last-seen
   first, so a user who was active in the meantime is kept.
2. The orphan pass walks every session index with `SCAN MATCH ... COUNT` (never `KEYS`) and drops
   ids whose session hash has expired. No script is needed there: a session id is the hash of a
   fresh random token, so a session that is gone never comes back.
"""
from __future__ import annotations

import math
import time
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Callable

from django.conf import settings

from accounts import keys, records
from accounts.services import sessions_ended_announce
from config.http.times import iso_from_epoch
from config.redis.clients import redis_client
from config.redis.lua import lua_source
from leaderboard import keys as lb_keys

_EVICT = Path(__file__).parent / "lua" / "user_evict.lua"

# user_evict.lua statuses
KEPT_ACTIVE, EVICTED, GONE, INDEX_CHANGED = 0, 1, 2, 3

Progress = Callable[[str], None]


def _quiet(message: str) -> None:
    """The default progress sink: say nothing."""


@dataclass
class SweepReport:
    """What the sweep removed (on a dry run: would remove)."""

    cutoff: int
    dry_run: bool
    candidates: int = 0
    evicted: int = 0
    kept_active: int = 0
    retry_next_run: int = 0
    board_entries: int = 0
    sessions: int = 0

    def add(self, outcomes: list[list[int]]) -> int:
        """Count a batch of script results; return how many ids are still in the inactive range."""
        still_inactive = 0
        for status, boards, sessions in outcomes:
            self.candidates += 1
            if status == EVICTED:
                self.evicted += 1
                self.board_entries += boards
                self.sessions += sessions
                still_inactive += self.dry_run  # a dry run leaves them where they were
            elif status == KEPT_ACTIVE:
                self.kept_active += 1
            elif status == INDEX_CHANGED:
                self.retry_next_run += 1
                still_inactive += 1
        return still_inactive


@dataclass
class TidyReport:
    """What the orphan pass found: session indexes seen, dead ids removed (or found, dry run)."""

    dry_run: bool
    indexes: int = 0
    dead_entries: int = 0
    scan_calls: int = 0


def redis_now() -> int:
    """Epoch seconds by the Redis clock: the clock last-seen is written with."""
    seconds, _micros = redis_client().time()
    return int(seconds)


def inactive_cutoff(*, days: float, now: int) -> int:
    """Epoch second before which a last-seen time counts as inactive."""
    if not math.isfinite(days) or days < 0:
        raise ValueError("days must be a finite number >= 0")
    return now - math.floor(days * 86_400)


def live_boards(*, now: int) -> list[str]:
    """Every board a user may stand on at `now` that the sweep clears (accounts/records.py).

    The global board first (user_evict.lua keeps its entry for a return); each board kind says
    which of its boards can still exist, from its own expiry rule: no keyspace walk.
    """
    boards = [board for board, _ in records.user_boards(now=now, purpose="sweep")]
    return sorted(boards, key=lambda board: board != lb_keys.board("all"))


def inactive_user_ids(*, cutoff: int, offset: int, count: int) -> list[str]:
    """Ids whose last activity is before `cutoff`, oldest first, one page."""
    return redis_client().zrangebyscore(
        keys.users_last_seen(), "-inf", f"({cutoff}", start=offset, num=count
    )


def indexed_sessions(*, user_ids: list[str]) -> list[list[str]]:
    """Each user's indexed session ids, live or expired (one round trip)."""
    pipe = redis_client().pipeline(transaction=False)
    for user_id in user_ids:
        pipe.zrange(keys.user_sessions(user_id), 0, -1)
    return pipe.execute()


def users_evict(
    *, user_ids: list[str], cutoff: int, boards: list[str], dry_run: bool = False
) -> list[list[int]]:
    """Evict each user still inactive at `cutoff` (one atomic script each, pipelined).

    Returns one [status, board entries, live sessions] per id; see user_evict.lua.
    """
    client = redis_client()
    indexes = indexed_sessions(user_ids=user_ids)
    # Each user's own boards (their quiz boards) follow the shared ones: one pipelined read a batch.
    own = records.users_own_boards(user_ids=user_ids, now=int(time.time()), purpose="sweep")
    # redis-py's Script in a pipeline sends EVALSHA (after one SCRIPT EXISTS), not the source
    # once per user as config.redis.lua.LuaScript does to keep the hot path at one round trip.
    script = client.register_script(lua_source(_EVICT))
    last_seen, mode = keys.users_last_seen(), int(dry_run)
    pipe = client.pipeline(transaction=False)
    for user_id, session_ids, own_boards in zip(user_ids, indexes, own):
        user_boards = [*boards, *own_boards]
        script(
            keys=[
                last_seen,
                keys.user_profile(user_id),
                keys.user_sessions(user_id),
                *(key for board in user_boards for key in (board, lb_keys.board_tie_ref(board, user_id)[0])),
                *(keys.session(sid) for sid in session_ids),
            ],
            args=[user_id, cutoff, len(user_boards) - 1, mode, lb_keys.BOARD_TIE_FIELD, *session_ids],
            client=pipe,
        )
    outcomes = pipe.execute()
    if not dry_run:
        for user_id, outcome in zip(user_ids, outcomes):
            if outcome[0] == EVICTED:
                records.user_left_boards(user_id=user_id, purpose="sweep")  # per-user boards (groups')
        sessions_ended_announce(session_ids=[
            sid for session_ids, outcome in zip(indexes, outcomes) if outcome[0] == 1 for sid in session_ids
        ])
    return outcomes


def inactive_users_sweep(
    *,
    days: float,
    dry_run: bool = False,
    batch: int | None = None,
    now: int | None = None,
    progress: Progress = _quiet,
) -> SweepReport:
    """Evict every user with no authenticated activity for `days`, one batch at a time."""
    now = redis_now() if now is None else int(now)
    batch = batch or settings.INACTIVE_SWEEP_BATCH
    report = SweepReport(cutoff=inactive_cutoff(days=days, now=now), dry_run=dry_run)
    boards = live_boards(now=now)
    progress(f"  cutoff {iso_from_epoch(report.cutoff)}; boards: {', '.join(boards)}")
    # Evicted and active ids leave the range as we go; only ids still in it move the offset.
    offset = 0
    while user_ids := inactive_user_ids(cutoff=report.cutoff, offset=offset, count=batch):
        outcomes = users_evict(user_ids=user_ids, cutoff=report.cutoff, boards=boards, dry_run=dry_run)
        offset += report.add(outcomes)
        progress(
            f"  read {len(user_ids)} inactive ids; so far {report.evicted} "
            f"{'to evict' if dry_run else 'evicted'}, {report.kept_active} active again (kept), "
            f"{report.retry_next_run} left for the next run"
        )
    return report


def session_indexes_tidy(
    *, dry_run: bool = False, batch: int | None = None, progress: Progress = _quiet
) -> TidyReport:
    """SCAN every session index (never KEYS) and drop the ids of sessions that have expired."""
    client = redis_client()
    batch = batch or settings.INACTIVE_SWEEP_BATCH
    report = TidyReport(dry_run=dry_run)
    cursor = 0
    while True:
        cursor, index_keys = client.scan(cursor, match=keys.user_sessions_pattern(), count=batch)
        report.scan_calls += 1
        if index_keys:
            report.indexes += len(index_keys)
            report.dead_entries += _indexes_prune(index_keys=index_keys, dry_run=dry_run)
        if report.scan_calls % 100 == 0 or cursor == 0:
            progress(
                f"  {report.scan_calls} SCAN calls: {report.indexes} session indexes, "
                f"{report.dead_entries} dead entries"
            )
        if cursor == 0:
            return report


def _indexes_prune(*, index_keys: list[str], dry_run: bool) -> int:
    """Drop expired-session ids from these indexes (three round trips for the whole page).

    A page-at-a-time services.sessions_prune: that one serves a single user at login (two or
    three round trips each, plus the session cap), too many round trips for a keyspace walk.
    """
    client = redis_client()
    read = client.pipeline(transaction=False)
    for index in index_keys:
        read.zrange(index, 0, -1)
    members = read.execute()
    check = client.pipeline(transaction=False)
    for session_ids in members:
        for sid in session_ids:
            check.exists(keys.session(sid))
    alive = iter(check.execute())
    dead = {
        index: [sid for sid in session_ids if not next(alive)]
        for index, session_ids in zip(index_keys, members)
    }
    dead = {index: sids for index, sids in dead.items() if sids}
    if dead and not dry_run:
        write = client.pipeline(transaction=False)
        for index, sids in dead.items():
            write.zrem(index, *sids)  # the last ZREM of an index deletes it
        write.execute()
    return sum(len(sids) for sids in dead.values())


@dataclass
class CleanupReport:
    """Both passes of one cleanup run."""

    days: float
    sweep: SweepReport
    tidy: TidyReport

    def summary(self) -> str:
        """One human line: what was removed (or, on a dry run, would be)."""
        verb = "would remove" if self.sweep.dry_run else "removed"
        return (
            f"{verb} {self.sweep.evicted} inactive users ({self.sweep.board_entries} board entries, "
            f"{self.sweep.sessions} live sessions); kept {self.sweep.kept_active} that were active "
            f"again; {self.sweep.retry_next_run} left for the next run; {verb} "
            f"{self.tidy.dead_entries} dead session-index entries in {self.tidy.indexes} indexes"
        )

    def as_dict(self) -> dict:
        """The report as plain data (the RQ job's result)."""
        return {"days": self.days, "sweep": asdict(self.sweep), "tidy": asdict(self.tidy)}


def inactive_users_cleanup(
    *,
    days: float | None = None,
    dry_run: bool = False,
    batch: int | None = None,
    now: int | None = None,
    progress: Progress = _quiet,
) -> CleanupReport:
    """Run the sweep, then the orphan pass: what the hourly job and cleanup_inactive both run."""
    days = settings.INACTIVE_AFTER_DAYS if days is None else days
    progress(f"Sweep: users with no activity for {days:g} days")
    sweep = inactive_users_sweep(days=days, dry_run=dry_run, batch=batch, now=now, progress=progress)
    progress("Orphan pass: SCAN of the session indexes")
    tidy = session_indexes_tidy(dry_run=dry_run, batch=batch, progress=progress)
    return CleanupReport(days=days, sweep=sweep, tidy=tidy)
