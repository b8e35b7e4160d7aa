"""Reads from the PostgreSQL record (archive on): expired submissions and the results aggregate."""
from __future__ import annotations

from django.db import connection

from config.http.times import iso

_SUBMISSION = """
SELECT id, quiz_id, score, max_score, correct, created_at, processed_at
FROM quizzes_submission WHERE id = %s AND user_id = %s
"""
_USER_SUBMISSIONS = """
SELECT id, quiz_id, quiz_version, answers, score, max_score, correct, created_at, processed_at, created_ms
FROM quizzes_submission WHERE user_id = %s ORDER BY created_ms
"""
# One aggregate query: totals, histogram buckets, per-question right answers, and each user's
# best attempt (highest score, then earliest) for the top scorers, joined to their names.
_RESULTS = """
WITH s AS (
    SELECT user_id, score, correct_mask, processed_at FROM quizzes_submission
    WHERE quiz_id = %(quiz)s AND quiz_version = %(version)s
), best AS (
    SELECT DISTINCT ON (user_id) user_id, score, processed_at FROM s
    ORDER BY user_id, score DESC, processed_at
), top AS (
    SELECT best.user_id, COALESCE(u.username, '') AS username, best.score FROM best
    LEFT JOIN accounts_user u ON u.id = best.user_id
    ORDER BY best.score DESC, best.processed_at, best.user_id LIMIT %(top)s
)
SELECT
    (SELECT count(*) FROM s),
    (SELECT count(DISTINCT user_id) FROM s),
    (SELECT COALESCE(sum(score), 0) FROM s),
    (SELECT COALESCE(json_object_agg(bucket, n), '{}') FROM
        (SELECT score / %(width)s AS bucket, count(*) AS n FROM s GROUP BY 1) h),
    (SELECT COALESCE(json_object_agg(i - 1, n), '{}') FROM
        (SELECT t.i, count(*) FILTER (WHERE t.flag = '1') AS n
         FROM s, unnest(string_to_array(s.correct_mask, ',')) WITH ORDINALITY AS t(flag, i) GROUP BY t.i) q),
    (SELECT COALESCE(json_agg(json_build_array(user_id, username, score)), '[]') FROM top)
"""


def submission_get_archived(*, submission_id: str, user_id: str) -> dict | None:
    """Return the user's own processed submission from PostgreSQL, in the Redis body's shape."""
    with connection.cursor() as cursor:
        cursor.execute(_SUBMISSION, [submission_id, user_id])
        row = cursor.fetchone()
    if row is None:
        return None
    sid, quiz_id, score, max_score, correct, created_at, processed_at = row
    return {
        "id": sid, "quiz_id": quiz_id, "status": "processed", "score": score, "max_score": max_score,
        "correct": correct, "created_at": iso(created_at), "processed_at": iso(processed_at), "reason": None,
    }


def submissions_of_user(*, user_id: str) -> list[dict]:
    """Every archived submission of the user, oldest first, in the export's shape."""
    with connection.cursor() as cursor:
        cursor.execute(_USER_SUBMISSIONS, [user_id])
        rows = cursor.fetchall()
    return [
        {"id": sid, "quiz_id": quiz_id, "quiz_version": version, "status": "processed", "score": score,
         "max_score": max_score, "correct": correct, "created_at": iso(created_at),
         "processed_at": iso(processed_at), "reason": None,
         "answers": [int(a) for a in answers.split(",") if a], "created_ms": created_ms}
        for sid, quiz_id, version, answers, score, max_score, correct, created_at, processed_at, created_ms in rows
    ]


def results_aggregate_sql(*, quiz_id: str, version: int, width: int, top: int) -> dict:
    """Return the raw aggregates of one quiz version's processed submissions (one query)."""
    import json

    with connection.cursor() as cursor:
        cursor.execute(_RESULTS, {"quiz": quiz_id, "version": version, "width": width, "top": top})
        attempts, users, total, buckets, right, top_rows = cursor.fetchone()
    decode = lambda value: json.loads(value) if isinstance(value, str) else value  # noqa: E731
    return {
        "attempts": attempts, "unique_users": users, "total": int(total),
        "buckets": {int(k): v for k, v in decode(buckets).items()},
        "right": {int(k): v for k, v in decode(right).items()},
        "top": [{"user_id": u, "username": n, "score": s} for u, n, s in decode(top_rows)],
    }
