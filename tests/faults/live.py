"""A live system for fault tests: the Procfile's web server and a hooked worker on a Redis the test may break.

Users and the quiz are written straight through the services (no password hashing on the
server side), then everything else goes over HTTP to the real process.
"""
from __future__ import annotations

import contextlib
import json
import time
import urllib.error
import urllib.request
from dataclasses import dataclass, field

from accounts import services as account_services
from config.redis.clients import redis_client
from quizzes import keys as quiz_keys
from quizzes import services as quiz_services
from tests.faults.processes import RestartableRedis, WorkerProcess, wait_until
from tests.quizzes.conftest import quiz_body

PROMPT = 2.0  # seconds: a 503 for a stalled Redis takes the 1 s socket timeout, plus CI slack
PAUSE_MS = 8000  # a CLIENT PAUSE outlasts the stalled probes; nothing can end CLIENT PAUSE ALL early


@dataclass
class Answer:
    status: int
    body: dict | list | None
    headers: dict[str, str]
    seconds: float


def http(base: str, method: str, path: str, *, token: str | None = None, body: object = None,
         headers: dict[str, str] | None = None, timeout: float = 30) -> Answer:
    """One HTTP call; never raises for an HTTP error status."""
    headers = {"Content-Type": "application/json", **(headers or {})}
    if token:
        headers["Authorization"] = f"Bearer {token}"
    data = json.dumps(body).encode() if body is not None else (None if method == "GET" else b"")
    request = urllib.request.Request(f"{base}{path}", data=data, method=method, headers=headers)
    started = time.monotonic()
    try:
        with urllib.request.urlopen(request, timeout=timeout) as resp:
            status, raw, got = resp.status, resp.read(), resp.headers
    except urllib.error.HTTPError as err:
        status, raw, got = err.code, err.read(), err.headers
    seconds = time.monotonic() - started
    parsed = json.loads(raw) if raw else None
    return Answer(status, parsed, {k.lower(): v for k, v in got.items()}, seconds)


@dataclass
class Live:
    """Who and what exists on the live system before the test starts breaking things."""

    url: str
    admin: dict
    alice: dict
    quiz: dict
    submission_id: str
    extra: dict = field(default_factory=dict)

    def call(self, method: str, path: str, *, as_user: dict | None = None, body: object = None,
             headers: dict[str, str] | None = None) -> Answer:
        return http(self.url, method, path, token=(as_user or self.alice)["token"], body=body, headers=headers)

    def submit(self, answers: list[int], *, as_user: dict | None = None) -> str:
        answer = self.call("POST", f"/api/v1/quizzes/{self.quiz['id']}/submissions",
                           as_user=as_user, body={"answers": answers})
        assert answer.status == 202, answer
        return answer.body["id"]


@dataclass
class System:
    """The processes of a live system and what it holds (see the `live_system` fixture)."""

    redis: RestartableRedis
    web: object  # tests.processes.DaphneServer
    worker: WorkerProcess
    live: Live


def processed(submission_id: str) -> bool:
    """Whether the submission has been scored (read from the Redis this process points at)."""
    return redis_client().hget(quiz_keys.submission(submission_id), "status") == "processed"


@contextlib.contextmanager
def outage(server: RestartableRedis, mode: str):
    """Take Redis away in one of three ways for the duration of the block."""
    if mode == "crashed":  # connection refused
        server.crash()
        yield
        server.restart()
    elif mode == "paused":  # connected, but no command is answered
        redis_client().execute_command("CLIENT", "PAUSE", PAUSE_MS, "ALL")
        yield
        wait_until(_answers, timeout=PAUSE_MS / 1000 + 10, what="the pause to end")
    elif mode == "frozen":  # the host stops answering at all (SIGSTOP)
        server.suspend()
        yield
        server.resume()
    else:
        raise ValueError(mode)


def _answers() -> bool:
    try:
        return bool(redis_client().ping())
    except Exception:
        return False


def make_user(username: str, *, role: str = "user") -> dict:
    """A user with a live session, made through the services (works against any Redis)."""
    user = account_services.user_create(username=username, password="correct-horse-1", role=role)
    return {**user, "token": account_services.session_create(user=user).token}


def populate(url: str) -> Live:
    """An admin, a player, a quiz and one queued submission on the Redis this process uses."""
    admin = make_user("admin", role="admin")
    alice = make_user("alice")
    quiz = quiz_services.quiz_create(**quiz_body())
    accepted = quiz_services.submission_create(user_id=alice["id"], quiz_id=quiz["id"], answers=[0, 0, 0])
    return Live(url=url, admin=admin, alice=alice, quiz=quiz, submission_id=accepted.id)
