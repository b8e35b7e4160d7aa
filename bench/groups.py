"""Issue 24's figures: the score job's cost by group count, group board reads, memory per membership.

    .venv/bin/python -m bench.groups [--quick]

Runs on its own disposable redis-server. Three figures:

1. The score job's own cost (quizzes.scoring.submission_score: its script, the group events'
   pipelined round trip when the user has groups, and the Python around them; no RQ) for users
   in 0, 10 and 100 groups. Batches of first attempts alternate between the three kinds in a
   shuffled order each round; each ratio is jobs/s in 0 groups over jobs/s in n, the median of
   the paired rounds (target at 10 groups: <= 1.3x). Each user's groups are remembered by the
   process after a warm-up job, as in a worker that has scored them before. Two cases: ten
   members far ahead hold every group's top 10 (the fan-out alone; the target's case), and the
   scoring users are the groups' top 10 (each job also records each group's events: worst case).
2. Group board read p50 (leaderboard.groups.group_board_page: the membership check and the
   board script, top 10 with names) for a 30-member class and a 10,000-member group, against
   the global board read (leaderboard.selectors.leaderboard_page) of a 10,030-user board, calls
   alternating (target: <= 1.5x).
3. Memory per membership: INFO used_memory before and after 10,000 users with points join one
   group (the members Set, the joined hash, the group's three boards, each user's groups Set),
   divided by 9,999.
"""
from __future__ import annotations

import argparse
import itertools
import random
import statistics
import sys
import time
from datetime import datetime, timezone

QUESTIONS = 10
KINDS = (0, 10, 100)


def _quizzes(count: int) -> list[str]:
    from quizzes.services import quiz_create

    questions = [{"text": f"Q{i}", "choices": ["a", "b", "c", "d"], "answer": i % 4, "points": 10}
                 for i in range(QUESTIONS)]
    return [quiz_create(title=f"Quiz {i}", questions=questions)["id"] for i in range(count)]


def _users(prefix: str, count: int) -> list[str]:
    from accounts.services import user_create

    return [user_create(username=f"{prefix}{i}", password="bench-password-1")["id"] for i in range(count)]


def _accept(pairs, count: int) -> list[tuple[str, str, str]]:
    from quizzes.services import submission_create

    out = []
    for user, quiz in itertools.islice(pairs, count):
        answers = [random.randrange(4) for _ in range(QUESTIONS)]
        out.append((submission_create(user_id=user, quiz_id=quiz, answers=answers).id, quiz, user))
    return out


