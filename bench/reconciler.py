"""The reconciler's cost on Redis: one pass over 100 overdue submissions behind a long queue.

    .venv/bin/python -m bench.reconciler

Each check looks for the job in the queue list with LPOS, which is O(queue length) when the id
is not there (the job is held elsewhere, or lost). Worst case here: 100 overdue submissions
whose jobs are running (started registry) while 10,000 newer jobs wait in the queue, so every
check scans the whole list. Same-run baseline: the same pass with the queue list empty. Prints
the Redis-side time per pass (INFO commandstats, usec of EVALSHA) and the ratio.
"""
from __future__ import annotations

import time
from datetime import datetime, timedelta, timezone

from bench.common import PrivateRedis, setup_django
from config.jobs import keys as rq_keys

BACKLOG = 10_000
PASSES = 20


def _evalsha_usec(client) -> float:
    return float(client.info("commandstats").get("cmdstat_evalsha", {}).get("usec", 0))


def _pass_usec(client, scoring) -> float:
    before = _evalsha_usec(client)
    for _ in range(PASSES):
        result = scoring.submissions_rescue(older_than_seconds=30)
        assert result.held == result.checked == scoring.RESCUE_BATCH, result
    return (_evalsha_usec(client) - before) / PASSES


def main() -> None:
    redis = PrivateRedis().start()
    try:
        setup_django(redis.url)
        from accounts import services as accounts
        from config.redis.clients import redis_client
        from quizzes import scoring
        from quizzes import services as quizzes
        from tests.quizzes.conftest import quiz_body

        client = redis_client()
        user = accounts.user_create(username="bench", password="correct-horse-1")
        quiz = quizzes.quiz_create(**quiz_body())
        earlier = datetime.now(timezone.utc) - timedelta(minutes=10)
        running = [quizzes.submission_create(user_id=user["id"], quiz_id=quiz["id"], answers=[0, 1, 0],
                                             now=earlier).id for _ in range(scoring.RESCUE_BATCH)]
        queue = rq_keys.rq_queue("scores")
        client.delete(queue)
        client.zadd(rq_keys.rq_started("scores"), {f"{sid}:x": time.time() + 3600 for sid in running})
        for _ in range(BACKLOG):
            quizzes.submission_create(user_id=user["id"], quiz_id=quiz["id"], answers=[0, 1, 0])
        scoring.submissions_rescue(older_than_seconds=30)  # loads the script
        behind = _pass_usec(client, scoring)
        client.rename(queue, queue + ":aside")
        empty = _pass_usec(client, scoring)
        print(f"reconciler pass over {scoring.RESCUE_BATCH} overdue submissions (jobs running), Redis time:")
        print(f"  {BACKLOG:,} newer jobs in the queue: {behind / 1000:.2f} ms")
        print(f"  baseline, queue empty: {empty / 1000:.2f} ms")
        print(f"  ratio: {behind / empty:.1f}x")
    finally:
        redis.stop()


if __name__ == "__main__":
    main()
