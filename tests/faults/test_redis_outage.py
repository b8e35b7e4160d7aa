"""Redis crashed, paused or frozen under a live system: requests answer a quick JSON 503, health
says so, and web and worker recover by themselves (neither is restarted) when Redis is back.

A crashed Redis refuses connections, so every documented operation is called at once and each
answers 503 at once. A paused (CLIENT PAUSE) or frozen (SIGSTOP) Redis answers nothing: each
request waits out the client socket timeout (REDIS_SOCKET_TIMEOUT, 1 s) on one of the web
process's HTTP threads, so a sample is called one after another, and then as many at once as a
process has threads; PROMPT adds room for a busy CI machine.
"""
from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor

import pytest
from drf_spectacular.generators import SchemaGenerator

from tests.faults.live import PROMPT, Live, System, http, outage, processed
from tests.faults.processes import wait_until
from tests.quizzes.conftest import quiz_body

# The operations called one by one while Redis stalls: one of each kind of Redis use.
STALL_SAMPLE = [
    ("GET", "/api/v1/health"),
    ("GET", "/api/v1/me"),
    ("POST", "/api/v1/quizzes/{quiz_id}/submissions"),
    ("GET", "/api/v1/leaderboard"),
]
CONCURRENT_IN_A_STALL = 8  # config/asgi.py HTTP_THREADS: requests one web process runs at once
RECOVERY = 30  # seconds for the worker to reconnect (RQ backs off 1, 2, 4 ... s)

BODIES = {
    "/api/v1/auth/register": {"username": "carol", "password": "correct-horse-1"},
    "/api/v1/auth/login": {"username": "alice", "password": "correct-horse-1"},
    "/api/v1/quizzes": quiz_body(),
    "/api/v1/quizzes/{quiz_id}": quiz_body(),
    "/api/v1/quizzes/{quiz_id}/submissions": {"answers": [0, 1, 0]},
}


def operations() -> list[tuple[str, str]]:
    """Every (method, path) of the OpenAPI schema: each one must answer 503 when Redis is away."""
    paths = SchemaGenerator().get_schema(request=None, public=True)["paths"]
    return [(method.upper(), path) for path, ops in paths.items() for method in ops]


def _concrete(path: str, live: Live) -> str:
    # A group that does not exist: with Redis away, the membership check cannot even run.
    return path.format(quiz_id=live.quiz["id"], submission_id=live.submission_id, user_id=live.alice["id"],
                       group_id="0" * 16)


def _call(live: Live, method: str, path: str):
    body = BODIES.get(path) if method in ("POST", "PUT", "PATCH") else None
    return http(live.url, method, _concrete(path, live), token=live.admin["token"], body=body)


def probe(live: Live, ops: list[tuple[str, str]], *, concurrently: bool) -> dict[str, object]:
    """Call the operations (all at once, or one after another); return answers by "METHOD path"."""
    if concurrently:
        with ThreadPoolExecutor(max_workers=len(ops)) as pool:
            answers = list(pool.map(lambda op: _call(live, *op), ops))
    else:
        answers = [_call(live, *op) for op in ops]
    return {f"{m} {p}": a for (m, p), a in zip(ops, answers)}


def assert_prompt_503s(answers: dict) -> None:
    slow = {op: round(a.seconds, 2) for op, a in answers.items() if a.seconds >= PROMPT}
    assert not slow, f"answered later than {PROMPT} s: {slow}"
    for op, answer in answers.items():
        assert answer.status == 503, (op, answer)
        assert answer.body["error"]["code"] == "service_unavailable", op
        assert answer.headers.get("retry-after") == "1", op


def assert_recovered(system: System) -> None:
    """Health is ok again, data from before is intact, and the same processes work again."""
    live = system.live
    wait_until(lambda: http(live.url, "GET", "/api/v1/health").status == 200, timeout=10,
               what="health to say ok again")
    me = live.call("GET", "/api/v1/me").body
    assert (me["total_score"], me["quizzes_solved"]) == (15, 1)  # scored before the outage
    assert live.call("GET", f"/api/v1/submissions/{live.submission_id}").body["status"] == "processed"
    submission_id = live.submit([0, 1, 0])  # 35 points
    wait_until(lambda: processed(submission_id), timeout=RECOVERY, what="a score after the outage")
    assert live.call("GET", "/api/v1/me").body["total_score"] == 35
    assert system.web.proc.poll() is None and system.worker.alive()


def test_every_operation_answers_503_at_once_while_redis_refuses_connections(live_system):
    with outage(live_system.redis, "crashed"):
        answers = probe(live_system.live, operations(), concurrently=True)
    assert answers["GET /api/v1/health"].status == 503
    assert_prompt_503s(answers)
    assert_recovered(live_system)


@pytest.mark.parametrize("mode", ["paused", "frozen"])
def test_a_stalled_redis_turns_each_request_into_a_503_within_about_a_second(live_system, mode):
    with outage(live_system.redis, mode):
        answers = probe(live_system.live, STALL_SAMPLE, concurrently=False)
    assert_prompt_503s(answers)
    assert_recovered(live_system)


def test_concurrent_requests_during_a_stall_each_answer_within_about_a_second(live_system):
    """As many requests at once as a web process has HTTP threads (config/asgi.py, 8): each one
    holds its thread for the socket timeout, so more than that would queue behind them."""
    with outage(live_system.redis, "frozen"):
        answers = probe(live_system.live, operations()[:CONCURRENT_IN_A_STALL], concurrently=True)
    assert len(answers) == CONCURRENT_IN_A_STALL
    assert_prompt_503s(answers)
