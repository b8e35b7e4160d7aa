"""Submissions under offered load: 200/s for 30 s from many users, through web + worker.

Open loop: request i is due at start + i/rate whatever happened to the others, and latency is
counted from that due time, so a slow server cannot hide its backlog (no coordinated omission).
Submit -> processed is timed from Redis keyspace notifications on the submission records (turned
on in the private Redis only), so measuring it adds no requests.
"""
from __future__ import annotations

import asyncio
import json
import statistics
import threading
import time
import urllib.request
from dataclasses import dataclass, field

from bench.common import ROOT, Server, app_env, load_average, seed_users
from bench.http_api import Setup, procfile_web
from bench.report import Figure, Report
from bench.roundtrips import ANSWERS, create_quiz
from config.dev.embedded_redis import free_port

RATE = 200
SECONDS = 30
DRAIN_SECONDS = 30
# A request still unanswered this long after its due time counts as an error; it also bounds
# the run's length when the server cannot keep up.
REQUEST_DEADLINE_SECONDS = 10


@dataclass
class Watch:
    """Times every write to a submission record, from Redis keyspace notifications.

    The scorer's write is a submission's last one, so "processed" is the time of its last
    write: no polling, no extra load. The statuses are checked once at the end.
    """

    due: dict[str, float] = field(default_factory=dict)
    last_write: dict[str, float] = field(default_factory=dict)
    stop: threading.Event = field(default_factory=threading.Event)
    ready: threading.Event = field(default_factory=threading.Event)

    def add(self, submission_id: str, due: float) -> None:
        self.due[submission_id] = due

    def listen(self) -> None:
        from config.redis.clients import redis_client
        from quizzes import keys

        client = redis_client()
        client.config_set("notify-keyspace-events", "Kh")  # keyspace events for hash writes
        prefix = f"__keyspace@{client.connection_pool.connection_kwargs.get('db', 0)}__:"
        pubsub = client.pubsub(ignore_subscribe_messages=True)
        pubsub.psubscribe(prefix + keys.submission("*"))
        self.ready.set()
        cut = len(prefix + keys.submission(""))
        while not self.stop.is_set():
            message = pubsub.get_message(timeout=0.2)
            if message is not None:
                self.last_write[message["channel"][cut:]] = time.perf_counter()
        pubsub.close()

    def settle(self, timeout: float) -> tuple[list[float], int, int]:
        """Wait for the accepted submissions to finish; return (ms to processed, failed, pending)."""
        from config.redis.clients import redis_client
        from quizzes import keys

        deadline = time.monotonic() + timeout
        ids = list(self.due)
        while True:
            pipe = redis_client().pipeline(transaction=False)
            for sid in ids:
                pipe.hget(keys.submission(sid), "status")
            statuses = dict(zip(ids, pipe.execute()))
            pending = [sid for sid, status in statuses.items() if status not in ("processed", "failed")]
            if not pending or time.monotonic() > deadline:
                break
            time.sleep(0.2)
        time.sleep(0.3)  # the last notifications are still on their way
        self.stop.set()
        done = [sid for sid in ids if sid not in pending and sid in self.last_write]
        latencies = [(self.last_write[sid] - self.due[sid]) * 1000 for sid in done]
        failed = sum(1 for status in statuses.values() if status == "failed")
        return latencies, failed, len(pending)


@dataclass
class Outcome:
    accepted_ms: list[float] = field(default_factory=list)
    errors: dict[str, int] = field(default_factory=dict)

    def error(self, kind: str) -> None:
        self.errors[kind] = self.errors.get(kind, 0) + 1


# Keep-alive connections the load generator spreads requests over. With httpx's AsyncClient and
# thousands of requests queued on its pool the generator itself fell behind (353-415 of 6,000
# accepted, the rest TimeoutError, 202 p99 up to 85 s); the same server answered all 2,000 of a
# 10 s run with this plain HTTP/1.1 client on asyncio streams (202 p99 214 ms).
CONNECTIONS = 64


