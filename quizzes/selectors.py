"""Reads for quizzes: definitions, the quiz list, a user's submission, the results aggregate."""
from __future__ import annotations

import json
import math
from collections import Counter
from dataclasses import dataclass

from accounts import keys as account_keys
from config.redis import redis_client
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
    """Return the user's own submission; None when missing or someone else's (no leak)."""
    row = dict(zip(_SUBMISSION_FIELDS, redis_client().hmget(keys.submission(submission_id), _SUBMISSION_FIELDS)))
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


def quiz_results_basis(*, quiz_id: str) -> ResultsBasis | None:
    """Return what the results of the quiz's current version depend on, or None (one round trip)."""
    version, max_score, question_count = redis_client().hmget(
        keys.quiz(quiz_id), ("version", "max_score", "question_count")
    )
    if version is None:
        return None
    return ResultsBasis(int(version), int(max_score), int(question_count))


def results_compute(*, quiz_id: str, version: int, max_score: int, question_count: int) -> dict:
    """Aggregate the processed submissions of the quiz's `version`, reading every one of them.

    Deliberately the expensive way (O(submissions), three round trips); `results.py` caches it.
    """
    client = redis_client()
    submission_ids = client.zrange(keys.quiz_submissions(quiz_id), 0, -1)
    pipe = client.pipeline(transaction=False)
    for submission_id in submission_ids:
        pipe.hmget(keys.submission(submission_id), _RESULT_FIELDS)
    rows = [
        dict(zip(_RESULT_FIELDS, row))
        for row in (pipe.execute() if submission_ids else [])
        if row[1] == str(version) and row[2] == "processed"
    ]
    scores = [int(row["score"]) for row in rows]
    return {
        "quiz_id": quiz_id,
        "version": version,
        "attempts": len(rows),
        "unique_users": len({row["user_id"] for row in rows}),
        "average_score": round(sum(scores) / len(scores), 2) if scores else 0.0,
        "score_histogram": _histogram(scores, max_score),
        "per_question": _per_question([row["correct_mask"] for row in rows], question_count),
        "top": _top_scorers(client, rows),
    }


def _histogram(scores: list[int], max_score: int) -> list[dict]:
    """Count scores in up to ten equal integer buckets covering 0..max_score."""
    width = max(1, math.ceil((max_score + 1) / HISTOGRAM_BUCKETS))
    counts = Counter(score // width for score in scores)
    return [
        {"min": low, "max": min(low + width - 1, max_score), "count": counts[low // width]}
        for low in range(0, max_score + 1, width)
    ]


def _per_question(masks: list[str], question_count: int) -> list[dict]:
    """Share of attempts that answered each question right."""
    right = [0] * question_count
    for mask in masks:
        for index, flag in enumerate(mask.split(",")[:question_count]):
            right[index] += flag == "1"
    return [
        {"index": i, "correct_rate": round(right[i] / len(masks), 4) if masks else 0.0}
        for i in range(question_count)
    ]


def _top_scorers(client, rows: list[dict]) -> list[dict]:
    """Each user's best score, highest first; equal scores by who reached them first."""
    best: dict[str, tuple[int, str]] = {}
    for row in rows:
        entry = (int(row["score"]), row["processed_at"] or "")
        held = best.get(row["user_id"])
        if held is None or entry[0] > held[0] or (entry[0] == held[0] and entry[1] < held[1]):
            best[row["user_id"]] = entry
    ranked = sorted(best.items(), key=lambda item: (-item[1][0], item[1][1]))[:TOP_SCORERS]
    names = client.hmget(account_keys.users_names(), [uid for uid, _ in ranked]) if ranked else []
    return [
        {"user_id": uid, "username": name or "", "score": score}
        for (uid, (score, _)), name in zip(ranked, names)
    ]
