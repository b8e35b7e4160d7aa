"""The quizzes app's per-user records, as registered with accounts/records.py (AppConfig.ready).

A user's submissions are found through their index (keys.user_submissions), ERASE_BATCH ids at
a time: each step is one pipeline of that many HMGETs, then one of a few ZREMs and one UNLINK,
so erasing 1,000 submissions never sends one long command. A queued one is failed first
(submission_fail.lua), which releases its pin on the quiz version's answer key; its score job,
when it runs, finds the profile marked `erasing` or the submission gone and scores nothing.
Then each quiz they touched gets a new results generation, so cached results that counted or
named them are never served again (quizzes/results.py).
"""
from __future__ import annotations

from collections import defaultdict

from django.conf import settings
from django.core.cache import cache

from accounts.records import ERASE_BATCH, BoardSpan, RecordKind, keys_delete
from config.redis.clients import redis_client
from quizzes import keys
from quizzes.scoring import submission_mark_failed

ERASED_REASON = "The account was erased."


def submissions_erase(user_id: str) -> None:
    """Delete every submission of the user from Redis and from the quizzes' indexes, in batches."""
    client = redis_client()
    index = keys.user_submissions(user_id)
    touched: set[str] = set()
    while ids := client.zrange(index, 0, ERASE_BATCH - 1):
        read = client.pipeline(transaction=False)
        for sid in ids:
            read.hmget(keys.submission(sid), "quiz_id", "status")
        rows = read.execute()
        by_quiz: dict[str, list[str]] = defaultdict(list)
        for sid, (quiz_id, status) in zip(ids, rows):
            if quiz_id is None:
                continue
            if status == "queued":
                submission_mark_failed(submission_id=sid, quiz_id=quiz_id, reason=ERASED_REASON)
            by_quiz[quiz_id].append(sid)
        write = client.pipeline(transaction=False)
        for quiz_id, sids in by_quiz.items():
            write.zrem(keys.quiz_submissions(quiz_id), *sids)
        write.zrem(keys.submissions_queued(), *ids)
        write.unlink(*(keys.submission(sid) for sid in ids))
        write.zrem(index, *ids)
        write.execute()
        touched.update(by_quiz)
    results_invalidate(quiz_ids=sorted(touched | _best_quizzes(client, user_id)))


def _best_quizzes(client, user_id: str) -> set[str]:
    """Quizzes with a best score of the user (archived submissions count in results too)."""
    return set(client.hkeys(keys.user_best(user_id)))


def results_invalidate(*, quiz_ids: list[str]) -> None:
    """Give each quiz a new results generation (no reader asks for the old entry), and drop that entry."""
    if not quiz_ids:
        return
    pipe = redis_client().pipeline(transaction=False)
    for quiz_id in quiz_ids:
        pipe.hmget(keys.quiz(quiz_id), "version", "results_gen")
    current = {q: row for q, row in zip(quiz_ids, pipe.execute()) if row[0] is not None}
    pipe = redis_client().pipeline(transaction=False)
    for quiz_id in current:  # only quizzes that still exist: HINCRBY would create a deleted one's hash
        pipe.hincrby(keys.quiz(quiz_id), "results_gen", 1)
    if current:
        pipe.execute()
    # The old entry would only expire with its TTL; it names the user, so it goes now.
    cache.delete_many([keys.quiz_results(q, int(v), int(g or 0)) for q, (v, g) in current.items()])


def quiz_boards_of(user_ids: list[str], now: int) -> list[list[BoardSpan]]:
    """The quiz boards each user may stand on: the quizzes their best-per-quiz hash names (one pipelined HKEYS).

    A user is on a quiz's board only once they have a best on it, and the best-per-quiz hash
    is where the score script records that, so it names every board they may stand on (plus,
    harmlessly, deleted quizzes' boards, which no longer exist). Quiz boards never expire.
    """
    pipe = redis_client().pipeline(transaction=False)
    for user_id in user_ids:
        pipe.hkeys(keys.user_best(user_id))
    return [[(keys.quiz_board(quiz_id), None) for quiz_id in sorted(quiz_ids)] for quiz_ids in pipe.execute()]


def quiz_boards_gone(board_keys: list[str]) -> list[str]:
    """Of these board keys, the boards of quizzes that no longer exist (one pipelined EXISTS each)."""
    quiz_ids = {board: quiz_id for board in board_keys if (quiz_id := keys.quiz_board_quiz(board))}
    if not quiz_ids:
        return []
    pipe = redis_client().pipeline(transaction=False)
    for quiz_id in quiz_ids.values():
        pipe.exists(keys.quiz(quiz_id))
    return [board for board, exists in zip(quiz_ids, pipe.execute()) if not exists]


def best_erase(user_id: str) -> None:
    keys_delete(redis_client(), [keys.user_best(user_id)])


def idempotency_erase(user_id: str) -> None:
    """SCAN the user's Idempotency-Key records (COUNT-bounded steps, never KEYS) and unlink them."""
    client = redis_client()
    found = client.scan_iter(match=keys.idempotency_pattern(user_id), count=settings.INACTIVE_SWEEP_BATCH)
    keys_delete(client, found)


def submissions_export(user_id: str) -> tuple[str, object]:
    """The user's submissions with their answers and scores, oldest first (archive: from PostgreSQL too)."""
    client = redis_client()
    ids = client.zrange(keys.user_submissions(user_id), 0, -1)
    rows: list[dict] = []
    fields = ("id", "quiz_id", "quiz_version", "answers", "status", "score", "max_score", "correct",
              "created_at", "processed_at", "reason", "created_ms")
    for start in range(0, len(ids), ERASE_BATCH):
        pipe = client.pipeline(transaction=False)
        for sid in ids[start:start + ERASE_BATCH]:
            pipe.hmget(keys.submission(sid), *fields)
        for sid, values in zip(ids[start:start + ERASE_BATCH], pipe.execute()):
            if values[0] is not None:
                rows.append(_export_row(dict(zip(fields, values))))
    if settings.ARCHIVE_ENABLED:
        from quizzes.archived import submissions_of_user

        seen = {row["id"] for row in rows}
        rows += [row for row in submissions_of_user(user_id=user_id) if row["id"] not in seen]
        rows.sort(key=lambda row: int(row["created_ms"] or 0))
    for row in rows:
        row.pop("created_ms")  # the order key; created_at says the same to a person
    return "submissions", rows


def _export_row(row: dict) -> dict:
    answers = row.pop("answers") or ""
    out = {**row, "answers": [int(a) for a in answers.split(",") if a]}
    for name in ("quiz_version", "score", "max_score", "correct"):
        out[name] = None if out[name] is None else int(out[name])
    return out


KINDS = (
    # The per-quiz boards: bans, privacy and the sweep take a user off them like every board
    # (erasure runs a ban's leave first); their parked copies are accounts' `parked` kind.
    RecordKind(name="board.quiz", owner="quizzes", documented=(), boards_of=quiz_boards_of,
               gone=quiz_boards_gone, ban=True, hide=True, sweep=True),
    RecordKind(name="submissions", owner="quizzes", erase=submissions_erase, order=20,
               documented=("qb:user:{uid}:submissions", "qb:submission:{sid}"), export=submissions_export),
    RecordKind(name="quiz-best", owner="quizzes", erase=best_erase, order=30, documented=("qb:quiz-best:{uid}",)),
    RecordKind(name="idempotency", owner="quizzes", erase=idempotency_erase, order=30,
               documented=("qb:idem:{uid}:{sha256(header)}",)),
)
