"""Writes for quizzes: quiz definitions and accepting submissions.

Scoring (the worker's side) is in `scoring.py`, the results cache in `results.py`.
"""
from __future__ import annotations

import json
import secrets
import uuid
from dataclasses import dataclass
from datetime import datetime, timezone
from pathlib import Path

from django.conf import settings

from config.http.times import iso
from config.jobs.enqueue import job_fields
from config.http.exceptions import ApplicationError, Conflict, IdempotencyMismatch, NotFound
from config.redis.keys import digest, outbox_stream
from config.outbox.reader import outbox_append, outbox_script_args
from config.redis.clients import redis_client
from config.redis.lua import LuaScript
from config.redis.replication import acknowledged, replicas_required
from quizzes import keys, selectors
from ratelimit.limiters import LimitResult
from config.jobs import keys as rq_keys

_LUA = Path(__file__).parent / "lua"
_quiz_update = LuaScript(_LUA / "quiz_update.lua")
_quiz_delete = LuaScript(_LUA / "quiz_delete.lua")
_submission_accept = LuaScript(_LUA / "submission_accept.lua")

# A PATCH merges onto what it read; if another update lands in between, read and merge again.
PATCH_ATTEMPTS = 5
# The job and its failure callback are named by path, as RQ stores them: the web process need
# not import worker code (and quizzes.tasks, through scoring.py, imports this module).
SCORE_JOB = "quizzes.tasks.submission_score"
SCORE_JOB_FAILED = "quizzes.tasks.submission_score_failed"


@dataclass(frozen=True)
class Accepted:
    """An accepted submission: a new one, or the first one replayed by its Idempotency-Key."""

    id: str
    replayed: bool
    # A replay's submission as it is now (selectors.submission_get): it may have been scored since.
    current: dict | None = None

    def status_now(self) -> dict:
        """Return what a replay adds to the first answer: the status now, and its score once scored."""
        if self.current is None or self.current["status"] == "queued":
            return {}
        names = ("status", "score", "max_score", "correct", "processed_at", "reason")
        return {name: self.current[name] for name in names if self.current.get(name) is not None}


class NotAReplay(Exception):
    """A `replay_only` submission was new, not the replay of an earlier one: nothing was written."""


def _definition(*, title: str, questions: list[dict]) -> dict:
    """Derive a definition's stored fields; `shape` lets Lua validate answers without JSON."""
    return {
        "title": title,
        "questions": json.dumps(questions),
        "shape": ",".join(str(len(q["choices"])) for q in questions),
        "question_count": len(questions),
        "max_score": sum(q["points"] for q in questions),
    }


def _answer_key(questions: list[dict]) -> str:
    return json.dumps({"answers": [q["answer"] for q in questions], "points": [q["points"] for q in questions]})


def quiz_create(*, title: str, questions: list[dict], now: datetime | None = None) -> dict:
    """Create a quiz at version 1 (one MULTI: the quiz, its index entry, its answer key)."""
    now = now or datetime.now(timezone.utc)
    quiz_id = secrets.token_hex(8)
    row = {"id": quiz_id, "version": 1, **_definition(title=title, questions=questions)}
    row.update(created_at=iso(now), updated_at=iso(now))
    created_ms = int(now.timestamp() * 1000)
    pipe = redis_client().pipeline(transaction=True)
    pipe.hset(keys.quiz(quiz_id), mapping=row)
    pipe.zadd(keys.quizzes_index(), {quiz_id: created_ms})
    pipe.hset(keys.quiz_versions(quiz_id), "1", _answer_key(questions))
    outbox_append(pipe, type="quiz.saved", data={**row, "created_ms": created_ms, "answer_key": _answer_key(questions)})
    pipe.execute()
    return selectors.quiz_from_row(row)


def quiz_update(*, quiz_id: str, changes: dict, partial: bool, now: datetime | None = None) -> dict:
    """Replace (PUT) or merge (PATCH) a quiz definition; the version goes up by one."""
    for _ in range(PATCH_ATTEMPTS):
        expected, merged = "", changes
        if partial:
            current = selectors.quiz_get(quiz_id=quiz_id)
            if current is None:
                raise NotFound("Quiz not found.")
            expected = str(current["version"])
            merged = {"title": current["title"], "questions": current["questions"], **changes}
        outbox_keys, outbox_args = outbox_script_args()
        version = _quiz_update(
            keys=_update_keys(quiz_id) + outbox_keys,
            args=_update_args(expected, merged, now or datetime.now(timezone.utc)) + outbox_args,
        )
        if version == 0:
            raise NotFound("Quiz not found.")
        if version > 0:
            updated = selectors.quiz_get(quiz_id=quiz_id)
            if updated is None:  # deleted right after this update
                raise NotFound("Quiz not found.")
            return updated
    raise Conflict("The quiz kept changing during this update; try again.")


def _update_keys(quiz_id: str) -> list[str]:
    return [
        keys.quiz(quiz_id),
        keys.quiz_versions(quiz_id),
        keys.quiz_pending(quiz_id),
    ]


def _update_args(expected: str, merged: dict, now: datetime) -> list:
    fields = _definition(title=merged["title"], questions=merged["questions"])
    return [
        expected, fields["title"], fields["questions"], fields["shape"], fields["question_count"],
        fields["max_score"], _answer_key(merged["questions"]), iso(now),
    ]


