"""Reads for quizzes: definitions, the quiz list, a user's submission, the results aggregate."""
from __future__ import annotations

import json
import math
from collections import Counter
from dataclasses import dataclass

from django.conf import settings

from accounts import keys as account_keys
from config.redis.clients import redis_client
from leaderboard import selectors as board_selectors
from quizzes import keys

TOP_SCORERS = 10
HISTOGRAM_BUCKETS = 10
_SUMMARY_FIELDS = ("id", "title", "question_count", "max_score", "version", "updated_at")
_SUBMISSION_FIELDS = (
    "id", "user_id", "quiz_id", "status", "score", "max_score", "correct", "created_at",
    "processed_at", "reason",
)
_RESULT_FIELDS = ("user_id", "quiz_version", "status", "score", "correct_mask", "processed_at")


def quiz_from_row(row: dict) -> dict:
    """Return the quiz (with answers) stored in a quiz hash."""
    return {
        "id": row["id"],
        "title": row["title"],
        "version": int(row["version"]),
        "question_count": int(row["question_count"]),
        "max_score": int(row["max_score"]),
        "created_at": row["created_at"],
        "updated_at": row["updated_at"],
        "questions": json.loads(row["questions"]),
    }


def quiz_get(*, quiz_id: str) -> dict | None:
    """Return the quiz with its answers (callers decide who may see them), or None."""
    row = redis_client().hgetall(keys.quiz(quiz_id))
    return quiz_from_row(row) if row else None


def quiz_list() -> list[dict]:
    """List every quiz's summary, oldest first (two round trips)."""
    client = redis_client()
    quiz_ids = client.zrange(keys.quizzes_index(), 0, -1)
    pipe = client.pipeline(transaction=False)
    for quiz_id in quiz_ids:
        pipe.hmget(keys.quiz(quiz_id), _SUMMARY_FIELDS)
    rows = pipe.execute() if quiz_ids else []
    return [_summary(row) for row in rows if row[0] is not None]  # None: deleted meanwhile


def _summary(row: list) -> dict:
    summary = dict(zip(_SUMMARY_FIELDS, row))
    for field in ("question_count", "max_score", "version"):
        summary[field] = int(summary[field])
    return summary


def submission_get(*, submission_id: str, user_id: str) -> dict | None:
    """Return the user's own submission; None when missing or someone else's (no leak).

    With the archive on, a processed submission whose hash has expired is read from PostgreSQL.
    """
    row = dict(zip(_SUBMISSION_FIELDS, redis_client().hmget(keys.submission(submission_id), _SUBMISSION_FIELDS)))
    if row["id"] is None and settings.ARCHIVE_ENABLED:
        from quizzes.archived import submission_get_archived

        return submission_get_archived(submission_id=submission_id, user_id=user_id)
    if row["id"] is None or row["user_id"] != user_id:
        return None
    for field in ("score", "max_score", "correct"):
        row[field] = None if row[field] is None else int(row[field])
    del row["user_id"]
    return row


@dataclass(frozen=True)
class ResultsBasis:
    version: int
    max_score: int
    question_count: int
    generation: int = 0  # the quiz's results_gen: erasures move it (quizzes/user_records.py)


def quiz_results_basis(*, quiz_id: str) -> ResultsBasis | None:
    """Return what the results of the quiz's current version depend on, or None (one round trip)."""
    version, max_score, question_count, generation = redis_client().hmget(
        keys.quiz(quiz_id), ("version", "max_score", "question_count", "results_gen")
    )
    if version is None:
        return None
    return ResultsBasis(int(version), int(max_score), int(question_count), int(generation or 0))


