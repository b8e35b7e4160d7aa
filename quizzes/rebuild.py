"""Restore Redis from the PostgreSQL record after a total loss (`manage.py rebuild_redis`).

Quizzes with their current answer keys, then users in batches: profile, password hash, name
indexes, best per quiz, and their global, daily, weekly and per-quiz board entries, each user in one
script (quizzes/lua/player_restore.lua). Board members are built as scoring builds them
(leaderboard/encoding.py) from the gain and the tie counter value recorded with each
submission, and the counter is set past the highest, so ranks and their tie order come back
as they were and later changes order after them. Idempotent; never over a live profile
or a newer quiz version unless forced. Then the submissions accepted but not scored when
Redis lost them (quizzes_submission_queued) are queued again, with their score jobs, so every
202 whose record reached PostgreSQL is scored; and the data store's epoch is written back
(config/redis/epoch.py), which ends health's `lost`. Not restored: sessions (log in again),
idempotency keys (24 h), processed submissions (read from PostgreSQL), what was still in the
outbox when Redis lost it (the archive's backlog: health's archive.backlog).
"""
from __future__ import annotations

import json
from collections import defaultdict
from dataclasses import dataclass, field
from datetime import datetime, timedelta, timezone
from pathlib import Path
from typing import Callable

from django.db import connection

from accounts.moderation import BANNED, HIDDEN, boards_leave
from accounts import keys as account_keys
from config.redis.clients import redis_client
from config.redis.epoch import epoch_recorded, epoch_write
from config.redis.lua import LuaScript
from leaderboard import encoding
from leaderboard import keys as board_keys
from quizzes import keys
from quizzes.relay import submission_accepted
from config.http.times import iso

_LUA = Path(__file__).parent / "lua"
_player_restore = LuaScript(_LUA / "player_restore.lua")
_quiz_restore = LuaScript(_LUA / "quiz_restore.lua")
_submission_restore = LuaScript(_LUA / "submission_restore.lua")

BATCH = 500


def period_lookback(now: datetime) -> datetime:
    """The oldest instant whose day or week board can still be alive at `now` (the retention settings)."""
    return min(
        now - (board_keys.periods_kept(period) + 1) * board_keys.PERIOD_STEPS[period] - timedelta(days=2)
        for period in ("day", "week")
    )


@dataclass
class Report:
    quizzes: int = 0
    quizzes_skipped: int = 0
    users: int = 0
    users_skipped: int = 0
    queued: int = 0
    moderated: int = 0
    name_conflicts: list[str] = field(default_factory=list)


def rebuild_redis(*, force: bool = False, now: datetime | None = None,
                  progress: Callable[[str], None] = lambda _line: None) -> Report:
    """Restore quizzes, then users with their scores and boards; report what was done."""
    now = now or datetime.now(timezone.utc)
    report = Report()
    _quizzes_restore(report, force)
    progress(f"quizzes: {report.quizzes} restored, {report.quizzes_skipped} already current")
    periods = _period_points(now)
    last_gain = _last_gain_seqs()
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT id, username, role, created_at, password, total_score, quizzes_solved FROM accounts_user ORDER BY id"
        )
        restored: list[str] = []
        while rows := cursor.fetchmany(BATCH):
            restored += _users_restore(rows, report, force, periods, last_gain, now)
            progress(f"users: {report.users} restored, {report.users_skipped} skipped")
    report.moderated = _moderation_restore(restored, now)
    progress(f"users: {report.moderated} banned or hidden again")
    report.queued = _queued_restore()
    progress(f"submissions: {report.queued} accepted but unscored queued again")
    epoch = epoch_write(by="rebuild_redis", epoch_id=epoch_recorded())
    progress(f"epoch {epoch.id} written: the data is back")
    return report


