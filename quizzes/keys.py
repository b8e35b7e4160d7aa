"""Keys owned by the quizzes app.

| key                                | type   | TTL                                  | contents                                            |
|------------------------------------|--------|--------------------------------------|-----------------------------------------------------|
| qb:quizzes                         | zset   | none                                 | quiz id -> created_at (epoch ms): the quiz index    |
| qb:quiz:{qid}                      | hash   | none (deleted with the quiz)         | id, title, version, question_count, max_score, shape ("4,3,2": choices per question, read by Lua), questions (JSON with answers), created_at, updated_at; results_gen (the results cache generation, quizzes/results.py) |
| qb:quiz:{qid}:versions             | hash   | none; a field lives while referenced | version -> answer key JSON {answers, points}: the current version, plus old ones while a queued submission needs them |
| qb:quiz:{qid}:pending              | hash   | none; fields removed at zero         | version -> submissions of that version not yet scored |
| qb:quiz:{qid}:submissions          | zset   | none (deleted with the quiz); archive on: ids leave once archived | submission id -> created_at (epoch ms), for results |
| qb:cache:1:quiz:{qid}:results:{v} | string | RESULTS_CACHE_SECONDS (60 s)         | Django cache entry (pickled results of version v)   |
| qb:cache:1:quiz:{qid}:lease:{v}   | string | RESULTS_LEASE_SECONDS                | Django cache entry: the lease of the one reader computing version v |
| qb:submission:{sid}                | hash   | none (the record); archive on: SUBMISSION_REDIS_SECONDS after archived | id, user_id, quiz_id, quiz_version, answers ("0,2,1"), status (queued, processed, failed, disqualified), created_at, created_ms; when processed: score, max_score, correct, correct_mask ("1,0,1"), processed_at, gain (what it added to the total and its day and week boards); when failed: reason, processed_at; when disqualified: reason, disqualified_at |
| qb:idem:{uid}:{sha256(header)}     | string | IDEMPOTENCY_KEY_SECONDS (24 h)       | "<sha256 of quiz id + answers> <submission id>"     |
| qb:quiz-best:{uid}                 | hash   | none                                 | quiz id -> the user's best score on it (also: which quiz boards the user may stand on) |
| qb:quiz:{qid}:board                | zset   | none (deleted with the quiz)         | "<tie>:<uid>" -> the user's best score on the quiz (leaderboard/encoding.py); the tie is taken when that best changes |
| qb:quiz:{qid}:board:members        | hash   | none (deleted with the quiz)         | uid -> its tie on the quiz board (leaderboard.keys.board_tie_ref) |
| qb:user:{uid}:submissions          | zset   | none (erased with the user; archive on: ids stay while their hashes expire) | submission id -> created_at (epoch ms): the user's submissions, for export and erasure |
| qb:submissions:queued              | zset   | none; entries removed when scored    | submission id -> created_at (epoch ms), while queued: what the reconciler checks |
| qb:submissions:rescued             | string | none (a counter)                     | submissions the reconciler has re-enqueued, ever    |
| qb:demo                            | hash   | none                                 | what `manage.py demo_data` wrote: user:{uid} -> username, quiz:{qid} -> title, done -> ISO time (quizzes/demo.py) |

The results cache goes through Django's cache (CACHES["default"]), which prefixes the keys built
here with `qb:cache:1:` (KEY_PREFIX and the cache's key version).

RQ owns its keys, named in `config/jobs/keys.py`. A submission's id is also its score job's id.
"""
from __future__ import annotations

from config.redis.keys import digest, key


def quizzes_index() -> str:
    return key("quizzes")


def quiz(quiz_id: str) -> str:
    return key("quiz", quiz_id)


def quiz_versions(quiz_id: str) -> str:
    return key("quiz", quiz_id, "versions")


def quiz_pending(quiz_id: str) -> str:
    return key("quiz", quiz_id, "pending")


def quiz_submissions(quiz_id: str) -> str:
    return key("quiz", quiz_id, "submissions")


def quiz_results(quiz_id: str, version: int, generation: int = 0) -> str:
    """A Django cache key: the results of one version of the quiz, at one results generation.

    The generation (quiz hash field `results_gen`) moves when results must change without a new
    version (an erased user's submissions leave them); generation 0 keeps the plain key.
    """
    suffix = f".{int(generation)}" if generation else ""
    return f"quiz:{quiz_id}:results:{int(version)}{suffix}"


def quiz_results_lease(quiz_id: str, version: int, generation: int = 0) -> str:
    """A Django cache key: the lease to compute one version's (and generation's) results."""
    suffix = f".{int(generation)}" if generation else ""
    return f"quiz:{quiz_id}:lease:{int(version)}{suffix}"


def submission(submission_id: str) -> str:
    return key("submission", submission_id)


def idempotency(user_id: str, header: str) -> str:
    """Scoped per user, so one user's key can never replay another user's submission."""
    return key("idem", user_id, digest(header))


def idempotency_pattern(user_id: str) -> str:
    """SCAN MATCH pattern for one user's idempotency records (user ids are hex: no glob escaping)."""
    return key("idem", user_id, "*")


def quiz_board(quiz_id: str) -> str:
    """The quiz's own board: each user's best score on it (its tie hash is board_tie_ref's `:members`)."""
    return key("quiz", quiz_id, "board")


def quiz_board_members(quiz_id: str) -> str:
    """Where each user's tie on the quiz board is kept: leaderboard.keys.board_tie_ref's companion hash."""
    return f"{quiz_board(quiz_id)}:members"


def quiz_board_quiz(board_key: str) -> str | None:
    """The quiz id of a quiz board's key, or None for any other key."""
    head, tail = key("quiz", ""), ":board"
    if board_key.startswith(head) and board_key.endswith(tail) and ":" not in board_key[len(head):-len(tail)]:
        return board_key[len(head):-len(tail)] or None
    return None


def user_best(user_id: str) -> str:
    return key("quiz-best", user_id)


def user_submissions(user_id: str) -> str:
    return key("user", user_id, "submissions")


def submissions_queued() -> str:
    return key("submissions", "queued")


def submissions_rescued() -> str:
    return key("submissions", "rescued")


def demo() -> str:
    """The demo data's marker: the users and quizzes `manage.py demo_data` wrote."""
    return key("demo")
