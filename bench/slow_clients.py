"""Slow clients against the Procfile's web server: a Django-path request's p99, unloaded and under attack.

    .venv/bin/python -m bench.slow_clients            # about 45 s
    .venv/bin/python -m bench.slow_clients --quick

The attack (issue 20): 50 connections trickle a request body one byte at a time, and 50 send
half a body and go silent, each reconnecting once answered, from a child process (so its work
does not slow the measuring client). Meanwhile one keep-alive client sends `GET /api/v1/quizzes`
(authenticated; it goes through Django on a WSGI thread) every 10 ms. The figure is that
request's p99 under attack over its p99 unloaded, measured in the same run; the target is 2x.
tests/faults/test_slow_clients.py runs the same attack with a generous bound.
"""
from __future__ import annotations

import asyncio
import http.client
import json
import subprocess
import sys
import time
from dataclasses import dataclass, field

from bench.report import Figure

TRICKLING, SILENT = 50, 50
DECLARED = 1000  # bytes the attackers declare; the silent ones send half
TRICKLE_INTERVAL = 0.2  # seconds between two bytes of a trickled body
PROBE_PATH = "/api/v1/quizzes"
PROBE_INTERVAL = 0.01  # seconds between two probe requests' due times
TARGET_RATIO = 2.0


@dataclass
class AttackSummary:
    """What the attackers were answered: statuses by kind, and how long after going silent."""

    statuses: dict[str, dict[str, int]] = field(default_factory=lambda: {"trickle": {}, "silent": {}})
    silent_waits: list[float] = field(default_factory=list)  # seconds from the last byte to the answer
    bodies: list[dict] = field(default_factory=list)  # a few of the answers' bodies
    errors: int = 0


# --- the attack (run in a child: `python -m bench.slow_clients attack PORT SECONDS`) -------------

def _head(port: int) -> bytes:
    return (f"POST /api/v1/auth/register HTTP/1.1\r\nHost: 127.0.0.1:{port}\r\n"
            f"Content-Type: application/json\r\nContent-Length: {DECLARED}\r\n\r\n").encode()


async def _answer(reader: asyncio.StreamReader) -> tuple[int, bytes]:
    head = await reader.readuntil(b"\r\n\r\n")
    status = int(head.split(b" ", 2)[1])
    length = next((int(line.split(b":", 1)[1]) for line in head.split(b"\r\n")
                   if line.lower().startswith(b"content-length:")), 0)
    return status, await reader.readexactly(length)


def _record(summary: AttackSummary, kind: str, status: int, body: bytes) -> None:
    counts = summary.statuses[kind]
    counts[str(status)] = counts.get(str(status), 0) + 1
    if len(summary.bodies) < 4:
        summary.bodies.append(json.loads(body) if body else {})


async def _trickler(port: int, stop_at: float, summary: AttackSummary) -> None:
    while time.monotonic() < stop_at:
        try:
            reader, writer = await asyncio.open_connection("127.0.0.1", port)
            writer.write(_head(port))
            sent, answer = 0, None
            while answer is None and time.monotonic() < stop_at and sent < DECLARED - 1:
                writer.write(b"{" if sent == 0 else b" ")
                sent += 1
                try:
                    answer = await asyncio.wait_for(_answer(reader), TRICKLE_INTERVAL)
                except asyncio.TimeoutError:
                    pass
            if answer is not None:
                _record(summary, "trickle", *answer)
            writer.close()
        except (OSError, asyncio.IncompleteReadError, ValueError):
            summary.errors += 1
            await asyncio.sleep(0.05)