def _queued_restore() -> int:
    """Queue again the accepted submissions with no scored record, and enqueue their score jobs."""
    with connection.cursor() as cursor:
        cursor.execute("""
            SELECT q.id, q.user_id, q.quiz_id, q.quiz_version, q.answers, q.created_at, q.created_ms, v.answer_key
            FROM quizzes_submission_queued q
            JOIN quizzes_quiz_version v ON v.quiz_id = q.quiz_id AND v.version = q.quiz_version
            WHERE NOT EXISTS (SELECT 1 FROM quizzes_submission s WHERE s.id = q.id)
            ORDER BY q.created_ms
        """)
        rows = cursor.fetchall()
    restored = 0
    for sid, uid, qid, version, answers, created, created_ms, answer_key in rows:
        if _submission_restore(
            keys=[keys.submission(sid), keys.quiz_submissions(qid), keys.submissions_queued(),
                  keys.quiz_pending(qid), keys.quiz_versions(qid)],
            args=[sid, uid, qid, version, answers, iso(created), created_ms, answer_key],
        ):
            restored += 1
            submission_accepted({"submission_id": sid, "quiz_id": qid, "user_id": uid}, "")  # skips a job that exists
    return restored


def _quizzes_restore(report: Report, force: bool) -> None:
    with connection.cursor() as cursor:
        cursor.execute("""
            SELECT q.id, q.title, q.version, q.questions, q.shape, q.question_count, q.max_score, q.created_at,
                   q.created_ms, q.updated_at, v.answer_key
            FROM quizzes_quiz q JOIN quizzes_quiz_version v ON v.quiz_id = q.id AND v.version = q.version
            WHERE q.deleted_at IS NULL
        """)
        rows = cursor.fetchall()
    pipe = redis_client().pipeline(transaction=False)
    for qid, title, version, questions, shape, count, max_score, created, created_ms, updated, answer_key in rows:
        fields = {"id": qid, "title": title, "version": version, "question_count": count, "max_score": max_score,
                  "shape": shape, "questions": questions, "created_at": iso(created), "updated_at": iso(updated)}
        _quiz_restore(
            keys=[keys.quiz(qid), keys.quizzes_index(), keys.quiz_versions(qid)],
            args=["1" if force else "0", qid, version, created_ms or int(created.timestamp() * 1000), answer_key,
                  *[item for pair in fields.items() for item in pair]],
            client=pipe,
        )
    for restored in pipe.execute() if rows else []:
        report.quizzes += restored == 1
        report.quizzes_skipped += restored != 1


def _last_gain_seqs() -> dict[str, int]:
    """The tie counter value of each user's last gain (the global board's tie order)."""
    with connection.cursor() as cursor:
        cursor.execute("SELECT user_id, max(seq) FROM quizzes_submission WHERE gain > 0 GROUP BY user_id")
        return dict(cursor.fetchall())


UNRECORDED_SEQ = encoding.TIE_MAX - 1  # the last tie a counter value gives; never moves the counter


def _quiz_board_entries(user_ids: list[str]) -> dict[str, list[tuple[str, int, int, None]]]:
    """user id -> [(quiz board key, best, seq, None)] for the live quizzes they have a best on.

    The tie is the counter value of the first archived submission that scored that best (the
    change that put it on the board). A best reached before submissions recorded one (seq 0)
    ranks after every recorded tie of its score: the archive cannot say more.
    """
    with connection.cursor() as cursor:
        cursor.execute("""
            SELECT b.user_id, b.quiz_id, b.best, min(s.seq) FILTER (WHERE s.seq > 0)
            FROM quizzes_quiz_best b
            JOIN quizzes_quiz q ON q.id = b.quiz_id AND q.deleted_at IS NULL
            LEFT JOIN quizzes_submission s ON s.user_id = b.user_id AND s.quiz_id = b.quiz_id AND s.score = b.best
            WHERE b.user_id = ANY(%s)
            GROUP BY b.user_id, b.quiz_id, b.best
            ORDER BY b.user_id, b.quiz_id
        """, [user_ids])
        rows = cursor.fetchall()
    entries: dict[str, list[tuple[str, int, int, None]]] = defaultdict(list)
    for uid, qid, best, seq in rows:
        entries[uid].append((keys.quiz_board(qid), best, seq or UNRECORDED_SEQ, None))
    return entries


