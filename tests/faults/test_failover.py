"""Sentinel failover under load: kill -9 the primary; no acknowledged submission is lost.

Real processes: a primary, one replica and three Sentinels (tests/faults/sentinel.py); the
Procfile's web server, a worker (the Procfile's class, with the fault tests' fast recovery
clocks), the outbox relay and the cron scheduler, every role on a Sentinel URL (the queue on
its own db, so score jobs go through the outbox and the relay). 20 users submit steadily and
WebSocket clients follow the leaderboard; then the primary is SIGKILLed and Sentinel promotes
the replica. Nothing of ours is restarted; the killed Redis is started again as a replica of
the new primary, as a supervisor would, since with REDIS_MIN_REPLICAS_ACK=1 a primary without
a replica accepts nothing.
"""
from __future__ import annotations

import json
import random
import subprocess
import sys
import threading
import time
import uuid
from collections import defaultdict

import pytest
import redis as redis_py
from websockets.exceptions import ConnectionClosed, InvalidStatus
from websockets.sync.client import connect

from leaderboard import keys as board_keys
from quizzes import keys as quiz_keys
from quizzes import services as quiz_services
from tests.faults.live import http, make_user
from tests.faults.processes import WorkerProcess, wait_until
from tests.faults.sentinel import SentinelGroup
from tests.processes import ROOT, WebServer, process_env
from tests.quizzes.conftest import quiz_body

USERS = 20
FOLLOWERS = 3
SUBMIT_EVERY = 0.25  # seconds between one user's submissions: 80 offered per second in all
BEFORE_KILL = 3.0  # seconds of load before the kill, and after the recovery
RECOVERY_LIMIT = 30.0  # the bound: health answers 200 again within 30 s of the kill
DRAIN_SECONDS = 150.0  # a job caught mid-run is retried once its RQ lease ends (SCORE_JOB_TIMEOUT_SECONDS + 10 s)


class Submitter(threading.Thread):
    """One user submitting steadily; a 503 or a dropped connection is retried with the same Idempotency-Key."""

    def __init__(self, url: str, user: dict, quizzes: list[dict], stop: threading.Event) -> None:
        super().__init__(daemon=True)
        self.url, self.user, self.quizzes, self.stop = url, user, quizzes, stop
        self.acknowledged: list[str] = []
        self.refused = 0  # 503 answers (each followed by a retry with the same key)
        self.rng = random.Random(user["id"])

    def run(self) -> None:
        while not self.stop.is_set():
            quiz = self.rng.choice(self.quizzes)
            answers = [self.rng.randrange(len(q["choices"])) for q in quiz_body()["questions"]]
            key = uuid.uuid4().hex
            while not self.stop.is_set():
                try:
                    answer = http(self.url, "POST", f"/api/v1/quizzes/{quiz['id']}/submissions",
                                  token=self.user["token"], body={"answers": answers},
                                  headers={"Idempotency-Key": key}, timeout=10)
                except OSError:
                    answer = None
                if answer is not None and answer.status == 202:
                    self.acknowledged.append(answer.body["id"])
                    break
                assert answer is None or answer.status == 503, answer
                self.refused += 1
                time.sleep(0.1)
            time.sleep(SUBMIT_EVERY)


class Follower(threading.Thread):
    """A /ws/leaderboard/ client that reconnects with last_event_id whenever its socket ends."""

    def __init__(self, web: WebServer, user: dict, stop: threading.Event) -> None:
        super().__init__(daemon=True)
        self.web, self.user, self.stop = web, user, stop
        self.first_event_id: str | None = None
        self.last_event_id: str | None = None
        self.received: set[str] = set()
        self.reconnects = 0

    def _ticket(self) -> str:
        while True:
            try:
                answer = http(self.web.url, "POST", "/api/v1/auth/ws-ticket", token=self.user["token"], timeout=5)
                if answer.status == 200:
                    return answer.body["ticket"]
            except OSError:
                pass
            time.sleep(0.2)

    def run(self) -> None:
        while not self.stop.is_set():
            query = f"ticket={self._ticket()}" + (f"&last_event_id={self.last_event_id}" if self.last_event_id else "")
            try:
                with connect(f"{self.web.ws_url}/ws/leaderboard/?{query}", open_timeout=10) as ws:
                    while not self.stop.is_set():
                        try:
                            message = json.loads(ws.recv(timeout=0.5))
                        except TimeoutError:
                            continue
                        event_id = message.get("event_id")
                        if message["type"] == "leaderboard.snapshot":
                            self.first_event_id = self.first_event_id or event_id
                        elif event_id:
                            self.received.add(event_id)
                        self.last_event_id = event_id or self.last_event_id
            except (ConnectionClosed, InvalidStatus, OSError):
                self.reconnects += 1
                time.sleep(0.2)


