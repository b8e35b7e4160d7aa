"""Closed-loop HTTP load: wrk when installed, else a small asyncio keep-alive client.

Both report requests/s and the p50/p99 latency of one request (a GET, or a POST with a JSON body)
replayed over N connections, so a run's figures and their baseline always come from the same
generator (the table says which).
"""
from __future__ import annotations

import asyncio
import json
import re
import shutil
import subprocess
import tempfile
import time
from dataclasses import dataclass
from urllib.parse import urlsplit

WRK = shutil.which("wrk")
GENERATOR = "wrk" if WRK else "asyncio"


@dataclass(frozen=True)
class LoadResult:
    tool: str
    requests: int
    seconds: float
    rps: float
    p50_ms: float
    p99_ms: float
    non_2xx: int
    errors: int


def http_load(
    url: str, *, headers: dict[str, str] | None = None, seconds: float = 8, connections: int = 32,
    body: dict | None = None, tokens: list[str] | None = None,
) -> LoadResult:
    """Load `url` for `seconds` over `connections` keep-alive connections: GETs, or POSTs of `body`
    as JSON; with `tokens`, each request carries the next one as its bearer token, in turn."""
    headers = dict(headers or {})
    raw = None
    if body is not None:
        raw = json.dumps(body).encode()
        headers["Content-Type"] = "application/json"
    if WRK:
        return _wrk(url, headers, seconds, connections, raw, tokens or [])
    return asyncio.run(_asyncio_load(url, headers, seconds, connections, raw, tokens or []))


# --- wrk ----------------------------------------------------------------------------------------

_UNITS = {"us": 0.001, "ms": 1.0, "s": 1000.0, "m": 60_000.0}


def _ms(text: str) -> float:
    number, unit = re.fullmatch(r"([\d.]+)(us|ms|s|m)", text).groups()
    return float(number) * _UNITS[unit]


def _wrk(
    url: str, headers: dict[str, str], seconds: float, connections: int, body: bytes | None, tokens: list[str]
) -> LoadResult:
    # One wrk thread: it is enough for tens of thousands of requests/s and leaves the second
    # core to the servers under test.
    argv = [WRK, "-t1", f"-c{connections}", f"-d{max(1, round(seconds))}s", "--latency", "--timeout", "5s"]
    for name, value in headers.items():
        argv += ["-H", f"{name}: {value}"]
    with tempfile.NamedTemporaryFile("w", suffix=".lua") as script:
        script.write(_wrk_script(body, tokens))  # wrk sends a body, or varies a header, only from a script
        script.flush()
        out = subprocess.run(argv + ["-s", script.name, url], capture_output=True, text=True, check=True).stdout
    return parse_wrk(out)


def _wrk_script(body: bytes | None, tokens: list[str]) -> str:
    lines = []
    if body is not None:
        lines += ['wrk.method = "POST"', f"wrk.body = {json.dumps(body.decode())}"]
    if tokens:
        lines += [
            "local tokens = {" + ", ".join(json.dumps(t) for t in tokens) + "}",
            "local i = 0",
            "request = function()",
            "  i = i % #tokens + 1",
            '  wrk.headers["Authorization"] = "Bearer " .. tokens[i]',
            "  return wrk.format()",
            "end",
        ]
    return "\n".join(lines) + "\n"


def parse_wrk(out: str) -> LoadResult:
    """Parse `wrk --latency` output."""
    pct = dict(re.findall(r"^\s+(50|99)%\s+(\S+)\s*$", out, re.M))
    total = re.search(r"(\d+) requests in ([\d.]+)(us|ms|s|m)", out)
    non_2xx = re.search(r"Non-2xx or 3xx responses: (\d+)", out)
    sock = re.search(r"Socket errors: connect (\d+), read (\d+), write (\d+), timeout (\d+)", out)
    return LoadResult(
        tool="wrk",
        requests=int(total.group(1)),
        seconds=_ms(total.group(2) + total.group(3)) / 1000,
        rps=float(re.search(r"Requests/sec:\s+([\d.]+)", out).group(1)),
        p50_ms=_ms(pct["50"]),
        p99_ms=_ms(pct["99"]),
        non_2xx=int(non_2xx.group(1)) if non_2xx else 0,
        # A server that closes idle keep-alive connections shows up as "read" errors; only
        # connect failures and timeouts are failed requests.
        errors=int(sock.group(1)) + int(sock.group(4)) if sock else 0,
    )


