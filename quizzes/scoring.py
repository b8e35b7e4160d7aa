"""Writes on the worker's side: grade and apply a submission exactly once, or mark it failed.

Grading runs inside score_apply.lua, on the server, with the answer key of the quiz version
recorded with the submission, and the same script applies the result. So a score job costs one
round trip here (grading in Python would need a read before the apply: a second round trip,
which measurably cut worker throughput, see bench/worker_throughput.py), and the answer key
graded with is read in the same atomic step that applies the score.
"""
from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timezone
from pathlib import Path

from accounts import keys as account_keys
from config.redis import LuaScript, redis_client
from config.replication import ReplicasNotAcknowledged, acknowledged, replicas_required
from leaderboard import encoding
from leaderboard import keys as board_keys
from quizzes import keys
from quizzes.services import iso

_LUA = Path(__file__).parent / "lua"
_score_apply = LuaScript(_LUA / "score_apply.lua")
_submission_fail = LuaScript(_LUA / "submission_fail.lua")


class ScoringError(Exception):
    """A permanent failure: retrying cannot help, so the submission ends as `failed`."""


_PROBLEMS = {
    "missing": "The submission or its user no longer exists.",
    "mismatch": "The job does not match the submission's user and quiz.",
    "no_key": "The answer key of quiz version {} is no longer available.",
    "shape": "The answers do not fit the answer key of quiz version {}.",
}


@dataclass(frozen=True)
class Applied:
    """What this run of the job changed (only the run that applied the score gets one)."""

    user_id: str
    username: str
    submission_id: str
    score: int
    max_score: int
    total_score: int
    rank_before: int | None
    rank_after: int | None
    top10_changed: bool


def submission_score(
    *, submission_id: str, quiz_id: str, user_id: str, now: datetime | None = None
) -> Applied | None:
    """Grade and apply a submission; None when an earlier run already applied (or failed) it."""
    now = now or datetime.now(timezone.utc)
    boards = [board_keys.board("all"), board_keys.board("day", now), board_keys.board("week", now)]
    refs = [board_keys.board_tie_ref(board, user_id) for board in boards]
    script_keys = [
        keys.submission(submission_id), keys.user_best(user_id), account_keys.user_profile(user_id),
        *boards, keys.quiz(quiz_id), keys.quiz_versions(quiz_id), keys.quiz_pending(quiz_id),
        *(ref for ref, _ in refs), board_keys.tie_sequence(),
    ]
    args = [
        user_id, quiz_id, int(now.timestamp()), iso(now), encoding.TIE_MAX, "",
        board_keys.board_expires_at("day", now), board_keys.board_expires_at("week", now),
        *(field for _, field in refs),
    ]
    if replicas_required():
        # Announce only what the replicas hold. Short of them this raises a transient error and
        # RQ retries the job, which then finds the score applied (no double score) and, like any
        # run that did not apply it, announces nothing: events stay at most once.
        try:
            (reply,) = acknowledged(redis_client(), lambda pipe: _score_apply(keys=script_keys, args=args, client=pipe))
        except ReplicasNotAcknowledged as short:
            if short.replies[0][0] == "applied":
                raise
            reply = short.replies[0]  # this run wrote nothing: nothing to wait for
    else:
        reply = _score_apply(keys=script_keys, args=args)
    outcome = reply[0]
    if outcome in ("duplicate", "failed"):
        return None
    if outcome != "applied":
        raise ScoringError(_PROBLEMS.get(outcome, "The submission cannot be scored.").format(*reply[1:]))
    _, score, max_score, total, rank_before, rank_after, changed, username = reply
    return Applied(
        user_id=user_id, username=username or "", submission_id=submission_id, score=int(score),
        max_score=int(max_score), total_score=int(total),
        rank_before=int(rank_before) if rank_before else None,
        rank_after=int(rank_after) if rank_after else None, top10_changed=bool(changed),
    )


def submission_mark_failed(*, submission_id: str, quiz_id: str, reason: str, now: datetime | None = None) -> bool:
    """End a queued submission as `failed` with a reason; a processed one is left alone."""
    marked = _submission_fail(
        keys=[
            keys.submission(submission_id), keys.quiz(quiz_id), keys.quiz_versions(quiz_id),
            keys.quiz_pending(quiz_id),
        ],
        args=[reason, iso(now or datetime.now(timezone.utc))],
    )
    return bool(marked)
