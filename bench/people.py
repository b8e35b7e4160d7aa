"""Issue 23's figures: the score job with the ban and privacy checks vs before, and a heavy erasure.

    .venv/bin/python -m bench.people [--quick]

Runs on its own disposable redis-server. Two figures:

1. The score job's own cost (quizzes.scoring.submission_score: the script's round trip and its
   Python around it, no RQ) with the current score_apply.lua, which reads the `banned`,
   `hidden` and `erasing` flags and takes the parked-entries key, against the script as it was
   before issue 23 (bench/baseline/score_apply_before_issue23.lua, called with its own
   KEYS/ARGV layout). Batches of first attempts alternate between the two on one connection;
   the figure is the median of the paired batch ratios (target >= 0.95). Measured in-process,
   not through a worker: RQ's own per-job work would hide the difference.
2. The erasure (accounts.erasure.user_erase) of a user with 1,000 processed submissions: its
   wall time, the number of commands, and the longest command Redis ran for it (SLOWLOG with
   slowlog-log-slower-than 0), with the widest command's argument count.
"""
from __future__ import annotations

import argparse
import itertools
import random
import statistics
import sys
import time
from datetime import datetime, timezone
from pathlib import Path

QUESTIONS = 10
BEFORE = Path(__file__).parent / "baseline" / "score_apply_before_issue23.lua"


def _seed(users: int, quizzes: int) -> tuple[list[str], list[str]]:
    from accounts.services import user_create
    from quizzes.services import quiz_create

    ids = [user_create(username=f"people{i}", password="bench-password-1")["id"] for i in range(users)]
    questions = [{"text": f"Q{i}", "choices": ["a", "b", "c", "d"], "answer": i % 4, "points": 10}
                 for i in range(QUESTIONS)]
    return ids, [quiz_create(title=f"Quiz {i}", questions=questions)["id"] for i in range(quizzes)]


def _accept(pairs, count: int) -> list[tuple[str, str, str]]:
    from quizzes.services import submission_create

    out = []
    for user, quiz in itertools.islice(pairs, count):
        answers = [random.randrange(4) for _ in range(QUESTIONS)]
        out.append((submission_create(user_id=user, quiz_id=quiz, answers=answers).id, quiz, user))
    return out


def _score_before(script, submission_id: str, quiz_id: str, user_id: str) -> None:
    """The pre-issue-23 call: no parked-entries key, no suspension reason (its KEYS/ARGV layout)."""
    from accounts import keys as account_keys
    from leaderboard import encoding, events
    from leaderboard import keys as board_keys
    from quizzes import keys
    from config.http.times import iso

    now = datetime.now(timezone.utc)
    boards = [board_keys.board("all"), board_keys.board("day", now), board_keys.board("week", now)]
    refs = [board_keys.board_tie_ref(board, user_id) for board in boards]
    reply = script(
        keys=[keys.submission(submission_id), keys.user_best(user_id), account_keys.user_profile(user_id),
              *boards, keys.quiz(quiz_id), keys.quiz_versions(quiz_id), keys.quiz_pending(quiz_id),
              *(ref for ref, _ in refs), board_keys.tie_sequence(), keys.submissions_queued(),
              *events.score_events_keys(user_id)],
        args=[user_id, quiz_id, int(now.timestamp()), iso(now), encoding.TIE_MAX, "",
              board_keys.board_expires_at("day", now), board_keys.board_expires_at("week", now),
              *(field for _, field in refs), submission_id, *events.score_events_limits()],
    )
    assert reply[0] == "applied", reply


def paired_score_runs(score, pairs, *, new: str, old: str, jobs: int, rounds: int, pairs_n: int):
    """Time `score(kind, *job)` for two kinds of score job in the same run: (rates_by, ratios, server).

    In-process batches of `jobs` per kind and round, their order drawn each round (rates_by: jobs/s
    per kind; ratios: new/old per round); then the Redis time of each script run from SLOWLOG (every
    command logged), one job of each kind back to back, the order alternating, so the machine's
    load drift cancels out (server: us per run per kind).
    """
    from config.redis.clients import redis_client

    ratios, rates_by = [], {new: [], old: []}
    for _ in range(rounds):
        rates = {}
        for kind in random.sample([new, old], 2):  # the order varies from round to round
            batch = _accept(pairs, jobs)
            began = time.perf_counter()
            for job in batch:
                score(kind, *job)
            rates[kind] = jobs / (time.perf_counter() - began)
            rates_by[kind].append(rates[kind])
        ratios.append(rates[new] / rates[old])
    client = redis_client()
    client.config_set("slowlog-max-len", 100_000)
    client.config_set("slowlog-log-slower-than", 0)
    server = {new: [], old: []}
    batch = _accept(pairs, 2 * pairs_n)
    for i in range(pairs_n):
        order = [new, old] if i % 2 == 0 else [old, new]
        client.slowlog_reset()
        for kind, job in zip(order, batch[2 * i:2 * i + 2]):
            score(kind, *job)
        runs = [e["duration"] for e in client.slowlog_get(1000) if str(e["command"])[:12].find("EVALSHA") >= 0]
        if len(runs) == 2:
            for kind, duration in zip(reversed(order), runs):  # SLOWLOG lists the newest first
                server[kind].append(duration)
    client.config_set("slowlog-log-slower-than", 10_000)
    return rates_by, ratios, server


