"""Writes on the worker's side: grade and apply a submission exactly once, or mark it failed.

Grading runs inside score_apply.lua, on the server, with the answer key of the quiz version
recorded with the submission, and the same script applies the result and records its events
(leaderboard/lua/score_events.lua). So a score job costs one round trip here (grading in Python
would need a read before the apply, and the events were a second script: each extra round trip
measurably cut worker throughput, see bench/worker_throughput.py), and the answer key graded
with is read in the same atomic step that applies the score.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, timezone
from pathlib import Path

from django.conf import settings
from rq.utils import utcformat

from accounts import keys as account_keys
from config import metrics
from config.outbox.reader import outbox_script_args
from config.redis.clients import redis_client
from config.redis.lua import LuaScript
from config.redis.replication import ReplicasNotAcknowledged, acknowledged, replicas_required
from leaderboard import encoding, events, group_live
from leaderboard import keys as board_keys
from quizzes import keys
from config.http.times import iso
from quizzes.services import score_job_fields
from config.jobs import keys as rq_keys

_LUA = Path(__file__).parent / "lua"
_score_apply = LuaScript(_LUA / "score_apply.lua", library=(encoding.TIE_LUA, events.SCORE_EVENTS_LUA))
_submission_fail = LuaScript(_LUA / "submission_fail.lua")
_submission_rescue = LuaScript(_LUA / "submission_rescue.lua")
# Oldest candidates checked per pass. Each check is one script that scans the queue list (LPOS):
# behind a 10,000-job backlog a pass cost 23.6 ms of Redis time, as 100 scripts of ~0.24 ms
# each, vs 7.6 ms with the queue empty (bench/reconciler.py, quiet machine); a pass runs every 15 s.
RESCUE_BATCH = 100
GROUPS_RETRIES = 5  # reads of the user's groups before a job gives up (joins and leaves racing it)
SUSPENDED_REASON = "The account is suspended; its queued submissions are not scored."


class ScoringError(Exception):
    """A permanent failure: retrying cannot help, so the submission ends as `failed`."""


class GroupsChanging(Exception):
    """A transient failure: the user's groups changed under every read (RQ retries the job)."""


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
    # The events the same script recorded, as leaderboard.events.events_announce_recorded takes them.
    events: list[str] = field(default_factory=list)


def submission_score(
    *, submission_id: str, quiz_id: str, user_id: str, now: datetime | None = None
) -> Applied | None:
    """Grade and apply a submission; None when an earlier run already applied (or failed) it."""
    now = now or datetime.now(timezone.utc)
    outbox_keys, outbox_args = outbox_script_args()
    boards = [board_keys.board("all"), board_keys.board("day", now), board_keys.board("week", now)]
    refs = [board_keys.board_tie_ref(board, user_id) for board in boards]
    script_keys = [
        keys.submission(submission_id), keys.user_best(user_id), account_keys.user_profile(user_id),
        *boards, keys.quiz(quiz_id), keys.quiz_versions(quiz_id), keys.quiz_pending(quiz_id),
        *(ref for ref, _ in refs), board_keys.tie_sequence(), keys.submissions_queued(),
        account_keys.user_parked(user_id), *events.score_events_keys(user_id),
        keys.quiz_board(quiz_id), keys.quiz_board_members(quiz_id), *outbox_keys,
    ]
    args = [
        user_id, quiz_id, int(now.timestamp()), iso(now), encoding.TIE_MAX, "",
        board_keys.board_expires_at("day", now), board_keys.board_expires_at("week", now),
        *(field for _, field in refs), submission_id, *events.score_events_limits(), SUSPENDED_REASON,
        *outbox_args,
    ]
    # Group boards (issue 24): the user's groups and their boards go last. The script checks the
    # list passed and, when a join or leave made it stale, answers "groups_changed" with the
    # current ids before any write; the job runs it again with those. A worker remembers the
    # last list per user, so a job stays one round trip unless the user's groups changed.
    group_ids = _known_groups.get(user_id, [])
    for _ in range(GROUPS_RETRIES):
        reply = _apply(script_keys + _group_keys(user_id, group_ids, now), args + [*group_ids, len(group_ids)])
        if reply[0] != "groups_changed":
            break
        group_ids = sorted(reply[1:])
        _groups_remember(user_id, group_ids)
    else:
        raise GroupsChanging("The user's groups kept changing; the job is retried.")
    top_of = []
    if group_ids and reply[0] == "applied":  # the script's last element: groups whose top 10 holds the user
        *reply, top_of = reply
        top_of = top_of.split()
    applied = _applied(reply, user_id=user_id, submission_id=submission_id)
    if applied is not None and top_of:
        group_live.group_events_record(group_ids=top_of, user_id=user_id)  # the group boards' own Streams (live)
    return applied


_known_groups: dict[str, list[str]] = {}  # user id -> group ids last seen by this process (a hint only)
KNOWN_GROUPS_MAX = 10_000