def score_job_by_groups(*, quick: bool, leaders: bool) -> list[dict]:
    """With `leaders`, ten members far ahead hold every group's top 10 (the jobs change no group's
    top 10: the fan-out alone); without, the scoring users are every group's top 10 (each job
    also records its groups' events: the worst case)."""
    from leaderboard import groups
    from quizzes.scoring import submission_score

    per_kind, jobs, rounds = (20, 100, 3) if quick else (40, 200, 9)
    tag = "lead" if leaders else "top"
    users = {kind: _users(f"{tag}{kind}x", per_kind) for kind in KINDS}
    owner = _users(f"{tag}owner", 1)[0]
    made = [groups.group_create(user_id=owner, name=f"group {i}") for i in range(max(KINDS))]
    ahead = _board_seed(10, "a0", points=10**9) if leaders else []
    for kind in KINDS:
        for user in users[kind]:
            for group in made[:kind]:
                groups.group_join(user_id=user, join_code=group["join_code"])
    for user in ahead:
        for group in made:
            groups.group_join(user_id=user, join_code=group["join_code"])
    quizzes = _quizzes(rounds * jobs // per_kind + 2)
    pairs = {kind: iter([(u, q) for q in quizzes for u in users[kind]]) for kind in KINDS}
    for kind in KINDS:  # warm-up: each user's groups remembered, the script cached
        for sid, quiz, user in _accept(pairs[kind], per_kind):
            submission_score(submission_id=sid, quiz_id=quiz, user_id=user)
    rates: dict[int, list[float]] = {kind: [] for kind in KINDS}
    ratios: dict[int, list[float]] = {kind: [] for kind in KINDS}
    for _ in range(rounds):
        rate = {}
        for kind in random.sample(KINDS, len(KINDS)):
            batch = _accept(pairs[kind], jobs)
            began = time.perf_counter()
            for sid, quiz, user in batch:
                assert submission_score(submission_id=sid, quiz_id=quiz, user_id=user) is not None
            rate[kind] = jobs / (time.perf_counter() - began)
            rates[kind].append(rate[kind])
        for kind in KINDS:
            ratios[kind].append(rate[0] / rate[kind])
    case = "top 10 unchanged" if leaders else "every group's top 10 changes"
    figures = [{"name": f"score job, user in no group ({case})", "value": round(statistics.median(rates[0]), 1),
                "unit": "jobs/s", "note": f"in-process; median of {rounds} rounds of {jobs}"}]
    for kind in KINDS[1:]:
        figures.append({
            "name": f"score job cost, {kind} groups vs none ({case})", "value": round(statistics.median(ratios[kind]), 3),
            "unit": "x", "target": ("<=", 1.3) if kind == 10 and leaders else None,
            "note": f"{statistics.median(rates[kind]):.1f} jobs/s; ratios min {min(ratios[kind]):.3f}, "
                    f"max {max(ratios[kind]):.3f}"})
    return figures


def _board_seed(count: int, prefix: str, points: int | None = None) -> list[str]:
    """Users with names and points on the global boards, the way the score script leaves them."""
    from accounts import keys as account_keys
    from config.redis.clients import redis_client
    from leaderboard.services import board_put

    ids = [f"{prefix}{i:08x}"[-16:].rjust(16, "0") for i in range(count)]
    client = redis_client()
    with client.pipeline(transaction=False) as pipe:
        for uid in ids:
            pipe.hset(account_keys.users_names(), uid, f"{prefix}{uid[-6:]}")
            pipe.hset(account_keys.user_profile(uid), mapping={"id": uid, "username": f"{prefix}{uid[-6:]}"})
        pipe.execute()
    now = datetime.now(timezone.utc)
    for period in ("all", "day", "week"):
        board_put(entries=[(uid, points or random.randrange(1, 100_000)) for uid in ids], period=period, at=now)
    return ids


def board_reads(*, quick: bool) -> tuple[list[dict], list[str]]:
    from leaderboard import groups, selectors

    calls = 1000 if quick else 4000
    big_ids, class_ids = _board_seed(10_000, "b0"), _board_seed(30, "c0")
    big = groups.group_create(user_id=big_ids[0], name="everyone")
    for uid in big_ids[1:]:
        groups.group_join(user_id=uid, join_code=big["join_code"])
    small = groups.group_create(user_id=class_ids[0], name="class")
    for uid in class_ids[1:]:
        groups.group_join(user_id=uid, join_code=small["join_code"])
    reads = {
        "global": lambda: selectors.leaderboard_page(limit=10, offset=0),
        "class": lambda: groups.group_board_page(group_id=small["id"], user_id=class_ids[1], period="all",
                                                 limit=10, offset=0),
        "big": lambda: groups.group_board_page(group_id=big["id"], user_id=big_ids[1], period="all",
                                               limit=10, offset=0),
    }
    times: dict[str, list[float]] = {name: [] for name in reads}
    for _ in range(calls):
        for name in random.sample(list(reads), len(reads)):
            began = time.perf_counter()
            reads[name]()
            times[name].append(time.perf_counter() - began)
    p50 = {name: statistics.median(values) * 1e6 for name, values in times.items()}
    figures = [{"name": "global board read p50 (top 10, 10,030 users)", "value": round(p50["global"], 1), "unit": "us",
                "note": f"in-process, {calls} calls each, alternating"}]
    for name, label in (("class", "30-member class"), ("big", "10,000-member group")):
        figures.append({"name": f"group board read p50, {label} vs global", "value": round(p50[name] / p50["global"], 3),
                        "unit": "x", "target": ("<=", 1.5), "note": f"{p50[name]:.1f} us"})
    return figures, big_ids


def memory_per_membership(*, quick: bool) -> list[dict]:
    from config.redis.clients import redis_client
    from leaderboard import groups

    client = redis_client()
    count = 2_000 if quick else 10_000
    owner, *ids = _board_seed(count, "m0")  # the owner and count - 1 joining: GROUP_MAX_MEMBERS in all
    group = groups.group_create(user_id=owner, name="memory")
    client.execute_command("MEMORY", "PURGE")
    before = client.info("memory")["used_memory"]
    for uid in ids:
        groups.group_join(user_id=uid, join_code=group["join_code"])
    client.execute_command("MEMORY", "PURGE")
    after = client.info("memory")["used_memory"]
    return [{"name": "memory per group membership", "value": round((after - before) / len(ids), 1), "unit": "B",
             "note": f"{len(ids)} members with points joining one group: members Set, joined hash, "
                     f"3 boards, each user's groups Set (INFO used_memory)"}]


def measure(*, quick: bool = False) -> list[dict]:
    from bench.common import flush_data

    figures = score_job_by_groups(quick=quick, leaders=True)
    flush_data()  # a deliberate flush, acknowledged with a new epoch
    figures += score_job_by_groups(quick=quick, leaders=False)
    flush_data()
    reads, _ = board_reads(quick=quick)
    flush_data()
    return [*figures, *reads, *memory_per_membership(quick=quick)]


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
    parser = argparse.ArgumentParser(prog="python -m bench.groups", description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="fewer jobs and calls (noisier figures)")
    args = parser.parse_args(argv)
    for fig in run(quick=args.quick):
        print(f"{fig['name']:<52} {fig['value']:>9} {fig['unit']:<6}   {fig['note']}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
