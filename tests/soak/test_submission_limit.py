"""Soak: a hundred bursts of twenty simultaneous submissions by one user, over real HTTP to two
web processes sharing one Redis: each burst admits exactly five (RATELIMIT_SUBMISSIONS_RATE,
5 per rolling 60 s), records exactly five submissions and queues exactly five score jobs."""
from __future__ import annotations

import json
import threading
import urllib.error
import urllib.request
from concurrent.futures import ThreadPoolExecutor

from accounts import services as account_services
from quizzes import keys as quiz_keys
from quizzes import services as quiz_services
from ratelimit import keys as rl_keys
from tests.quizzes.conftest import RIGHT, quiz_body
from config.jobs import keys as rq_keys

TRIALS = 100
PARALLEL = 20
LIMIT = 5  # the default submission rate: 5 per rolling 60 s


def _post(url: str, token: str) -> tuple[int, dict[str, str], dict]:
    request = urllib.request.Request(
        url, data=json.dumps({"answers": RIGHT}).encode(), method="POST",
        headers={"Content-Type": "application/json", "Authorization": f"Bearer {token}"},
    )
    try:
        with urllib.request.urlopen(request, timeout=30) as resp:
            status, headers, raw = resp.status, resp.headers, resp.read()
    except urllib.error.HTTPError as err:
        status, headers, raw = err.code, err.headers, err.read()
    return status, {k.lower(): v for k, v in headers.items()}, json.loads(raw)


def _burst(pool: ThreadPoolExecutor, urls: list[str], token: str) -> list[tuple[int, dict, dict]]:
    """PARALLEL requests released together by a barrier, spread over the web processes."""
    barrier = threading.Barrier(PARALLEL)

    def one(i: int):
        barrier.wait()
        return _post(urls[i % len(urls)], token)

    return list(pool.map(one, range(PARALLEL)))


def test_a_hundred_bursts_of_twenty_admit_exactly_five_each(web_server_factory, redis):
    servers = [web_server_factory(), web_server_factory()]
    quiz = quiz_services.quiz_create(**quiz_body())
    urls = [f"{s.url}/api/v1/quizzes/{quiz['id']}/submissions" for s in servers]
    over_admitted = []
    with ThreadPoolExecutor(max_workers=PARALLEL) as pool:
        for trial in range(TRIALS):
            user = account_services.user_create(username=f"burst{trial}", password="correct-horse-1")
            token = account_services.session_create(user=user).token
            answers = _burst(pool, urls, token)
            statuses = sorted(status for status, _, _ in answers)
            if statuses.count(202) != LIMIT:
                over_admitted.append((trial, statuses))
                continue
            assert statuses == [202] * LIMIT + [429] * (PARALLEL - LIMIT), statuses
            assert all(int(h["retry-after"]) >= 1 for s, h, _ in answers if s == 429)
            assert all(b["error"]["code"] == "rate_limited" for s, _, b in answers if s == 429)
            assert redis.zcard(rl_keys.submissions(user["id"], "sliding")) == LIMIT
    assert over_admitted == []

    # What was admitted is exactly what was stored and queued: 5 per user, nothing else.
    submission_ids = redis.zrange(quiz_keys.quiz_submissions(quiz["id"]), 0, -1)
    assert len(submission_ids) == TRIALS * LIMIT
    assert redis.llen(rq_keys.rq_queue("scores")) == TRIALS * LIMIT
    pipe = redis.pipeline(transaction=False)
    for submission_id in submission_ids:
        pipe.hget(quiz_keys.submission(submission_id), "user_id")
    per_user: dict[str, int] = {}
    for user_id in pipe.execute():
        per_user[user_id] = per_user.get(user_id, 0) + 1
    assert sorted(set(per_user.values())) == [LIMIT] and len(per_user) == TRIALS