class _Conn:
    """One keep-alive HTTP/1.1 connection: write a request, read status, headers and body."""

    def __init__(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        self.reader, self.writer = reader, writer

    @classmethod
    async def open(cls, host: str, port: int) -> "_Conn":
        return cls(*await asyncio.open_connection(host, port))

    async def send(self, raw: bytes) -> tuple[int, bytes]:
        self.writer.write(raw)
        status = int((await self.reader.readline()).split()[1])
        length = 0
        while (line := await self.reader.readline()) not in (b"\r\n", b""):
            name, _, value = line.partition(b":")
            if name.strip().lower() == b"content-length":
                length = int(value)
        return status, await self.reader.readexactly(length)

    def close(self) -> None:
        self.writer.close()


async def _submit(pool: asyncio.Queue, addr: tuple[str, int], raw: bytes, due: float,
                  outcome: Outcome, watch: Watch) -> None:
    await asyncio.sleep(max(0.0, due - time.perf_counter()))
    conn = None
    try:
        conn = await asyncio.wait_for(pool.get(), due + REQUEST_DEADLINE_SECONDS - time.perf_counter())
        status, body = await asyncio.wait_for(conn.send(raw), due + REQUEST_DEADLINE_SECONDS - time.perf_counter())
    except (OSError, ValueError, IndexError, asyncio.IncompleteReadError, asyncio.TimeoutError) as exc:
        outcome.error(type(exc).__name__)
        if conn is not None:  # its state is unknown: replace it
            conn.close()
            pool.put_nowait(await _Conn.open(*addr))
        return
    pool.put_nowait(conn)
    if status != 202:
        outcome.error(str(status))
        return
    outcome.accepted_ms.append((time.perf_counter() - due) * 1000)
    watch.add(json.loads(body)["id"], due)


def _request(host: str, port: int, path: str, token: str) -> bytes:
    body = json.dumps(ANSWERS).encode()
    head = (f"POST {path} HTTP/1.1\r\nHost: {host}:{port}\r\nAuthorization: Bearer {token}\r\n"
            f"Content-Type: application/json\r\nContent-Length: {len(body)}\r\n\r\n")
    return head.encode() + body


async def _offer(base_url: str, path: str, tokens: list[str], rate: int, seconds: int, watch: Watch) -> Outcome:
    host, port = base_url.removeprefix("http://").split(":")
    addr = (host, int(port))
    outcome = Outcome()
    pool: asyncio.Queue = asyncio.Queue()
    for _ in range(CONNECTIONS):
        pool.put_nowait(await _Conn.open(*addr))
    raws = [_request(host, int(port), path, token) for token in tokens]
    start = time.perf_counter() + 0.2
    await asyncio.gather(
        *(_submit(pool, addr, raws[i % len(raws)], start + i / rate, outcome, watch)
          for i in range(rate * seconds))
    )
    while not pool.empty():
        pool.get_nowait().close()
    return outcome


def _workers_seen(url: str) -> bool:
    with urllib.request.urlopen(url + "/api/v1/health", timeout=2) as resp:
        return json.loads(resp.read()).get("workers", 0) >= 1


def _p(values: list[float], q: float) -> float | None:
    if not values:
        return None
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(len(ordered) * q))]


def run(report: Report, redis_url: str, workers: int, *, quick: bool = False) -> None:
    """Offer RATE submissions/s for SECONDS (10 s with --quick) to the Procfile web + worker."""
    seconds = 10 if quick else SECONDS
    # Each user stays under the per-user limit (5 per rolling minute): 4 submissions at most.
    users = seed_users(RATE * seconds // 4 + 1, prefix="load")
    quiz_id = create_quiz(seed_users(1, prefix="loadadmin", role="admin")[0]["token"])
    web = procfile_web(Setup(redis_url, users[0], workers, seconds))
    worker = _procfile_worker(redis_url)
    with web, worker:
        deadline = time.monotonic() + 30
        while not _workers_seen(web.url):
            if time.monotonic() > deadline:
                raise RuntimeError("the worker did not register within 30 s")
            time.sleep(0.2)
        watch = Watch()
        listener = threading.Thread(target=watch.listen, daemon=True)
        listener.start()
        watch.ready.wait(5)
        path = f"/api/v1/quizzes/{quiz_id}/submissions"
        outcome = asyncio.run(_offer(web.url, path, [u["token"] for u in users], RATE, seconds, watch))
        processed_ms, failed, pending = watch.settle(DRAIN_SECONDS)
        listener.join()
    _report(report, outcome, processed_ms, failed, pending, seconds)


def _report(report: Report, outcome: Outcome, processed_ms: list[float], failed: int, pending: int, seconds: int) -> None:
    offered = RATE * seconds
    errors = sum(outcome.errors.values()) + failed + pending
    detail = ", ".join(f"{k}: {v}" for k, v in sorted(outcome.errors.items()))
    if failed or pending:
        detail = ", ".join(filter(None, [detail, f"failed jobs: {failed}", f"never processed: {pending}"]))
    label = f"{RATE}/s offered for {seconds} s"
    report.add(
        Figure(f"submissions accepted ({label})", len(outcome.accepted_ms), "", offered, (">=", 1.0),
               baseline_label="offered"),
        Figure("submission 202 p50", statistics.median(outcome.accepted_ms) if outcome.accepted_ms else None, "ms"),
        Figure("submission 202 p99", _p(outcome.accepted_ms, 0.99), "ms", target=("<=", 500)),
        Figure("submit -> processed p50", statistics.median(processed_ms) if processed_ms else None, "ms"),
        Figure("submit -> processed p99", _p(processed_ms, 0.99), "ms", target=("<=", 500),
               note="keyspace notifications"),
        Figure("submission errors", errors, "", target=("==", 0), note=detail or f"load {load_average()}"),
    )


def _procfile_worker(redis_url: str) -> Server:
    line = next(row for row in (ROOT / "Procfile").read_text().splitlines() if row.startswith("worker:"))
    # health=None: a worker serves no HTTP; readiness is read from the web's /health instead.
    return Server(name="procfile-worker", argv=["sh", "-c", line.partition(":")[2].strip()],
                  env=app_env(redis_url), port=free_port(), health=None)