def _period_points(now: datetime) -> dict[str, dict[str, list[int]]]:
    """user id -> {period board key: [points, last gain's seq, EXPIREAT]} for boards alive at `now`.

    Every board still kept (finished ones up to PERIOD_DAYS_KEPT / PERIOD_WEEKS_KEPT back) comes
    back with its final points; the rest have expired and are skipped.
    """
    since = int(period_lookback(now).timestamp())
    with connection.cursor() as cursor:
        cursor.execute("SELECT user_id, scored_at, gain, seq FROM quizzes_submission WHERE gain > 0 AND scored_at >= %s",
                       [since])
        rows = cursor.fetchall()
    points: dict[str, dict[str, list[int]]] = defaultdict(dict)
    for user_id, scored_at, gain, seq in rows:
        at = datetime.fromtimestamp(scored_at, tz=timezone.utc)
        for period in ("day", "week"):
            expires_at = board_keys.board_expires_at(period, at)
            if expires_at <= now.timestamp():
                continue
            held = points[user_id].setdefault(board_keys.board(period, at), [0, 0, expires_at])
            held[0] += gain
            held[1] = max(held[1], seq)
    return points


def _moderation_restore(user_ids: list[str], now: datetime) -> int:
    """Ban or hide again the restored users the archive records as banned or hidden (off their boards)."""
    moderated = 0
    with connection.cursor() as cursor:
        cursor.execute("SELECT id, banned_at, ban_reason, hidden FROM accounts_user "
                       "WHERE id = ANY(%s) AND (banned_at IS NOT NULL OR hidden)", [user_ids])
        for uid, banned_at, ban_reason, hidden in cursor.fetchall():
            if banned_at is not None:
                boards_leave(user_id=uid, flag=BANNED, fields={"ban_reason": ban_reason, "banned_at": banned_at},
                             purpose="ban", now=int(now.timestamp()))
            if hidden:
                boards_leave(user_id=uid, flag=HIDDEN, fields={}, purpose="hide", now=int(now.timestamp()))
            moderated += 1
    return moderated


def _users_restore(rows, report: Report, force: bool, periods, last_gain, now: datetime) -> list[str]:
    """Restore a batch of users; return the ids restored (not those Redis already had)."""
    with connection.cursor() as cursor:
        cursor.execute("SELECT user_id, quiz_id, best FROM quizzes_quiz_best WHERE user_id = ANY(%s)", [[r[0] for r in rows]])
        best: dict[str, dict[str, int]] = defaultdict(dict)
        for uid, qid, score in cursor.fetchall():
            best[uid][qid] = score
    quiz_boards = _quiz_board_entries([r[0] for r in rows])
    pipe = redis_client().pipeline(transaction=False)
    for uid, username, role, created, password, total, solved in rows:
        boards: list[tuple[str, int, int, int | None]] = []  # board, points, seq, EXPIREAT
        if uid in last_gain and total > 0:
            boards.append((board_keys.board("all"), total, last_gain[uid], None))
        boards += [(board, p, seq, expires) for board, (p, seq, expires) in sorted(periods.get(uid, {}).items())]
        boards += quiz_boards.get(uid, [])
        board_keys_args, board_args = [], []
        for board, points, seq, expires in boards:
            ties, tie_field = board_keys.board_tie_ref(board, uid)
            board_keys_args += [board, ties]
            tie = encoding.member(uid, seq).partition(":")[0]
            board_args += [points, tie, tie_field, "" if expires is None else expires]
        _player_restore(
            keys=[account_keys.user_profile(uid), account_keys.user_password(uid), account_keys.users_by_name(),
                  account_keys.users_names(), keys.user_best(uid), board_keys.tie_sequence(), *board_keys_args],
            args=["1" if force else "0", uid, username, username.lower(), total, solved, iso(created), role,
                  password, json.dumps(best.get(uid) or {}), max((b[2] for b in boards if b[2] != UNRECORDED_SEQ), default=0), *board_args],
            client=pipe,
        )
    done = []
    for (uid, *_), restored in zip(rows, pipe.execute()):
        report.users += restored == 1
        report.users_skipped += restored != 1
        if restored == -1:
            report.name_conflicts.append(uid)
        if restored == 1:
            done.append(uid)
    return done