def _after(event_id: str, floor: str) -> bool:
    a, b = (tuple(int(x) for x in e.split("-")) for e in (event_id, floor))
    return a > b


@pytest.fixture
def sentinel_group():
    group = SentinelGroup().start()
    yield group
    group.stop()


@pytest.fixture
def app_processes():
    started: list = []

    def _start(env: dict[str, str]):
        web = WebServer(env).start(timeout=60)
        started.append(web)
        worker = WorkerProcess(queues=("scores",), env=env).start()
        started.append(worker)
        others = []
        for args in (["manage.py", "outbox_relay"], ["manage.py", "cron", "config.cron"]):
            log = (ROOT / ".data" / f"failover-{args[1]}-{uuid.uuid4().hex[:6]}.log").open("wb")
            proc = subprocess.Popen([sys.executable, *args], cwd=ROOT, env=process_env(**env),
                                    stdout=log, stderr=subprocess.STDOUT)
            others.append(proc)
        started.append(others)
        return web, worker, others

    yield _start
    for item in started:
        for proc in item if isinstance(item, list) else [item]:
            if isinstance(proc, subprocess.Popen):
                proc.kill()
                proc.wait(timeout=10)
            else:
                proc.stop()


@pytest.mark.parametrize("acks", [1, 0], ids=["min-replicas-ack-1", "min-replicas-ack-0"])
def test_failover_loses_no_acknowledged_submission(sentinel_group, app_processes, settings, acks):
    from tests.conftest import point_redis

    started = time.monotonic()
    group = sentinel_group
    env = {
        "REDIS_URL": group.url(0), "QUEUE_REDIS_URL": group.url(1), "CHANNELS_REDIS_URL": group.url(0),
        "CACHE_REDIS_URL": group.url(2), "REDIS_MIN_REPLICAS_ACK": str(acks),
        "RATELIMIT_SUBMISSIONS_RATE": "100000/60s", "SCORE_JOB_RETRY_INTERVALS": "1,1,1,2,2,2,5,5,5,10,10,10",
    }
    # This process writes the users and quizzes straight to the primary, then only reads.
    point_redis(settings, group.primary.url)
    users = [make_user(f"player{i}") for i in range(USERS)]
    quizzes = [quiz_services.quiz_create(**quiz_body(title=f"Quiz {i}")) for i in range(3)]
    web, worker, others = app_processes(env)

    stop_load, stop_follow = threading.Event(), threading.Event()
    followers = [Follower(web, users[i], stop_follow) for i in range(FOLLOWERS)]
    for follower in followers:
        follower.start()
    wait_until(lambda: all(f.first_event_id for f in followers), timeout=30, what="the followers' snapshots")
    submitters = [Submitter(web.url, user, quizzes, stop_load) for user in users]
    for submitter in submitters:
        submitter.start()
    time.sleep(BEFORE_KILL)  # load before the kill (a duration of load, not a wait for a state)

    dead = group.kill_primary()
    killed = time.monotonic()

    def healthy() -> bool:
        try:
            return http(web.url, "GET", "/api/v1/health", timeout=2).status == 200
        except OSError:
            return False

    wait_until(healthy, timeout=RECOVERY_LIMIT + 30, what="health 200 after the failover", poll=0.1)
    recovery = time.monotonic() - killed
    new_port = group.wait_promoted(dead, timeout=10)
    group.rejoin(dead)
    time.sleep(BEFORE_KILL)  # load after the recovery
    stop_load.set()
    for submitter in submitters:
        submitter.join(timeout=30)

    store = redis_py.Redis(port=new_port, decode_responses=True, socket_timeout=5)
    acknowledged = [(s.user, sid) for s in submitters for sid in s.acknowledged]

    def statuses() -> dict[str, str | None]:
        pipe = store.pipeline(transaction=False)
        for _, sid in acknowledged:
            pipe.hget(quiz_keys.submission(sid), "status")
        return dict(zip((sid for _, sid in acknowledged), pipe.execute()))

    # Every acknowledged submission that survived is scored (lost ones never will be).
    try:
        wait_until(lambda: all(st in (None, "processed") for st in statuses().values()), timeout=DRAIN_SECONDS,
                   what="every surviving acknowledged submission to be scored", poll=0.5)
    except AssertionError:
        queue = redis_py.Redis(port=new_port, db=1, decode_responses=True)
        counts = defaultdict(int)
        for st in statuses().values():
            counts[st] += 1
        print("statuses", dict(counts), "queued jobs", queue.llen("rq:queue:scores"),
              "queue keys", sorted(queue.keys("rq:*"))[:20],
              "outbox", store.xlen("qb:outbox"), store.xinfo_groups("qb:outbox") if store.exists("qb:outbox") else None,
              "worker", worker.alive(), worker.tail(1500))
        raise
    final = statuses()
    lost = sorted(sid for sid, st in final.items() if st is None)

    # Scores add up: total_score = sum of the best score per quiz over the user's processed
    # submissions = their board score (over the public API, from the new primary).
    double_scored = []
    for user in users:
        best: dict[str, int] = defaultdict(int)
        for sid in store.zrange(quiz_keys.quiz_submissions(quizzes[0]["id"]), 0, -1) + \
                store.zrange(quiz_keys.quiz_submissions(quizzes[1]["id"]), 0, -1) + \
                store.zrange(quiz_keys.quiz_submissions(quizzes[2]["id"]), 0, -1):
            row = store.hmget(quiz_keys.submission(sid), "user_id", "quiz_id", "status", "score")
            if row[0] == user["id"] and row[2] == "processed":
                best[row[1]] = max(best[row[1]], int(row[3]))
        profile = http(web.url, "GET", f"/api/v1/users/{user['id']}", token=user["token"]).body
        board = http(web.url, "GET", f"/api/v1/leaderboard/users/{user['id']}", token=user["token"]).body
        expected = sum(best.values())
        if profile["total_score"] != expected or board["score"] != expected:
            double_scored.append((user["username"], profile["total_score"], board["score"], expected))
        assert profile["quizzes_solved"] == len(best)

    # The followers reconnect with last_event_id and miss no event the Stream kept.
    kept = [event_id for event_id, _ in store.xrange(board_keys.events_stream())]

    def caught_up() -> bool:
        return all(set(e for e in kept if _after(e, f.first_event_id)) <= f.received for f in followers)

    wait_until(caught_up, timeout=30, what="every follower to have every kept event", poll=0.2)
    stop_follow.set()
    for follower in followers:
        follower.join(timeout=10)

    assert worker.alive() and all(p.poll() is None for p in others), "a process had to be restarted"
    refused = sum(s.refused for s in submitters)
    print(
        f"\nfailover (REDIS_MIN_REPLICAS_ACK={acks}): health 200 again {recovery:.2f} s after the kill; "
        f"submissions acknowledged {len(acknowledged)} / lost {len(lost)} / double-scored {len(double_scored)}; "
        f"503s retried {refused}; board events kept {len(kept)}, follower reconnects "
        f"{[f.reconnects for f in followers]}; test {time.monotonic() - started:.1f} s"
    )
    assert recovery <= RECOVERY_LIMIT
    assert not double_scored, double_scored
    if acks:
        assert not lost, f"{len(lost)} acknowledged submissions lost: {lost[:5]}"