def quiz_delete(*, quiz_id: str) -> None:
    """Delete a quiz; queued submissions of it are still graded with their answer key."""
    outbox_keys, outbox_args = outbox_script_args()
    deleted = _quiz_delete(
        keys=[
            keys.quiz(quiz_id),
            keys.quizzes_index(),
            keys.quiz_versions(quiz_id),
            keys.quiz_pending(quiz_id),
            keys.quiz_submissions(quiz_id),
            keys.quiz_board(quiz_id),
            keys.quiz_board_members(quiz_id),
            *outbox_keys,
        ],
        args=[quiz_id, *outbox_args] + (
            [json.dumps({"id": quiz_id, "deleted_at": iso(datetime.now(timezone.utc))})] if outbox_keys else []
        ),
    )
    if not deleted:
        raise NotFound("Quiz not found.")


def submission_create(
    *, user_id: str, quiz_id: str, answers: list[int], idempotency_key: str | None = None,
    replay_only: bool = False, quota: LimitResult | None = None, now: datetime | None = None,
) -> Accepted:
    """Validate, record and enqueue a submission in one round trip (submission_accept.lua).

    `replay_only`: answer only the replay of an earlier submission with this idempotency key,
    and raise NotAReplay for anything new (its caller is over the rate limit).
    `quota`: the caller's rate-limit admission, given back in the same step unless the
    submission is queued. A replay costs one more round trip: reading its current status.
    """
    now = now or datetime.now(timezone.utc)
    submission_id = uuid.uuid4().hex
    script_keys = [
        keys.quiz(quiz_id),
        keys.submission(submission_id),
        keys.quiz_submissions(quiz_id),
        keys.quiz_pending(quiz_id),
    ]
    job = {"submission_id": submission_id, "quiz_id": quiz_id, "user_id": user_id}
    archive = "1" if settings.ARCHIVE_ENABLED else "0"
    if settings.SUBMISSIONS_VIA_OUTBOX:
        script_keys += [outbox_stream(), keys.submissions_queued(), keys.user_submissions(user_id)]
        mode_args = ["outbox", settings.OUTBOX_MAXLEN, archive]
    else:
        script_keys += [rq_keys.rq_job(submission_id), rq_keys.rq_queue(settings.SCORE_QUEUE), rq_keys.rq_queues(),
                        keys.submissions_queued(), keys.user_submissions(user_id),
                        *([outbox_stream()] if archive == "1" else [])]
        mode_args = ["rq", settings.OUTBOX_MAXLEN, archive, *score_job_fields(**job)]
    if idempotency_key is not None:
        script_keys.append(keys.idempotency(user_id, idempotency_key))
    if quota is not None:
        script_keys.append(quota.key)
    request_digest = digest(json.dumps({"quiz_id": quiz_id, "answers": answers}, separators=(",", ":")))
    args = [
        submission_id, user_id, quiz_id, ",".join(map(str, answers)), iso(now),
        int(now.timestamp() * 1000), request_digest, settings.IDEMPOTENCY_KEY_SECONDS,
        "1" if replay_only else "0",
        quota.algorithm if quota is not None else "", quota.attempt_id if quota is not None else "",
        *mode_args,
    ]
    if replicas_required():
        # The 202 waits for the replicas; a replay waits too, so a retry after a 503 answers 202
        # only once the first write is safe.
        (reply,) = acknowledged(redis_client(), lambda pipe: _submission_accept(keys=script_keys, args=args, client=pipe))
    else:
        reply = _submission_accept(keys=script_keys, args=args)
    accepted = _accepted(reply)
    if accepted.replayed:
        current = selectors.submission_get(submission_id=accepted.id, user_id=user_id)
        return Accepted(id=accepted.id, replayed=True, current=current)
    return accepted


def _accepted(reply: list) -> Accepted:
    """Turn the accept script's answer into a result or the matching error."""
    outcome = reply[0]
    if outcome in ("queued", "replay"):
        return Accepted(id=reply[1], replayed=outcome == "replay")
    if outcome == "mismatch":
        raise IdempotencyMismatch()
    if outcome == "refused":
        raise NotAReplay()
    if outcome == "not_found":
        raise NotFound("Quiz not found.")
    if reply[1] == "count":
        problem = [f"Send exactly {reply[2]} answers, one per question."]
    else:
        problem = {str(reply[2]): [f"Choose an index from 0 to {int(reply[3]) - 1}."]}
    raise ApplicationError(details={"fields": {"answers": problem}})


def score_job_fields(*, submission_id: str, quiz_id: str, user_id: str) -> list:
    """Return the score job's hash fields, flattened for HSET as rq's own scripts do."""
    return job_fields(
        func=SCORE_JOB,
        kwargs={"submission_id": submission_id, "quiz_id": quiz_id, "user_id": user_id},
        queue_name=settings.SCORE_QUEUE,
        timeout=settings.RQ_QUEUES[settings.SCORE_QUEUE].get("DEFAULT_TIMEOUT"),
        retry_intervals=tuple(settings.SCORE_JOB_RETRY_INTERVALS or ()),
        on_failure=SCORE_JOB_FAILED,
    )
