"""How quizzes' outbox entries reach PostgreSQL, and what Redis drops once they are there.

Upserts are written as SQL: the counters merge with GREATEST (they only grow, so a
redelivered or reordered entry can never lower them), which Django's
`bulk_create(update_conflicts=True)` cannot express.
"""
from __future__ import annotations

from django.conf import settings

from config.archiver import Handler
from quizzes import keys

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
_INSERT_SUBMISSION = """
INSERT INTO quizzes_submission (id, user_id, quiz_id, quiz_version, answers, score, max_score, correct,
    correct_mask, created_at, created_ms, processed_at, scored_at, gain)
VALUES (%s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s)
ON CONFLICT (id) DO NOTHING
"""
_UPSERT_BEST = """
INSERT INTO quizzes_quiz_best (user_id, quiz_id, best) VALUES (%s, %s, %s)
ON CONFLICT (user_id, quiz_id) DO UPDATE SET best = GREATEST(quizzes_quiz_best.best, EXCLUDED.best)
"""
_USER_COUNTERS = """
UPDATE accounts_user SET total_score = GREATEST(total_score, %s), quizzes_solved = GREATEST(quizzes_solved, %s)
WHERE id = %s
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
    """Insert processed submissions once, and merge the user's best and counters."""
    cursor.executemany(_INSERT_SUBMISSION, [
        (r["id"], r["user_id"], r["quiz_id"], r["quiz_version"], r["answers"], r["score"], r["max_score"],
         r["correct"], r["correct_mask"], r["created_at"], int(r["created_ms"]), r["processed_at"],
         r["scored_at"], r["gain"]) for r in rows
    ])
    cursor.executemany(_UPSERT_BEST, [(r["user_id"], r["quiz_id"], r["best"]) for r in rows])
    cursor.executemany(_USER_COUNTERS, [(r["total_score"], r["quizzes_solved"], r["user_id"]) for r in rows])


def submissions_release(pipe, rows: list[dict]) -> None:
    """Let archived submissions expire from Redis; results read them from PostgreSQL now."""
    for r in rows:
        pipe.expire(keys.submission(r["id"]), settings.SUBMISSION_REDIS_SECONDS)
        pipe.zrem(keys.quiz_submissions(r["quiz_id"]), r["id"])


HANDLERS = {
    "quiz.saved": Handler(write=quizzes_write),
    "quiz.deleted": Handler(write=deletions_write),
    "submission.scored": Handler(write=submissions_write, after_commit=submissions_release),
}
