"""How quizzes' outbox entries reach PostgreSQL, and what Redis drops once they are there.

Upserts are written as SQL: the counters merge with GREATEST (they only grow, so a
redelivered or reordered entry can never lower them), which Django's
`bulk_create(update_conflicts=True)` cannot express.
"""
from __future__ import annotations

import json
from collections import defaultdict
from pathlib import Path

from django.conf import settings

from config.outbox.archiver import Handler
from config.redis.lua import LuaScript
from quizzes import keys

_release = LuaScript(Path(__file__).parent / "lua" / "submissions_release.lua")

_UPSERT_QUIZ = """
INSERT INTO quizzes_quiz (id, title, version, questions, shape, question_count, max_score, created_at,
    created_ms, updated_at)
VALUES (%s, %s, %s, %s, %s, %s, %s, %s, %s, %s)
ON CONFLICT (id) DO UPDATE SET title = EXCLUDED.title, version = EXCLUDED.version,
    questions = EXCLUDED.questions, shape = EXCLUDED.shape, question_count = EXCLUDED.question_count,
    max_score = EXCLUDED.max_score, updated_at = EXCLUDED.updated_at
WHERE quizzes_quiz.version <= EXCLUDED.version
"""
_INSERT_VERSION = """
INSERT INTO quizzes_quiz_version (quiz_id, version, answer_key) VALUES (%s, %s, %s)
ON CONFLICT (quiz_id, version) DO NOTHING
"""
_DELETE_QUIZ = "UPDATE quizzes_quiz SET deleted_at = %s WHERE id = %s"
# One statement per table per batch, the rows sent as one JSON parameter: executemany sent a
# statement per row (measured 1.2-2.4k entries/s, no faster than scoring in-process), binding
# column arrays spent most of its time quoting values in Python; this measured 4-9k entries/s
# on the same loaded machine (cProfile over bench/archive.py's drain).
_INSERT_SUBMISSIONS = """
INSERT INTO quizzes_submission (id, user_id, quiz_id, quiz_version, answers, score, max_score, correct,
    correct_mask, created_at, created_ms, processed_at, scored_at, gain, seq)
SELECT id, user_id, quiz_id, quiz_version, answers, score, max_score, correct, correct_mask,
    created_at::timestamptz, created_ms::bigint, processed_at::timestamptz, scored_at, gain, seq::bigint
FROM json_to_recordset(%s::json) AS r(id text, user_id text, quiz_id text, quiz_version int, answers text,
    score int, max_score int, correct int, correct_mask text, created_at text, created_ms text, processed_at text,
    scored_at bigint, gain int, seq text)
ON CONFLICT (id) DO NOTHING
"""
_UPSERT_BEST = """
INSERT INTO quizzes_quiz_best (user_id, quiz_id, best)
SELECT user_id, quiz_id, best FROM json_to_recordset(%s::json) AS r(user_id text, quiz_id text, best int)
ON CONFLICT (user_id, quiz_id) DO UPDATE SET best = GREATEST(quizzes_quiz_best.best, EXCLUDED.best)
"""
_INSERT_QUEUED = """
INSERT INTO quizzes_submission_queued (id, user_id, quiz_id, quiz_version, answers, created_at, created_ms)
SELECT r.id, r.user_id, r.quiz_id, r.quiz_version, r.answers, r.created_at::timestamptz, r.created_ms::bigint
FROM json_to_recordset(%s::json) AS r(id text, user_id text, quiz_id text, quiz_version int, answers text,
    created_at text, created_ms text)
WHERE NOT EXISTS (SELECT 1 FROM quizzes_submission s WHERE s.id = r.id)
ON CONFLICT (id) DO NOTHING
"""
_DELETE_QUEUED = "DELETE FROM quizzes_submission_queued WHERE id = ANY(%s)"
_USER_COUNTERS = """
UPDATE accounts_user u SET total_score = GREATEST(u.total_score, c.total), quizzes_solved = GREATEST(u.quizzes_solved, c.solved)
FROM json_to_recordset(%s::json) AS c(id text, total bigint, solved int) WHERE u.id = c.id
"""


