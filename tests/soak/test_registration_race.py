"""Soak: many clients register the same name at once (in any letter case): exactly one wins, the
others get 409, and exactly one account exists."""
from __future__ import annotations

import json
import threading
import urllib.error
import urllib.request
from concurrent.futures import ThreadPoolExecutor

from accounts import keys as account_keys
from accounts import services as account_services
from config.http.exceptions import Conflict

TRIALS = 50
PARALLEL = 20
HTTP_PARALLEL = 12  # over HTTP every attempt pays production password hashing (PBKDF2)


def _spellings(name: str, count: int) -> list[str]:
    """`count` letter-case variants of `name` (the same name to the API)."""
    return [
        "".join(c.upper() if (i >> j) & 1 else c for j, c in enumerate(name))
        for i in range(count)
    ]


def _accounts(redis) -> int:
    """How many user profiles exist."""
    return sum(1 for key in redis.scan_iter(match=account_keys.user_profile("*"), count=1000)
               if key.count(":") == 2)


def test_concurrent_registrations_of_one_name_have_one_winner(redis):
    barrier = threading.Barrier(PARALLEL)

    def register(username: str) -> str | None:
        barrier.wait()
        try:
            return account_services.user_create(username=username, password="correct-horse-1")["id"]
        except Conflict:
            return None

    with ThreadPoolExecutor(max_workers=PARALLEL) as pool:
        for trial in range(TRIALS):
            winners = [uid for uid in pool.map(register, _spellings(f"racer{trial:02d}x", PARALLEL)) if uid]
            assert len(winners) == 1, (trial, winners)
            assert redis.hget(account_keys.users_by_name(), f"racer{trial:02d}x") == winners[0]
    assert _accounts(redis) == TRIALS
    assert redis.hlen(account_keys.users_names()) == TRIALS


def _register(url: str, username: str, password: str) -> int:
    body = json.dumps({"username": username, "password": password}).encode()
    request = urllib.request.Request(url, data=body, headers={"Content-Type": "application/json"})
    try:
        with urllib.request.urlopen(request, timeout=60) as resp:
            return resp.status
    except urllib.error.HTTPError as err:
        return err.code


def test_concurrent_registrations_over_http_have_one_winner(web_server_factory, redis):
    servers = 2  # two web processes, one Redis
    urls = [f"{web_server_factory().url}/api/v1/auth/register" for _ in range(servers)]
    names = _spellings("samename", HTTP_PARALLEL)
    barrier = threading.Barrier(HTTP_PARALLEL)

    def register(i: int) -> int:
        barrier.wait()
        return _register(urls[i % servers], names[i], f"password-{i:02d}")

    with ThreadPoolExecutor(max_workers=HTTP_PARALLEL) as pool:
        statuses = sorted(pool.map(register, range(HTTP_PARALLEL)))
    assert statuses == [201] + [409] * (HTTP_PARALLEL - 1)
    assert _accounts(redis) == 1
    winner = redis.hget(account_keys.users_by_name(), "samename")
    assert redis.hget(account_keys.users_names(), winner) in names
