"""End to end: a real daphne process, a real RQ worker (burst), real WebSocket clients.

submit -> events on both sockets; reconnect with last_event_id replays exactly what was missed;
equal scores rank by time; bogus and used tickets close with 4401; logout closes with 4401;
the Procfile's web process pings: a live socket stays, a silent one is reaped.
"""
from __future__ import annotations

import asyncio
import base64
import json
import os
import shlex
import socket
import subprocess
import sys
import time

import httpx
import pytest
from websockets.asyncio.client import connect
from websockets.exceptions import ConnectionClosed

from accounts import services as account_services
from leaderboard.events import score_events_publish
from tests.processes import ROOT, DaphneServer, process_env

TIMEOUT = 10
QUIZ = {
    "title": "Capitals",
    "questions": [
        {"text": "France?", "choices": ["Paris", "Lyon"], "answer": 0, "points": 10},
        {"text": "Italy?", "choices": ["Milan", "Rome"], "answer": 1, "points": 20},
    ],
}


def _worker_burst() -> None:
    """Run a real RQ worker until the score queue is empty."""
    cmd = [sys.executable, "manage.py", "rqworker", "--burst", "--worker-class", "config.jobs.worker.ResilientSimpleWorker", "scores"]
    done = subprocess.run(cmd, cwd=ROOT, env=process_env(), capture_output=True, timeout=60)
    assert done.returncode == 0, done.stderr.decode()[-2000:]


def _next_second() -> None:
    # Scores record the second they were reached; step into a new one so a tie is decided by time.
    time.sleep(1.02 - time.time() % 1)


async def _next(ws) -> dict:
    return json.loads(await asyncio.wait_for(ws.recv(), TIMEOUT))


async def _nothing(ws, seconds: float = 0.5) -> bool:
    try:
        await asyncio.wait_for(ws.recv(), seconds)
    except TimeoutError:
        return True
    return False


async def _close_code(ws) -> int:
    try:
        while True:
            await asyncio.wait_for(ws.recv(), TIMEOUT)
    except ConnectionClosed as closed:
        return closed.rcvd.code


class Client:
    """One user's HTTP calls to the daphne process."""

    def __init__(self, http: httpx.AsyncClient, token: str) -> None:
        self.http, self.headers = http, {"Authorization": f"Bearer {token}"}

    async def post(self, path: str, body: dict | None = None) -> httpx.Response:
        return await self.http.post(f"/api/v1/{path}", json=body, headers=self.headers)

    async def get(self, path: str) -> httpx.Response:
        return await self.http.get(f"/api/v1/{path}", headers=self.headers)

    async def ticket(self) -> str:
        return (await self.post("auth/ws-ticket")).json()["ticket"]

    async def submit(self, quiz_id: str, answers: list[int]) -> None:
        resp = await self.post(f"quizzes/{quiz_id}/submissions", {"answers": answers})
        assert resp.status_code == 202, resp.text


@pytest.fixture
def people(make_user):
    admin = make_user("admin")
    account_services.user_set_role(user_id=admin["id"], role="admin")
    return {"admin": admin, "alice": make_user("alice"), "bob": make_user("bob")}


def test_scores_reach_both_sockets_replay_ties_and_logout(run, daphne, people):
    async def scenario():
        async with httpx.AsyncClient(base_url=daphne.url, timeout=TIMEOUT) as http:
            admin, alice, bob = (Client(http, people[n]["token"]) for n in ("admin", "alice", "bob"))
            quiz = (await admin.post("quizzes", QUIZ)).json()["id"]
            board = await connect(f"{daphne.ws_url}/ws/leaderboard/?ticket={await alice.ticket()}")
            me = await connect(f"{daphne.ws_url}/ws/me/?ticket={await alice.ticket()}")
            assert (await _next(board))["type"] == "leaderboard.snapshot"
            assert (await _next(me))["type"] == "me.snapshot"

            await alice.submit(quiz, [0, 1])
            await asyncio.to_thread(_worker_burst)
            processed, entered = await _next(me), await _next(me)
            assert {k: processed[k] for k in ("type", "score", "total_score", "rank")} == {
                "type": "submission.processed", "score": 30, "total_score": 30, "rank": 1}
            assert entered["type"] == "leaderboard.entered_top10" and entered["rank"] == 1
            shared = [await _next(board), await _next(board)]
            assert [e["type"] for e in shared] == ["leaderboard.entered_top10", "leaderboard.top10_changed"]
            assert shared[1]["entries"] == [
                {"rank": 1, "user_id": people["alice"]["id"], "username": "alice", "score": 30}]
            last_seen = shared[1]["event_id"]
            await board.close()

            # While alice's board socket is away, bob ties her score a second later.
            await asyncio.to_thread(_next_second)
            await bob.submit(quiz, [0, 1])
            await asyncio.to_thread(_worker_burst)
            assert await _nothing(me)  # bob's personal events are not alice's
            board = await connect(f"{daphne.ws_url}/ws/leaderboard/?ticket={await alice.ticket()}"
                                  f"&last_event_id={last_seen}")
            missed = [await _next(board), await _next(board)]
            assert [(e["type"], e.get("username")) for e in missed] == [
                ("leaderboard.entered_top10", "bob"), ("leaderboard.top10_changed", None)]
            assert [(e["username"], e["score"]) for e in missed[1]["entries"]] == [("alice", 30), ("bob", 30)]
            assert await _nothing(board)  # exactly the missed events, then silence

            page = (await bob.get("leaderboard")).json()
            assert [(e["rank"], e["username"], e["score"]) for e in page["entries"]] == [
                (1, "alice", 30), (2, "bob", 30)]

            assert (await alice.post("auth/logout")).status_code == 204
            assert await _close_code(me) == 4401
            assert await _close_code(board) == 4401

    run(scenario)