def quizzes_write(cursor, rows: list[dict]) -> None:
    """Upsert quiz definitions (never back to an older version) and their answer keys."""
    cursor.executemany(_UPSERT_QUIZ, [
        (r["id"], r["title"], int(r["version"]), r["questions"], r["shape"], int(r["question_count"]),
         int(r["max_score"]), r["created_at"], int(r.get("created_ms") or 0), r["updated_at"]) for r in rows
    ])
    cursor.executemany(_INSERT_VERSION, [(r["id"], int(r["version"]), r["answer_key"]) for r in rows])


def deletions_write(cursor, rows: list[dict]) -> None:
    """Mark deleted quizzes (their submissions stay, as in Redis until they expire)."""
    cursor.executemany(_DELETE_QUIZ, [(r["deleted_at"], r["id"]) for r in rows])


def submissions_write(cursor, rows: list[dict]) -> None:
    """Insert processed submissions once, and merge the users' best scores and counters."""
    cursor.execute(_INSERT_SUBMISSIONS, [json.dumps(rows)])
    cursor.execute(_DELETE_QUEUED, [[r["id"] for r in rows]])
    best: dict[tuple[str, str], int] = {}
    counters: dict[str, tuple[int, int]] = {}
    for r in rows:  # one row per key: an upsert may not touch the same row twice in one statement
        key = (r["user_id"], r["quiz_id"])
        best[key] = max(best.get(key, 0), r["best"])
        total, solved = counters.get(r["user_id"], (0, 0))
        counters[r["user_id"]] = (max(total, r["total_score"]), max(solved, r["quizzes_solved"]))
    cursor.execute(_UPSERT_BEST, [json.dumps([{"user_id": u, "quiz_id": q, "best": b} for (u, q), b in best.items()])])
    cursor.execute(_USER_COUNTERS, [json.dumps([{"id": u, "total": t, "solved": n} for u, (t, n) in counters.items()])])


def queued_write(cursor, rows: list[dict]) -> None:
    """Record accepted submissions until their scored record arrives (rebuild_redis queues them again)."""
    cursor.execute(_INSERT_QUEUED, [json.dumps(rows)])


def submissions_release(pipe, rows: list[dict]) -> None:
    """Let archived submissions expire from Redis; results read them from PostgreSQL now."""
    by_quiz: dict[str, list[str]] = defaultdict(list)
    for r in rows:
        by_quiz[r["quiz_id"]].append(r["id"])
    args = [settings.SUBMISSION_REDIS_SECONDS, len(rows)]
    for ids in by_quiz.values():
        args += [len(ids), *ids]
    _release(
        keys=[keys.submission(r["id"]) for r in rows] + [keys.quiz_submissions(q) for q in by_quiz],
        args=args, client=pipe,
    )


_DISQUALIFIED = (
    "DELETE FROM quizzes_submission WHERE id = %(id)s",
    # The best holder now carries the gain the disqualified one took from it (its day and week).
    "UPDATE quizzes_submission SET gain = gain + %(surplus)s WHERE id = %(holder_id)s",
    "DELETE FROM quizzes_quiz_best WHERE user_id = %(user_id)s AND quiz_id = %(quiz_id)s",
    """INSERT INTO quizzes_quiz_best (user_id, quiz_id, best)
    SELECT user_id, quiz_id, max(score) FROM quizzes_submission
    WHERE user_id = %(user_id)s AND quiz_id = %(quiz_id)s GROUP BY user_id, quiz_id""",
    """UPDATE accounts_user SET
    total_score = (SELECT COALESCE(sum(best), 0) FROM quizzes_quiz_best WHERE user_id = %(user_id)s),
    quizzes_solved = (SELECT count(*) FROM quizzes_quiz_best WHERE user_id = %(user_id)s)
    WHERE id = %(user_id)s""",
)


def disqualifications_write(cursor, rows: list[dict]) -> None:
    """Drop disqualified submissions and recompute the owner's best and counters from what is left.

    Recomputed from the rows rather than copied from the entry: the counters' GREATEST merge
    (scored entries) can never lower them, and this holds in any order within a batch.
    """
    for row in rows:
        row = {"holder_id": None, "surplus": 0, **row}
        for statement in _DISQUALIFIED:
            cursor.execute(statement, row)


HANDLERS = {
    "quiz.saved": Handler(write=quizzes_write),
    "quiz.deleted": Handler(write=deletions_write),
    "submission.queued": Handler(write=queued_write),
    "submission.scored": Handler(write=submissions_write, after_commit=submissions_release),
    "submission.disqualified": Handler(write=disqualifications_write),
}
