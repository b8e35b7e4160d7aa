"""Concurrency over real HTTP: parallel requests racing one limit on the Procfile's live web server."""
from __future__ import annotations

import threading
import urllib.error
import urllib.request

from tests.ratelimit.conftest import limiter_keys

PARALLEL = 50
TRIALS = 5


def _post(url: str, body: bytes) -> tuple[int, dict[str, str]]:
    """POST and return the status and the headers (names lower-cased: HTTP ignores case)."""
    request = urllib.request.Request(url, data=body, headers={"Content-Type": "application/json"})
    try:
        with urllib.request.urlopen(request, timeout=30) as resp:
            status, headers = resp.status, resp.headers
    except urllib.error.HTTPError as err:
        status, headers = err.code, err.headers
    return status, {name.lower(): value for name, value in headers.items()}


def _race(url: str) -> list[tuple[int, dict[str, str]]]:
    """Fire PARALLEL requests at once from threads; return (status, headers) of each."""
    # Well-formed but invalid credentials: each admitted call answers 400 without any
    # password hashing, so the trial measures the limiter, not PBKDF2.
    body = b'{"username": "racer", "password": "short"}'
    barrier = threading.Barrier(PARALLEL)
    answers: list[tuple[int, dict[str, str]]] = []
    lock = threading.Lock()

    def one() -> None:
        barrier.wait()
        answer = _post(url, body)
        with lock:
            answers.append(answer)

    threads = [threading.Thread(target=one) for _ in range(PARALLEL)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    return answers


def test_fifty_parallel_calls_from_one_address_admit_exactly_five(web_server_factory, redis):
    server = web_server_factory(RATELIMIT_AUTH_IP_RATE="5/m")
    for trial in range(TRIALS):
        for key in limiter_keys(redis):
            redis.delete(key)
        answers = _race(f"{server.url}/api/v1/auth/login")
        statuses = sorted(status for status, _ in answers)
        assert statuses == [400] * 5 + [429] * (PARALLEL - 5), f"trial {trial}: {statuses}"
        # Each admitted call saw its own count: the script ran them one at a time.
        remaining = sorted(h["ratelimit-remaining"] for status, h in answers if status == 400)
        assert remaining == ["0", "1", "2", "3", "4"], f"trial {trial}"
        assert all(int(h["retry-after"]) >= 1 for status, h in answers if status == 429)
        for key in limiter_keys(redis):
            assert redis.zcard(key) == 5 and 0 < redis.pttl(key) <= 60_000