def test_bogus_and_used_tickets_close_with_4401(run, daphne, people):
    async def scenario():
        async with httpx.AsyncClient(base_url=daphne.url, timeout=TIMEOUT) as http:
            alice = Client(http, people["alice"]["token"])
            bogus = await connect(f"{daphne.ws_url}/ws/me/?ticket=not-a-ticket")
            assert await _close_code(bogus) == 4401
            ticket = await alice.ticket()
            first = await connect(f"{daphne.ws_url}/ws/me/?ticket={ticket}")
            assert (await _next(first))["type"] == "me.snapshot"
            reused = await connect(f"{daphne.ws_url}/ws/me/?ticket={ticket}")
            assert await _close_code(reused) == 4401
            await first.close()

    run(scenario)


class ProcfileWeb(DaphneServer):
    """The Procfile's `web` command itself (whatever server it names), on a free local port, with
    its WebSocket heartbeat flags shortened from tens of seconds to one."""

    def start(self, timeout: float = 20.0) -> "ProcfileWeb":
        line = next(x for x in (ROOT / "Procfile").read_text().splitlines() if x.startswith("web:"))
        args = shlex.split(line[len("web:"):].replace("$PORT", str(self.port)).replace("${HOST:-0.0.0.0}", "127.0.0.1").replace("0.0.0.0", "127.0.0.1"))
        flags = [i for i, arg in enumerate(args) if "ping-interval" in arg or "ping-timeout" in arg]
        assert len(flags) == 2, f"the web process sets no WebSocket heartbeat: {line}"
        for i in flags:
            args[i + 1] = "1"
        self.log.parent.mkdir(exist_ok=True)
        self.proc = subprocess.Popen(
            [sys.executable, "-m", *args], cwd=ROOT, env={**self.env, "WEB_CONCURRENCY": "1"},
            stdout=self.log.open("wb"), stderr=subprocess.STDOUT,
        )
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            assert self.proc.poll() is None, self.log.read_text()[-2000:]
            try:
                httpx.get(f"{self.url}/api/v1/health", timeout=1)
                return self
            except httpx.TransportError:
                time.sleep(0.1)
        raise RuntimeError("the web process did not become healthy in time")


def _silent_peer(port: int, ticket: str) -> socket.socket:
    """Open a WebSocket by hand and then never read: its pings go unanswered, like a dead peer."""
    sock = socket.create_connection(("127.0.0.1", port), timeout=TIMEOUT)
    key = base64.b64encode(os.urandom(16)).decode()
    sock.sendall(
        f"GET /ws/leaderboard/?ticket={ticket} HTTP/1.1\r\nHost: 127.0.0.1\r\nUpgrade: websocket\r\n"
        f"Connection: Upgrade\r\nSec-WebSocket-Key: {key}\r\nSec-WebSocket-Version: 13\r\n\r\n".encode()
    )
    assert sock.recv(4096).startswith(b"HTTP/1.1 101")
    return sock


def _reaped(sock: socket.socket, within: float = 8.0) -> bool:
    """Read (never answering) until the server drops the connection; False if it never does."""
    deadline = time.monotonic() + within
    sock.settimeout(0.5)
    while time.monotonic() < deadline:
        try:
            if not sock.recv(65536):
                return True
        except ConnectionResetError:
            return True
        except TimeoutError:
            continue
    return False


def test_pings_keep_live_sockets_and_reap_dead_ones(run, people):
    server = ProcfileWeb(env={}).start()
    try:
        async def scenario():
            async with httpx.AsyncClient(base_url=server.url, timeout=TIMEOUT) as http:
                alice = Client(http, people["alice"]["token"])
                dead = _silent_peer(server.port, await alice.ticket())
                live = await connect(f"{server.ws_url}/ws/leaderboard/?ticket={await alice.ticket()}")
                await _next(live)
                # Pings every second, a second to answer: the silent peer is dropped within seconds.
                assert await asyncio.to_thread(_reaped, dead)
                dead.close()
                event = await asyncio.to_thread(
                    score_events_publish,
                    user_id=people["alice"]["id"], username="alice", submission_id="s", score=1,
                    total_score=1, rank_before=1, rank_after=1, top10_changed=True,
                )
                assert (await _next(live))["event_id"] == event["top10_changed"]
                await live.close()

        run(scenario)
    finally:
        server.stop()
