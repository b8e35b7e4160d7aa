"""Issue 24's figure: the score job with the per-quiz board against the same job without it.

    .venv/bin/python -m bench.quiz_boards [--quick]

Runs on its own disposable redis-server. The score job's own cost
(quizzes.scoring.submission_score: the script's round trip and its Python around it, no RQ) with
the current score_apply.lua, which also moves the quiz's board (a ZADD, a ZREM of the old member
on an improvement, an HSET of the tie, an EXISTS of the quiz), against the script as it was just
before (bench/baseline/score_apply_before_issue24.lua, called with its own KEYS layout: no quiz
board keys). Every job is a first attempt, so each one moves a quiz board; the boards fill up to
300 users. Batches alternate between the two in one run, their order varying from round to
round; the client-side figure is the median of the paired batch ratios. Then the Redis time of
each script run (SLOWLOG), one of each back to back, their order alternating.
"""
from __future__ import annotations

import argparse
import statistics
import sys
from datetime import datetime, timezone
from pathlib import Path

from bench.people import _seed, paired_score_runs

BEFORE = Path(__file__).parent / "baseline" / "score_apply_before_issue24.lua"


def _score_before(script, submission_id: str, quiz_id: str, user_id: str) -> None:
    """The pre-issue-24 call: everything the job passes today but the quiz board's two keys."""
    from accounts import keys as account_keys
    from config.http.times import iso
    from leaderboard import encoding, events
    from leaderboard import keys as board_keys
    from quizzes import keys
    from quizzes.scoring import SUSPENDED_REASON

    now = datetime.now(timezone.utc)
    boards = [board_keys.board("all"), board_keys.board("day", now), board_keys.board("week", now)]
    refs = [board_keys.board_tie_ref(board, user_id) for board in boards]
    reply = script(
        keys=[keys.submission(submission_id), keys.user_best(user_id), account_keys.user_profile(user_id),
              *boards, keys.quiz(quiz_id), keys.quiz_versions(quiz_id), keys.quiz_pending(quiz_id),
              *(ref for ref, _ in refs), board_keys.tie_sequence(), keys.submissions_queued(),
              account_keys.user_parked(user_id), *events.score_events_keys(user_id)],
        args=[user_id, quiz_id, int(now.timestamp()), iso(now), encoding.TIE_MAX, "",
              board_keys.board_expires_at("day", now), board_keys.board_expires_at("week", now),
              *(field for _, field in refs), submission_id, *events.score_events_limits(), SUSPENDED_REASON],
    )
    assert reply[0] == "applied", reply


def measure(*, quick: bool = False) -> list[dict]:
    """In-process batches (client-side cost), then per-call Redis time of adjacent pairs (server-side)."""
    from config.redis.lua import LuaScript
    from leaderboard import encoding, events
    from quizzes.scoring import submission_score

    before = LuaScript(BEFORE, library=(encoding.TIE_LUA, events.SCORE_EVENTS_LUA))
    jobs, rounds, pairs_n = (200, 5, 500) if quick else (300, 15, 3000)
    users, quizzes = _seed(300, (2 * rounds * jobs + 2 * pairs_n) // 300 + 2)
    pairs = iter([(u, q) for q in quizzes for u in users])

    def score(kind: str, sid: str, quiz: str, user: str) -> None:
        if kind == "with":
            assert submission_score(submission_id=sid, quiz_id=quiz, user_id=user) is not None
        else:
            _score_before(before, sid, quiz, user)

    rates_by, ratios, server = paired_score_runs(score, pairs, new="with", old="without", jobs=jobs,
                                                 rounds=rounds, pairs_n=pairs_n)
    server_with, server_without = statistics.median(server["with"]), statistics.median(server["without"])
    return [
        {"name": "score job with the quiz board, jobs/s", "value": round(statistics.median(rates_by["with"]), 1),
         "unit": "jobs/s", "baseline": round(statistics.median(rates_by["without"]), 1),
         "baseline_label": "the same job without it", "target": None,
         "note": f"in-process; median of {rounds} paired batches of {jobs}: "
                 f"ratio {statistics.median(ratios):.3f} (min {min(ratios):.3f}, max {max(ratios):.3f})"},
        {"name": "score script Redis time, with / without", "value": round(server_with / server_without, 3),
         "unit": "x", "target": None,
         "note": f"median {server_with} us with vs {server_without} us without, {len(server['with'])} adjacent pairs"},
    ]


def run(quick: bool = False) -> list[dict]:
    """Entry point for `python -m bench` (bench.external): figures from a private Redis."""
    from bench.common import PrivateRedis, setup_django

    redis = PrivateRedis().start()
    try:
        setup_django(redis.url)
        return measure(quick=quick)
    finally:
        redis.stop()


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.quiz_boards", description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="fewer jobs (noisier figures)")
    args = parser.parse_args(argv)
    for fig in run(quick=args.quick):
        versus = f"   vs {fig['baseline']} ({fig['baseline_label']})" if fig.get("baseline") else ""
        print(f"{fig['name']:<44} {fig['value']:>9} {fig['unit']:<6}{versus}   {fig['note']}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
