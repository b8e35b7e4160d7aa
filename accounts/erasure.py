"""Account erasure (DELETE /api/v1/me): everything held about a user, through accounts/records.py.

Steps, each idempotent, so running them all again finishes a half-done erasure:
1. Mark it: the user's id enters the erasures index (the tombstone the reconciler sweeps) and
   the profile gets `erasing`, with the boards left in the same script (lua/user_boards_leave.lua):
   from then on no login opens a session (session_create.lua) and no score job scores
   (score_apply.lua), so nothing erased can be written back behind the eraser.
2. End every session (sockets close with 4401), then run each registered kind's eraser in
   order: each works in bounded steps (records.ERASE_BATCH items per command).
3. With the archive on, the `archive` kind deletes the PostgreSQL rows and appends a
   `user.erased` outbox entry, so an entry of this user still in the outbox, archived after the
   delete, is deleted again when the archiver reaches it: `rebuild_redis` finds nothing.
4. Last, the profile kind frees the username and drops the marker in one script.
"""
from __future__ import annotations

import logging
import time

from django.conf import settings

from accounts import keys, records
from accounts.moderation import boards_leave
from accounts.records import RecordKind
from config.outbox.reader import outbox_append
from config.redis.clients import redis_client

logger = logging.getLogger(__name__)

_DELETE_ARCHIVED = (
    "DELETE FROM quizzes_submission WHERE user_id = %s",
    "DELETE FROM quizzes_quiz_best WHERE user_id = %s",
    "DELETE FROM accounts_user WHERE id = %s",
)


def user_erase(*, user_id: str, now: int | None = None) -> bool:
    """Erase the user; False when there is no such user and no erasure of theirs under way."""
    client = redis_client()
    now = int(time.time()) if now is None else now
    pipe = client.pipeline(transaction=False)
    pipe.hexists(keys.user_profile(user_id), "id")
    pipe.zscore(keys.erasures(), user_id)
    exists, under_way = pipe.execute()
    if not exists:
        if under_way is not None:
            client.zrem(keys.erasures(), user_id)  # the profile went in the last step already
        return False
    client.zadd(keys.erasures(), {user_id: now}, nx=True)
    boards_leave(user_id=user_id, flag="erasing", fields={}, purpose="ban", now=now)
    for kind in records.record_kinds():
        if kind.erase is not None:
            kind.erase(user_id)
    return True


def archived_erase(user_id: str) -> None:
    """Delete the user's rows from PostgreSQL now, and again when the archiver reaches this entry."""
    if not settings.ARCHIVE_ENABLED:
        return
    from django.db import connection, transaction

    with transaction.atomic(), connection.cursor() as cursor:
        archived_rows_delete(cursor, [{"id": user_id}])
    pipe = redis_client().pipeline(transaction=True)
    outbox_append(pipe, type="user.erased", data={"id": user_id})
    pipe.execute()


def archived_rows_delete(cursor, rows: list[dict]) -> None:
    """The archiver's handler for `user.erased`: delete every row of these users."""
    for statement in _DELETE_ARCHIVED:
        cursor.executemany(statement, [(row["id"],) for row in rows])


def erasures_resume(*, older_than_seconds: float | None = None, now: int | None = None) -> list[str]:
    """Finish erasures a crash left half done (marked longer than ERASURE_RESUME_AFTER_SECONDS ago)."""
    older = settings.ERASURE_RESUME_AFTER_SECONDS if older_than_seconds is None else older_than_seconds
    now = int(time.time()) if now is None else now
    stuck = redis_client().zrangebyscore(keys.erasures(), "-inf", now - older, start=0, num=100)
    for user_id in stuck:
        logger.warning("erasure of user %s was left half done; finishing it", user_id)
        user_erase(user_id=user_id, now=now)
    return stuck


KINDS = (
    RecordKind(name="archive", owner="accounts", erase=archived_erase, order=90,
               documented=()),
)
