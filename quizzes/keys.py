"""Keys owned by the quizzes app.

| key                                | type   | TTL                                  | contents                                            |
|------------------------------------|--------|--------------------------------------|-----------------------------------------------------|
| qb:quizzes                         | zset   | none                                 | quiz id -> created_at (epoch ms): the quiz index    |
| qb:quiz:{qid}                      | hash   | none (deleted with the quiz)         | id, title, version, question_count, max_score, shape ("4,3,2": choices per question, read by Lua), questions (JSON with answers), created_at, updated_at |
| qb:quiz:{qid}:versions             | hash   | none; a field lives while referenced | version -> answer key JSON {answers, points}: the current version, plus old ones while a queued submission needs them |
| qb:quiz:{qid}:pending              | hash   | none; fields removed at zero         | version -> submissions of that version not yet scored |
| qb:quiz:{qid}:submissions          | zset   | none (deleted with the quiz); archive on: ids leave once archived | submission id -> created_at (epoch ms), for results |
| qb:cache:1:quiz:{qid}:results:{v} | string | RESULTS_CACHE_SECONDS (60 s)         | Django cache entry (pickled results of version v)   |
| qb:cache:1:quiz:{qid}:lease:{v}   | string | RESULTS_LEASE_SECONDS                | Django cache entry: the lease of the one reader computing version v |
| qb:submission:{sid}                | hash   | none (the record); archive on: SUBMISSION_REDIS_SECONDS after archived | id, user_id, quiz_id, quiz_version, answers ("0,2,1"), status (queued, processed, failed), created_at, created_ms; when processed: score, max_score, correct, correct_mask ("1,0,1"), processed_at; when failed: reason, processed_at |
| qb:idem:{uid}:{sha256(header)}     | string | IDEMPOTENCY_KEY_SECONDS (24 h)       | "<sha256 of quiz id + answers> <submission id>"     |
| qb:quiz-best:{uid}                 | hash   | none                                 | quiz id -> the user's best score on it              |
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


def quiz_results(quiz_id: str, version: int) -> str:
    """A Django cache key: the results of one version of the quiz."""
    return f"quiz:{quiz_id}:results:{int(version)}"


def quiz_results_lease(quiz_id: str, version: int) -> str:
    """A Django cache key: the lease to compute one version's results."""
    return f"quiz:{quiz_id}:lease:{int(version)}"


def submission(submission_id: str) -> str:
    return key("submission", submission_id)


def idempotency(user_id: str, header: str) -> str:
    """Scoped per user, so one user's key can never replay another user's submission."""
    return key("idem", user_id, digest(header))


def user_best(user_id: str) -> str:
    return key("quiz-best", user_id)


def submissions_queued() -> str:
    return key("submissions", "queued")


def submissions_rescued() -> str:
    return key("submissions", "rescued")


def demo() -> str:
    """The demo data's marker: the users and quizzes `manage.py demo_data` wrote."""
    return key("demo")
