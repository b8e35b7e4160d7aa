"""Disqualification of a submission by an admin (POST /api/v1/submissions/{id}/disqualify).

One script (lua/submission_disqualify.lua) per user does it all atomically. Every key a script
touches comes in through KEYS, so the caller first reads the user's submissions index and
passes the hashes of their other submissions of the quiz; the script refuses ("retry") when
the index changed in between, and the caller reads again. With the archive on, submissions
whose hashes expired count through their archived best, read from PostgreSQL.
"""
from __future__ import annotations

import json
from datetime import datetime, timezone
from pathlib import Path

from django.conf import settings

from accounts import audit
from accounts import keys as account_keys
from accounts.records import ERASE_BATCH
from config.http.exceptions import NotFound
from config.http.times import iso
from config.outbox.reader import outbox_script_args
from config.redis.clients import redis_client
from config.redis.lua import LuaScript
from leaderboard import encoding, events
from leaderboard import groups
from leaderboard import keys as board_keys
from quizzes import keys
from quizzes.user_records import results_invalidate

_disqualify = LuaScript(Path(__file__).parent / "lua" / "submission_disqualify.lua",
                        library=(encoding.TIE_LUA, events.SCORE_EVENTS_LUA))
ATTEMPTS = 5


def _others_of_quiz(client, user_id: str, quiz_id: str, submission_id: str) -> tuple[int, list[str]]:
    """(size of the user's submissions index, ids of their other submissions of this quiz, oldest first)."""
    ids = client.zrange(keys.user_submissions(user_id), 0, -1)
    others: list[str] = []
    for start in range(0, len(ids), ERASE_BATCH):
        pipe = client.pipeline(transaction=False)
        chunk = ids[start:start + ERASE_BATCH]
        for sid in chunk:
            pipe.hget(keys.submission(sid), "quiz_id")
        others += [sid for sid, qid in zip(chunk, pipe.execute()) if qid == quiz_id and sid != submission_id]
    return len(ids), others


def _archived_best(user_id: str, quiz_id: str, submission_id: str, present: list[str]) -> str:
    """The best archived score of the user's other submissions of the quiz whose hashes are gone."""
    if not settings.ARCHIVE_ENABLED:
        return ""
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT max(score) FROM quizzes_submission WHERE user_id = %s AND quiz_id = %s AND id <> %s"
            " AND NOT (id = ANY(%s))", [user_id, quiz_id, submission_id, present])
        (best,) = cursor.fetchone()
    return "" if best is None else str(best)


def submission_disqualify(*, actor_id: str, submission_id: str, reason: str) -> dict:
    """Disqualify a submission; return {id, user_id, quiz_id, status_before, total_score}."""
    client = redis_client()
    owner, quiz_id, processed_at = client.hmget(keys.submission(submission_id), "user_id", "quiz_id", "processed_at")
    if owner is None:
        raise NotFound("Submission not found.")
    at = datetime.fromisoformat(processed_at.replace("Z", "+00:00")) if processed_at else datetime.now(timezone.utc)
    boards = [board_keys.board("all"), board_keys.board("day", at), board_keys.board("week", at)]
    refs = [board_keys.board_tie_ref(board, owner) for board in boards]
    outbox_keys, outbox_args = outbox_script_args()
    for _ in range(ATTEMPTS):
        size, others = _others_of_quiz(client, owner, quiz_id, submission_id)
        present, holder, holder_at = _best_holder(client, others)
        holder_keys, holder_args = _holder_boards(owner, holder_at)
        reply = _disqualify(
            keys=[keys.submission(submission_id), keys.user_best(owner), account_keys.user_profile(owner),
                  *boards, *(ref for ref, _ in refs), keys.submissions_queued(), keys.quiz(quiz_id),
                  keys.quiz_versions(quiz_id), keys.quiz_pending(quiz_id), keys.user_submissions(owner),
                  account_keys.user_parked(owner), *events.score_events_keys(owner),
                  *(keys.submission(sid) for sid in present), board_keys.tie_sequence(),
                  *(holder_keys if holder else []), *outbox_keys,
                  keys.quiz_board(quiz_id), keys.quiz_board_members(quiz_id)],
            args=[submission_id, reason, iso(datetime.now(timezone.utc)), json.dumps([f for _, f in refs]), size,
                  len(present), _archived_best(owner, quiz_id, submission_id, present),
                  (outbox_args or [""])[0], *events.score_events_limits(), holder, *holder_args,
                  encoding.TIE_MAX],
        )
        if reply[0] != "retry":
            break
    else:
        raise RuntimeError("the user's submissions kept changing; try again")
    if reply[0] == "missing":
        raise NotFound("Submission not found.")
    if reply[0] == "disqualified":
        groups.group_boards_resync(user_id=owner)  # its group boards follow the boards it moved
        if reply[5:]:
            events.events_announce_recorded(owner, reply[5:])
        results_invalidate(quiz_ids=[quiz_id])
        audit.audit_record(actor_id=actor_id, action="submission.disqualify", target_type="submission",
                           target_id=submission_id, reason=reason)
    return {"id": submission_id, "user_id": owner, "quiz_id": quiz_id}


def _best_holder(client, others: list[str]) -> tuple[list[str], int, str | None]:
    """(the others whose hashes exist, the 1-based position of the best processed one or 0, its processed_at).

    The script picks the same one (highest score, oldest first among equals) or answers "retry".
    """
    if not others:
        return [], 0, None
    pipe = client.pipeline(transaction=False)
    for sid in others:
        pipe.hmget(keys.submission(sid), "id", "status", "score", "processed_at")
    present, best, holder, holder_at = [], None, 0, None
    for sid, (found, status, score, processed_at) in zip(others, pipe.execute()):
        if found is None:
            continue
        present.append(sid)
        if status == "processed" and (best is None or int(score) > best):
            best, holder, holder_at = int(score), len(present), processed_at
    return present, holder, holder_at


def _holder_boards(user_id: str, processed_at: str | None) -> tuple[list[str], list]:
    """KEYS and ARGV of the best holder's day and week boards (its processing's)."""
    if processed_at is None:
        return [], ["", "", "[]"]
    at = datetime.fromisoformat(processed_at.replace("Z", "+00:00"))
    boards = [board_keys.board("day", at), board_keys.board("week", at)]
    refs = [board_keys.board_tie_ref(board, user_id) for board in boards]
    return ([key for board, (ref, _) in zip(boards, refs) for key in (board, ref)],
            [board_keys.board_expires_at("day", at), board_keys.board_expires_at("week", at),
             json.dumps([field for _, field in refs])])
