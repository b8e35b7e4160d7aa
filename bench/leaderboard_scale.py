"""Leaderboard scale: read latency at 10k and 1M members, and memory per member.

Members are seeded straight into the all-time board with pipelined ZADD (and their names into
the names hash the reads join), then the leaderboard's own selectors are timed in-process:
top 10 (`leaderboard_page`) and my rank (`leaderboard_around`, what /leaderboard/me serves;
`leaderboard_rank_of`, what /leaderboard/users/{id} serves). A sorted set answers ranks in
O(log N), so 1M members should cost about what 10k do (target: ratio <= 1.2).
"""
from __future__ import annotations

import random
import secrets
import statistics
import time

from bench.report import Figure, Report

BATCH = 10_000
CALLS = 2_000
ROUNDS = 2


def _ids(count: int) -> list[str]:
    return [secrets.token_hex(8) for _ in range(count)]


def _seed_names(ids: list[str]) -> None:
    from accounts import keys as account_keys
    from config.redis import redis_client

    for first in range(0, len(ids), BATCH):
        batch = ids[first : first + BATCH]
        redis_client().hset(account_keys.users_names(), mapping={uid: f"user{first + i}" for i, uid in enumerate(batch)})


def _seed_board(board: str, ids: list[str], rng: random.Random) -> None:
    """ZADD the members in batches of 10k (one command each: bigger ones near the 1 s timeout)."""
    from config.redis import redis_client
    from leaderboard.encoding import encode

    now = int(time.time())
    for first in range(0, len(ids), BATCH):
        batch = ids[first : first + BATCH]
        redis_client().zadd(board, {uid: encode(rng.randrange(100_000), now - rng.randrange(10**7)) for uid in batch})


def _p50_us(call, arguments: list) -> float:
    samples = []
    for arg in arguments:
        started = time.perf_counter()
        call(arg)
        samples.append(time.perf_counter() - started)
    return statistics.median(samples) * 1e6


def _timings(period: str, ids: list[str], rng: random.Random) -> dict[str, float]:
    from leaderboard import selectors

    picks = [rng.choice(ids) for _ in range(CALLS)]
    for uid in picks[:200]:  # warm: scripts loaded, pool connected
        selectors.leaderboard_around(user_id=uid, period=period)
        selectors.leaderboard_page(limit=10, period=period)
    return {
        "top 10 (leaderboard_page)": _p50_us(lambda _: selectors.leaderboard_page(limit=10, period=period), picks),
        "my rank (leaderboard_around)": _p50_us(
            lambda uid: selectors.leaderboard_around(user_id=uid, period=period), picks
        ),
        "rank of (leaderboard_rank_of)": _p50_us(
            lambda uid: selectors.leaderboard_rank_of(user_id=uid, period=period), picks
        ),
    }


def run(report: Report, *, quick: bool = False) -> None:
    """Time the reads on a 10k board and a 1M board (200k with --quick); memory per member.

    The 10k members sit on the day board and all of them on the all-time board, so the two
    sizes are timed alternately in the same minute, which keeps machine noise out of the ratio.
    """
    from config.redis import redis_client
    from leaderboard import keys

    client, small, large = redis_client(), 10_000, 200_000 if quick else 1_000_000
    rng = random.Random(8)
    ids = _ids(large)
    _seed_names(ids)
    before = client.info("memory")["used_memory"]
    _seed_board(keys.board("all"), ids, rng)
    delta = client.info("memory")["used_memory"] - before
    _seed_board(keys.board("day"), ids[:small], rng)
    best: dict[str, dict[str, float]] = {"day": {}, "all": {}}
    for _ in range(ROUNDS):
        for period, members in (("day", ids[:small]), ("all", ids)):
            for name, us in _timings(period, members, rng).items():
                best[period][name] = min(us, best[period].get(name, us))
    for name, small_us in best["day"].items():
        report.add(Figure(f"p50 {name} at {large:,} members", best["all"][name], "us", small_us,
                          ("<=", 1.2), baseline_label=f"{small:,} members"))
    usage = client.memory_usage(keys.board("all"), samples=0) or 0
    note = f"{large:,} members, 16-hex ids"
    report.add(Figure("memory per board member (MEMORY USAGE)", usage / large, "B", target=("<=", 130), note=note))
    report.add(Figure("memory per board member (INFO used_memory delta)", delta / large, "B",
                      target=("<=", 130), note=note))