def score_job_vs_before(*, quick: bool) -> list[dict]:
    """In-process batches (client-side cost), then per-call Redis time of adjacent pairs (server-side)."""
    from config.redis.lua import LuaScript
    from leaderboard import encoding, events
    from quizzes.scoring import submission_score

    before = LuaScript(BEFORE, library=(encoding.TIE_LUA, events.SCORE_EVENTS_LUA))
    jobs, rounds, pairs_n = (200, 5, 500) if quick else (300, 15, 3000)
    users, quizzes = _seed(300, (2 * rounds * jobs + 2 * pairs_n) // 300 + 2)
    pairs = iter([(u, q) for q in quizzes for u in users])

    def score(kind: str, sid: str, quiz: str, user: str) -> None:
        if kind == "now":
            assert submission_score(submission_id=sid, quiz_id=quiz, user_id=user) is not None
        else:
            _score_before(before, sid, quiz, user)

    rates_by, ratios, server = paired_score_runs(score, pairs, new="now", old="before", jobs=jobs,
                                                 rounds=rounds, pairs_n=pairs_n)
    server_now, server_before = statistics.median(server["now"]), statistics.median(server["before"])
    return [
        {"name": "score job with ban/privacy checks, jobs/s", "value": round(statistics.median(rates_by["now"]), 1),
         "unit": "jobs/s", "baseline": round(statistics.median(rates_by["before"]), 1),
         "baseline_label": "score job before issue 23", "target": (">=", 0.95),
         "note": f"in-process; median of {rounds} paired batches of {jobs}: "
                 f"ratio {statistics.median(ratios):.3f} (min {min(ratios):.3f}, max {max(ratios):.3f})"},
        {"name": "score script Redis time, before / now", "value": round(server_before / server_now, 3),
         "unit": "x", "target": (">=", 0.95),
         "note": f"median {server_now} us now vs {server_before} us before, {len(server['now'])} adjacent pairs"},
    ]


def erasure_of_1000(*, quick: bool) -> list[dict]:
    from accounts.erasure import user_erase
    from config.redis.clients import redis_client
    from quizzes.scoring import submission_score

    from bench.common import flush_data

    client = redis_client()
    flush_data(client)  # a deliberate reset, not a lost store
    users, quizzes = _seed(1, 50)
    count = 1000
    pairs = iter([(users[0], quizzes[i % len(quizzes)]) for i in range(count)])
    for sid, quiz, user in _accept(pairs, count):
        submission_score(submission_id=sid, quiz_id=quiz, user_id=user)
    client.config_set("slowlog-max-len", 1_000_000)
    client.config_set("slowlog-log-slower-than", 0)
    client.slowlog_reset()
    began = time.perf_counter()
    user_erase(user_id=users[0])
    seconds = time.perf_counter() - began
    log = client.slowlog_get(1_000_000)
    client.config_set("slowlog-log-slower-than", 10_000)
    longest = max(log, key=lambda entry: entry["duration"])
    widest = max(_arguments(entry) for entry in log)
    name = longest["command"]
    name = (name.decode(errors="replace") if isinstance(name, bytes) else name).split()[0]
    return [
        {"name": "erasure of a user with 1,000 submissions", "value": round(seconds * 1000, 1), "unit": "ms",
         "note": f"{len(log)} commands; the widest {widest} arguments"},
        {"name": "erasure: longest Redis command", "value": round(longest["duration"] / 1000, 3), "unit": "ms",
         "target": ("<=", 5.0), "note": f"{name} (SLOWLOG, every command logged)"},
    ]


def _arguments(entry: dict) -> int:
    import re

    command = entry["command"]
    command = command.decode(errors="replace") if isinstance(command, bytes) else command
    more = re.search(r"\((\d+) more arguments\)", command)
    return 31 + int(more.group(1)) if more else len(command.split())


def measure(*, quick: bool = False) -> list[dict]:
    return [*score_job_vs_before(quick=quick), *erasure_of_1000(quick=quick)]


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
    parser = argparse.ArgumentParser(prog="python -m bench.people", description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="fewer jobs (noisier figures)")
    args = parser.parse_args(argv)
    for fig in run(quick=args.quick):
        versus = f"   vs {fig['baseline']} ({fig['baseline_label']})" if fig.get("baseline") else ""
        print(f"{fig['name']:<44} {fig['value']:>9} {fig['unit']:<6}{versus}   {fig['note']}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