# --- asyncio fallback -----------------------------------------------------------------------------
# Hand-written rather than httpx: a general client spends more CPU per request than the server
# under test does, which would cap every figure at the client's speed. This one replays a fixed
# GET over raw keep-alive sockets and only parses the status line and the body length.


class _Tally:
    def __init__(self) -> None:
        self.latencies: list[float] = []
        self.non_2xx = 0
        self.errors = 0


async def _read_response(reader: asyncio.StreamReader) -> tuple[int, bool]:
    """Read one response; return (status, whether the server closes the connection)."""
    head = await reader.readuntil(b"\r\n\r\n")
    lines = head.split(b"\r\n")
    status = int(lines[0].split()[1])
    fields = {}
    for line in lines[1:]:
        name, _, value = line.partition(b":")
        fields[name.strip().lower()] = value.strip().lower()
    if b"chunked" in fields.get(b"transfer-encoding", b""):
        while size := int((await reader.readuntil(b"\r\n")).strip(), 16):
            await reader.readexactly(size + 2)
        await reader.readuntil(b"\r\n")
    elif b"content-length" in fields:
        await reader.readexactly(int(fields[b"content-length"]))
    else:
        await reader.read()
        return status, True
    return status, fields.get(b"connection") == b"close"


async def _connection(host: str, port: int, requests: list[bytes], stop_at: float, tally: _Tally) -> None:
    writer = None
    turn = 0
    while time.perf_counter() < stop_at:
        request = requests[turn % len(requests)]
        turn += 1
        if writer is None:
            try:
                reader, writer = await asyncio.open_connection(host, port)
            except OSError:
                tally.errors += 1
                await asyncio.sleep(0.01)
                continue
        started = time.perf_counter()
        try:
            writer.write(request)
            status, close = await _read_response(reader)
        except (OSError, asyncio.IncompleteReadError, asyncio.LimitOverrunError, ValueError):
            tally.errors += 1
            writer.close()
            writer = None
            continue
        tally.latencies.append(time.perf_counter() - started)
        tally.non_2xx += not 200 <= status < 400
        if close:
            writer.close()
            writer = None
    if writer is not None:
        writer.close()


async def _asyncio_load(
    url: str, headers: dict[str, str], seconds: float, connections: int, body: bytes | None, tokens: list[str]
) -> LoadResult:
    parts = urlsplit(url)
    path = parts.path + (f"?{parts.query}" if parts.query else "")
    lines = [f"{'GET' if body is None else 'POST'} {path} HTTP/1.1", f"Host: {parts.netloc}"]
    lines += [f"{name}: {value}" for name, value in headers.items()]
    if body is not None:
        lines.append(f"Content-Length: {len(body)}")
    variants = [[*lines, f"Authorization: Bearer {t}"] for t in tokens] or [lines]
    requests = [("\r\n".join(v) + "\r\n\r\n").encode() + (body or b"") for v in variants]
    tally = _Tally()
    started = time.perf_counter()
    stop_at = started + seconds
    await asyncio.gather(
        *(_connection(parts.hostname, parts.port, requests[i::connections] or requests, stop_at, tally)
          for i in range(connections))
    )
    elapsed = time.perf_counter() - started
    ordered = sorted(tally.latencies) or [0.0]
    return LoadResult(
        tool="asyncio",
        requests=len(tally.latencies),
        seconds=elapsed,
        rps=len(tally.latencies) / elapsed,
        p50_ms=ordered[len(ordered) // 2] * 1000,
        p99_ms=ordered[min(len(ordered) - 1, int(len(ordered) * 0.99))] * 1000,
        non_2xx=tally.non_2xx,
        errors=tally.errors,
    )