def results_compute(*, quiz_id: str, version: int, max_score: int, question_count: int) -> dict:
    """Aggregate the processed submissions of the quiz's `version` (SQL with the archive on, else Redis)."""
    width = _bucket_width(max_score)
    if settings.ARCHIVE_ENABLED:
        from quizzes.archived import results_aggregate_sql

        agg = results_aggregate_sql(quiz_id=quiz_id, version=version, width=width, top=TOP_SCORERS)
    else:
        agg = results_aggregate_redis(quiz_id=quiz_id, version=version, width=width)
    attempts = agg["attempts"]
    return {
        "quiz_id": quiz_id,
        "version": version,
        "attempts": attempts,
        "unique_users": agg["unique_users"],
        "average_score": round(agg["total"] / attempts, 2) if attempts else 0.0,
        "score_histogram": [
            {"min": low, "max": min(low + width - 1, max_score), "count": agg["buckets"].get(low // width, 0)}
            for low in range(0, max_score + 1, width)
        ],
        "per_question": [
            {"index": i, "correct_rate": round(agg["right"].get(i, 0) / attempts, 4) if attempts else 0.0}
            for i in range(question_count)
        ],
        "top": agg["top"],
    }


def results_aggregate_redis(*, quiz_id: str, version: int, width: int, chunk: int | None = None) -> dict:
    """Aggregate from the submission hashes, RESULTS_REDIS_CHUNK per round trip.

    Chunked so a quiz with 10^6 submissions never holds Redis (or this process's memory) for
    one giant pipeline: each chunk is a ZRANGE and a pipeline of that many HMGETs.
    """
    client = redis_client()
    chunk, start = chunk or settings.RESULTS_REDIS_CHUNK, 0
    attempts = total = 0
    buckets: Counter = Counter()
    masks: Counter = Counter()  # few distinct masks: split each once, not once per attempt
    best: dict[str, tuple[int, str]] = {}
    while True:
        submission_ids = client.zrange(keys.quiz_submissions(quiz_id), start, start + chunk - 1)
        if not submission_ids:
            break
        start += len(submission_ids)
        pipe = client.pipeline(transaction=False)
        for submission_id in submission_ids:
            pipe.hmget(keys.submission(submission_id), _RESULT_FIELDS)
        for user_id, row_version, status, score, mask, processed_at in pipe.execute():
            if row_version != str(version) or status != "processed":
                continue
            score = int(score)
            attempts, total = attempts + 1, total + score
            buckets[score // width] += 1
            masks[mask] += 1
            entry, held = (score, processed_at or ""), best.get(user_id)
            if held is None or entry[0] > held[0] or (entry[0] == held[0] and entry[1] < held[1]):
                best[user_id] = entry
        if len(submission_ids) < chunk:
            break
    right: Counter = Counter()
    for mask, n in masks.items():
        for i, flag in enumerate(mask.split(",")):
            right[i] += n * (flag == "1")
    return {
        "attempts": attempts, "unique_users": len(best), "total": total, "buckets": buckets,
        "right": right, "top": _top_scorers(client, best),
    }


def _bucket_width(max_score: int) -> int:
    """Width of each of up to ten equal integer buckets covering 0..max_score."""
    return max(1, math.ceil((max_score + 1) / HISTOGRAM_BUCKETS))


def _top_scorers(client, best: dict[str, tuple[int, str]]) -> list[dict]:
    """Each user's best score, highest first; equal scores by who reached them first, then id."""
    ranked = sorted(best.items(), key=lambda item: (-item[1][0], item[1][1], item[0]))[:TOP_SCORERS]
    names = client.hmget(account_keys.users_names(), [uid for uid, _ in ranked]) if ranked else []
    return [
        {"user_id": uid, "username": name or "", "score": score}
        for (uid, (score, _)), name in zip(ranked, names)
    ]


def quiz_board_page(*, quiz_id: str, limit: int = 10, offset: int = 0) -> dict | None:
    """Return {total, entries} of the quiz's board (each user's best, ties by who got there first); None: no quiz."""
    if not redis_client().exists(keys.quiz(quiz_id)):
        return None
    return board_selectors.board_page(board=keys.quiz_board(quiz_id), limit=limit, offset=offset)


def quiz_board_around(*, quiz_id: str, user_id: str, around: int = 2) -> dict | None:
    """Return {rank, score, around} of a user on the quiz's board (rank None: not on it); None: no quiz."""
    if not redis_client().exists(keys.quiz(quiz_id)):
        return None
    return board_selectors.board_around(board=keys.quiz_board(quiz_id), user_id=user_id, around=around)
