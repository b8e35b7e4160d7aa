"""A publishing process for bench/ws_fanout.py: one board change per line read, as a score job makes it.

    python -m bench.ws_publisher USER_ID USERNAME   (Django settings from the environment)

Runs in the tree it is started in (the current one, or the hub's archived copy), so each row of
the fan-out bench publishes with its own code, from a sync process like the RQ worker. For each
line on stdin it applies a new total to the board, then prints CLOCK_MONOTONIC (shared by every
process on the machine) just before `score_events_publish`, so the client can time delivery.
"""
from __future__ import annotations

import sys
import time

import django


def main() -> int:
    user_id, username = sys.argv[1], sys.argv[2]
    django.setup()
    from leaderboard import encoding
    from leaderboard.events import score_events_publish

    if hasattr(encoding, "encode"):  # the hub's archived tree: the old points-and-time score encoding
        from config.redis.clients import redis_client
        from leaderboard import keys

        def board_put(*, entries):
            for uid, points in entries:
                redis_client().zadd(keys.board("all"), {uid: encoding.encode(points, int(time.time()))})
    else:  # the current tree: boards keep each user's tie (leaderboard/services.py)
        from leaderboard.services import board_put

    total = 0
    for _ in sys.stdin:
        total += 1
        board_put(entries=[(user_id, total)])
        print(time.monotonic(), flush=True)
        score_events_publish(user_id=user_id, username=username, submission_id="bench", score=1,
                             total_score=total, rank_before=1, rank_after=1, top10_changed=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
