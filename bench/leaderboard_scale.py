"""Leaderboard scale: read latency at 10k and 1M members, and memory per member.

Members are seeded into the all-time board as scoring writes them (`board_entries_put`, 10k per
script call; their names into the names hash the reads join), then the leaderboard's own selectors are timed in-process:
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
SEED_BATCH = 2_000
CALLS = 2_000
ROUNDS = 2


def _ids(count: int) -> list[str]:
    return [secrets.token_hex(8) for _ in range(count)]


def _seed_names(ids: list[str]) -> None:
    """Names for the reads to join, and a profile per user as registration writes it."""
    from accounts import keys as account_keys
    from config.redis.clients import redis_client

    client = redis_client()
    for first in range(0, len(ids), BATCH):
        batch = ids[first : first + BATCH]
        client.hset(account_keys.users_names(), mapping={uid: f"user{first + i}" for i, uid in enumerate(batch)})
        pipe = client.pipeline(transaction=False)
        for i, uid in enumerate(batch):
            pipe.hset(account_keys.user_profile(uid), mapping={
                "id": uid, "username": f"user{first + i}", "total_score": 0, "quizzes_solved": 0,
                "created_at": "2026-12-01T00:00:00Z", "role": "user",
            })
        pipe.execute()


def _profile_bytes(client, ids: list[str]) -> int:
    """MEMORY USAGE summed over the profiles of `ids` (a sample)."""
    from accounts import keys as account_keys

    pipe = client.pipeline(transaction=False)
    for uid in ids:
        pipe.memory_usage(account_keys.user_profile(uid), samples=0)
    return sum(n or 0 for n in pipe.execute())


def _seed_board(board: str, ids: list[str], rng: random.Random) -> None:
    """Put the members on the board as scoring does, 2k per script call (10k neared the 1 s timeout)."""
    from leaderboard.services import board_entries_put

    for first in range(0, len(ids), SEED_BATCH):
        batch = ids[first : first + SEED_BATCH]
        board_entries_put(board=board, entries=[(uid, rng.randrange(100_000)) for uid in batch])


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
    from config.redis.clients import redis_client
    from leaderboard import keys

    client, small, large = redis_client(), 10_000, 200_000 if quick else 1_000_000
    rng = random.Random(8)
    ids = _ids(large)
    _seed_names(ids)
    sample = ids[:: max(1, large // 1000)]
    profiles_before = _profile_bytes(client, sample)
    before = client.info("memory")["used_memory"]
    _seed_board(keys.board("all"), ids, rng)
    delta = client.info("memory")["used_memory"] - before
    # The global board keeps each user's tie in the profile hash (leaderboard.keys.board_tie_ref).
    tie_bytes = (_profile_bytes(client, sample) - profiles_before) / len(sample)
    _seed_board(keys.board("day"), ids[:small], rng)
    best: dict[str, dict[str, float]] = {"day": {}, "all": {}}
    for _ in range(ROUNDS):
        for period, members in (("day", ids[:small]), ("all", ids)):
            for name, us in _timings(period, members, rng).items():
                best[period][name] = min(us, best[period].get(name, us))
    for name, small_us in best["day"].items():
        report.add(Figure(f"p50 {name} at {large:,} members", best["all"][name], "us", small_us,
                          ("<=", 1.2), baseline_label=f"{small:,} members"))
    # A member costs its board entry and its tie's field in the profile (leaderboard/encoding.py).
    usage = _memory_usage(keys.board("all")) + tie_bytes * large
    note = f"{large:,} members, 16-hex ids, board + tie in the profile ({tie_bytes:.0f} B)"
    report.add(Figure("memory per board member (MEMORY USAGE)", usage / large, "B", target=("<=", 130), note=note))
    report.add(Figure("memory per board member (INFO used_memory delta)", delta / large, "B",
                      target=("<=", 130), note=note))
    legacy = _legacy_usage(client, ids, rng)
    report.add(Figure("memory per board member vs the legacy encoding (uid members, no tie)", usage / large, "B",
                      legacy / large, baseline_label="legacy zset, same ids (MEMORY USAGE)"))


def _memory_usage(key: str) -> int:
    """MEMORY USAGE of every element of `key`, on a client that waits as long as that takes."""
    import redis
    from django.conf import settings

    # Its own client: a full walk of 1M members can outlast the app's 1 s socket timeout.
    with redis.Redis.from_url(settings.REDIS_URL, socket_timeout=60) as slow:
        return slow.memory_usage(key, samples=0) or 0


def _legacy_usage(client, ids: list[str], rng: random.Random) -> int:
    """Bytes of a zset holding the same ids as the legacy encoding did (member uid, one double)."""
    key = "bench:legacy-board"  # a bench-only key, deleted at once
    for first in range(0, len(ids), BATCH):
        client.zadd(key, {uid: float(rng.randrange(2**52)) for uid in ids[first : first + BATCH]})
    usage = _memory_usage(key)
    client.unlink(key)  # freed in the background: a 1M-member DEL outlasts the socket timeout
    return usage