async def _silent(port: int, stop_at: float, summary: AttackSummary) -> None:
    while time.monotonic() < stop_at:
        try:
            reader, writer = await asyncio.open_connection("127.0.0.1", port)
            writer.write(_head(port) + b'{"username": "' + b"a" * (DECLARED // 2 - 14))
            await writer.drain()
            silent_since = time.monotonic()
            try:
                answer = await asyncio.wait_for(_answer(reader), max(0.1, stop_at - time.monotonic()))
            except asyncio.TimeoutError:
                writer.close()
                break
            summary.silent_waits.append(time.monotonic() - silent_since)
            _record(summary, "silent", *answer)
            writer.close()
        except (OSError, asyncio.IncompleteReadError, ValueError):
            summary.errors += 1
            await asyncio.sleep(0.05)


async def _attack(port: int, seconds: float) -> AttackSummary:
    summary, stop_at = AttackSummary(), time.monotonic() + seconds
    await asyncio.gather(*(_trickler(port, stop_at, summary) for _ in range(TRICKLING)),
                         *(_silent(port, stop_at, summary) for _ in range(SILENT)))
    return summary


class Attack:
    """The attack in a child process for `seconds`; `result()` waits for its summary."""

    def __init__(self, port: int, seconds: float) -> None:
        self.proc = subprocess.Popen([sys.executable, "-m", "bench.slow_clients", "attack", str(port), str(seconds)],
                                     stdout=subprocess.PIPE, text=True)

    def result(self, timeout: float = 60) -> AttackSummary:
        out, _ = self.proc.communicate(timeout=timeout)
        return AttackSummary(**json.loads(out.strip().splitlines()[-1]))

    def stop(self) -> None:
        if self.proc.poll() is None:
            self.proc.kill()
            self.proc.wait(timeout=10)


# --- the measuring client -------------------------------------------------------------------------

def probe_latencies(port: int, token: str, count: int, interval: float = PROBE_INTERVAL) -> list[float]:
    """Seconds each of `count` `GET /api/v1/quizzes` took on one keep-alive connection, one every
    `interval` s, each timed from when it was due: a stall counts against every request it delays
    (as wrk2 does), not only against the one that was waiting."""
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=60)
    headers = {"Authorization": f"Bearer {token}", "Accept": "application/json"}
    latencies = []
    started = time.perf_counter()
    try:
        for i in range(count):
            due = started + i * interval
            time.sleep(max(0.0, due - time.perf_counter()))
            conn.request("GET", PROBE_PATH, headers=headers)
            resp = conn.getresponse()
            resp.read()
            latencies.append(time.perf_counter() - due)
            if resp.status != 200:
                raise RuntimeError(f"GET {PROBE_PATH} answered {resp.status}")
    finally:
        conn.close()
    return latencies


def p99(latencies: list[float]) -> float:
    ordered = sorted(latencies)
    return ordered[min(len(ordered) - 1, int(len(ordered) * 0.99))]


@dataclass
class Measured:
    unloaded_p99: float
    attacked_p99: float
    attacked_max: float
    summary: AttackSummary

    @property
    def ratio(self) -> float:
        return self.attacked_p99 / self.unloaded_p99

    def text(self) -> str:
        return (f"GET {PROBE_PATH} p99 unloaded {self.unloaded_p99 * 1000:.1f} ms, under {TRICKLING} trickling + "
                f"{SILENT} silent {self.attacked_p99 * 1000:.1f} ms (max {self.attacked_max * 1000:.1f} ms), "
                f"ratio {self.ratio:.2f}; attackers answered {self.summary.statuses}")


def measure(port: int, token: str, *, samples: int = 800, settle: float = 1.5) -> Measured:
    """The probe's p99 under the attack (started `settle` s before measuring), and unloaded
    (the mean of the p99s before and after the attack, so drift on a shared machine evens out)."""
    probe_latencies(port, token, 30)  # warm up: imports, connections, caches
    before = p99(probe_latencies(port, token, samples))
    seconds = settle + max(8.0, samples * PROBE_INTERVAL * 1.5 + 2)
    attack = Attack(port, seconds)
    try:
        time.sleep(settle)
        attacked = probe_latencies(port, token, samples)
        summary = attack.result(timeout=seconds + 30)
    finally:
        attack.stop()
    after = p99(probe_latencies(port, token, samples))
    return Measured((before + after) / 2, p99(attacked), max(attacked), summary)


def run(quick: bool = False) -> list[Figure]:
    """Start a private Redis and the Procfile's web server, measure, return the figure."""
    from bench.common import PrivateRedis, load_average, seed_users, setup_django
    from bench.http_api import procfile_web_server

    redis_server = PrivateRedis().start()
    try:
        setup_django(redis_server.url)
        token = seed_users(1, prefix="slow")[0]["token"]
        with procfile_web_server(redis_server.url, 1) as web:
            # 800 x 10 ms spans more than one BODY_TIMEOUT_SECONDS (5): the attackers' 408s and
            # reconnections, all at once, fall inside the measured window.
            measured = measure(web.port, token, samples=300 if quick else 800)
        print(measured.text(), f"; load average {load_average()}", flush=True)
    finally:
        redis_server.stop()
    return [Figure(
        f"slow clients: GET {PROBE_PATH} p99 under {TRICKLING} trickling + {SILENT} silent bodies",
        measured.attacked_p99 * 1000, "ms", baseline=measured.unloaded_p99 * 1000, baseline_label="unloaded",
        target=("<=", TARGET_RATIO), note="Procfile web x1; one keep-alive client, a request due every 10 ms",
    )]


if __name__ == "__main__":
    if sys.argv[1:2] == ["attack"]:
        result = asyncio.run(_attack(int(sys.argv[2]), float(sys.argv[3])))
        print(json.dumps(result.__dict__), flush=True)
    else:
        for figure in run(quick="--quick" in sys.argv):
            print(figure)