def _groups_remember(user_id: str, group_ids: list[str]) -> None:
    if len(_known_groups) >= KNOWN_GROUPS_MAX:
        _known_groups.pop(next(iter(_known_groups)))  # the oldest remembered: a hint, not a cache to keep right
    _known_groups[user_id] = group_ids


def _group_keys(user_id: str, group_ids: list[str], now: datetime) -> list[str]:
    """The score script's group keys: the user's groups set, then each group's three boards (issue 24)."""
    boards = [board_keys.board("all"), board_keys.board("day", now), board_keys.board("week", now)]
    group_keys = [board_keys.user_groups(user_id)]
    if group_ids:  # built once per job, then formatted per group (up to GROUPS_MAX_PER_USER of them)
        templates = [board_keys.group_board_of("\0", board) for board in boards]
        group_keys += [template.replace("\0", group_id) for group_id in group_ids for template in templates]
    return group_keys


def _apply(script_keys: list[str], args: list) -> list:
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
    return reply


def _applied(reply: list, *, user_id: str, submission_id: str) -> Applied | None:
    outcome = reply[0]
    if outcome in ("duplicate", "failed"):
        return None
    if outcome != "applied":
        raise ScoringError(_PROBLEMS.get(outcome, "The submission cannot be scored.").format(*reply[1:]))
    _, score, max_score, total, rank_before, rank_after, changed, username, *recorded = reply
    return Applied(
        user_id=user_id, username=username or "", submission_id=submission_id, score=int(score),
        max_score=int(max_score), total_score=int(total),
        rank_before=int(rank_before) if rank_before else None,
        rank_after=int(rank_after) if rank_after else None, top10_changed=bool(changed),
        events=recorded,
    )


def submission_mark_failed(*, submission_id: str, quiz_id: str, reason: str, now: datetime | None = None) -> bool:
    """End a queued submission as `failed` with a reason; a processed one is left alone."""
    marked = _submission_fail(
        keys=[
            keys.submission(submission_id), keys.quiz(quiz_id), keys.quiz_versions(quiz_id),
            keys.quiz_pending(quiz_id), keys.submissions_queued(),
        ],
        args=[reason, iso(now or datetime.now(timezone.utc)), submission_id],
    )
    return bool(marked)


@dataclass
class Reconciled:
    """One reconciler pass: how many old queued submissions it checked, and what it found."""

    checked: int = 0
    held: int = 0
    settled: int = 0
    rescued: list[str] = field(default_factory=list)


def submissions_rescue(*, older_than_seconds: float, now: datetime | None = None) -> Reconciled:
    """Re-enqueue submissions queued longer than `older_than_seconds` whose job RQ no longer holds.

    A job RQ still holds counts only while RQ is expected to act on it: a scheduled retry or a
    started lease more than `older_than_seconds` past its time is one that no scheduler or
    maintenance pass is attending to, and it is re-enqueued too.
    """
    if settings.REDIS_ROLES["queue"] != settings.REDIS_ROLES["data"]:
        # The rescue script reads the submission and RQ's registries in one atomic step, which
        # needs both in one Redis. With the queue on its own Redis, jobs arrive through the
        # outbox relay instead (no entry is dropped while it is in the Stream), and stuck
        # submissions show in health's `stuck`; the rescue does not run.
        return Reconciled(checked=0)
    now = now or datetime.now(timezone.utc)
    client = redis_client()
    cutoff_ms = int((now.timestamp() - older_than_seconds) * 1000)
    ids = client.zrangebyscore(keys.submissions_queued(), "-inf", cutoff_ms, start=0, num=RESCUE_BATCH)
    result = Reconciled(checked=len(ids))
    if not ids:
        return result
    with client.pipeline(transaction=False) as pipe:
        for submission_id in ids:
            pipe.hmget(keys.submission(submission_id), "quiz_id", "user_id")
        owners = pipe.execute()
    queue = settings.SCORE_QUEUE
    for submission_id, (quiz_id, user_id) in zip(ids, owners):
        job_fields = (
            score_job_fields(submission_id=submission_id, quiz_id=quiz_id, user_id=user_id)
            if quiz_id and user_id else []
        )
        outcome = _submission_rescue(
            keys=[
                keys.submission(submission_id), keys.submissions_queued(), rq_keys.rq_job(submission_id),
                rq_keys.rq_queue(queue), rq_keys.rq_intermediate(queue), rq_keys.rq_started(queue),
                rq_keys.rq_scheduled(queue), rq_keys.rq_failed(queue), rq_keys.rq_queues(),
                keys.submissions_rescued(),
            ],
            args=[submission_id, utcformat(now), now.timestamp(), older_than_seconds, *job_fields],
        )
        if outcome == "rescued":
            result.rescued.append(submission_id)
            metrics.reconciler_rescues.inc()
        elif outcome == "held":
            result.held += 1
        else:
            result.settled += 1
    return result
