"""WebSocket fan-out: N sockets on one web process, one broadcast, delivery latency and CPU.

    .venv/bin/python -m bench.ws_fanout [--sizes 1000,2000] [--rounds 5] [--server hub,layer,hub,layer]

Runs on its own disposable redis-server and its own server process (bench.common). Sockets
are /ws/leaderboard/ connections opened with real tickets; a broadcast is a real
`score_events_publish` called by a separate sync process (bench/ws_publisher.py, as the RQ
worker calls it), which the server fans out to every socket. Latency is measured from just
before the publish call (CLOCK_MONOTONIC, shared by the processes) to the moment each socket's
frame arrives here (a lean frame reader takes over each socket after the websockets handshake,
so the client's own work stays small). CPU columns are the server's and this client's CPU time
per broadcast: unlike latency, load from other processes on the box does not inflate them
much, so they compare runs taken at different times. Target: 2,000 sockets, p99 <= 250 ms, and
the layer's server CPU per broadcast within 2x the hub's.

Servers (`--server`), each one process (WEB_CONCURRENCY=1):
- `hub`: the code before fan-out moved to the channel layer (a process-wide hand-written hub),
  commit HUB_COMMIT archived into a temporary directory, with its own Procfile web command;
  it is kept here only as the baseline and never ships.
- `stock-plain`: channels_redis' stock `RedisPubSubChannelLayer` (bench/settings_stock_layer.py)
  with a plain consumer (channels' own `__call__` and `dispatch`, bench/asgi_plain_consumer.py).
- `stock-layer`: the stock layer with today's consumers (their own relay loop and dispatch).
- `layer`: today's code as it ships (config/realtime/channel_layer.py), Procfile web command.
- `layer-ws-websockets`: the same with uvicorn's older `--ws websockets` implementation.
- `daphne`, `daphne-uvloop`: today's code on daphne (on a uvloop event loop for the second).
"""
from __future__ import annotations

import argparse
import asyncio
import importlib.util
import json
import os
import resource
import shlex
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from websockets.asyncio.client import connect

from bench.common import ROOT, PrivateRedis, Server, app_env, load_average, seed_users, setup_django
from config.dev.embedded_redis import free_port


HUB_COMMIT = "0201910b99474c466e45059a8cdc8110a5ac8300"
PUBLISHER = Path(__file__).resolve().parent / "ws_publisher.py"


def _daphne(port: int, tree: Path) -> list[str]:
    return ["-m", "daphne", "-b", "127.0.0.1", "-p", str(port), "--ping-interval", "20",
            "--ping-timeout", "30", "config.asgi:application"]


def _daphne_uvloop(port: int, tree: Path) -> list[str]:
    # daphne creates its event loop when daphne.server is imported, so uvloop must be installed
    # before that: a -c launcher instead of `-m daphne`.
    launch = "import uvloop; uvloop.install(); from daphne.cli import CommandLineInterface as C; C.entrypoint()"
    return ["-c", launch, *_daphne(port, tree)[2:]]


def _procfile(port: int, tree: Path) -> list[str]:
    """The Procfile's web command of `tree`, on a local port."""
    line = next(x for x in (tree / "Procfile").read_text().splitlines() if x.startswith("web:"))
    args = shlex.split(line[len("web:"):].replace("$PORT", str(port)).replace("${HOST:-0.0.0.0}", "127.0.0.1").replace("0.0.0.0", "127.0.0.1"))
    return ["-m", *args]


def _procfile_ws(implementation: str):
    def build(port: int, tree: Path) -> list[str]:
        args = _procfile(port, tree)
        args[args.index("--ws") + 1] = implementation
        return args

    return build


def _plain_consumer(port: int, tree: Path) -> list[str]:
    args = _procfile(port, tree)
    args[args.index("config.asgi:application")] = "bench.asgi_plain_consumer:application"
    return args


def _hub_tree(scratch: Path) -> Path:
    """The project at HUB_COMMIT, unpacked from git into `scratch` (the baseline row only)."""
    tree = scratch / "hub"
    if tree.exists():  # unpacked for an earlier row of this run
        return tree
    tree.mkdir()
    archive = subprocess.run(["git", "-C", str(ROOT), "archive", HUB_COMMIT], check=True, capture_output=True)
    subprocess.run(["tar", "-x", "-C", str(tree)], input=archive.stdout, check=True)
    return tree


# name -> (argv after the interpreter, modules it needs, settings module, tree: "hub" or current)
SERVERS = {
    "hub": (_procfile, [], "config.settings", "hub"),
    "stock-plain": (_plain_consumer, [], "bench.settings_stock_layer", "current"),
    "stock-layer": (_procfile, [], "bench.settings_stock_layer", "current"),
    "layer": (_procfile, [], "config.settings", "current"),
    "layer-ws-websockets": (_procfile_ws("websockets"), [], "config.settings", "current"),
    "daphne": (_daphne, ["daphne"], "config.settings", "current"),
    "daphne-uvloop": (_daphne_uvloop, ["daphne", "uvloop"], "config.settings", "current"),
}
CONNECT_CONCURRENCY = 50
DELIVERY_TIMEOUT = 20.0
BROADCAST = b'"type":"leaderboard.top10_changed"'


def _raise_fd_limit() -> None:
    # 2,000 client sockets here and 2,000 in the server (a child, it inherits the limit).
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    resource.setrlimit(resource.RLIMIT_NOFILE, (max(soft, min(hard, 65536)), hard))


def _rss_mib(pid: int) -> float:
    with open(f"/proc/{pid}/status") as status:
        for line in status:
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) / 1024
    return float("nan")


def _cpu_seconds(pid: int) -> float:
    """User + system CPU time of a process so far (a figure load on a shared box cannot inflate)."""
    with open(f"/proc/{pid}/stat") as stat:
        fields = stat.read().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def _percentile(samples: list[float], pct: float) -> float:
    ordered = sorted(samples)
    return ordered[min(len(ordered) - 1, max(0, round(pct / 100 * len(ordered)) - 1))]


class FrameReader(asyncio.Protocol):
    """Reads one socket's frames after the handshake: stamps broadcasts on arrival, answers pings.

    Hand-written on purpose: websockets spends about as much Python time per message as the
    server does, and on the same small box that time would be counted as delivery latency.
    Server frames are unmasked and these messages unfragmented, so a frame is a short header and
    a payload; the client's pong must be masked.
    """

    def __init__(self, fleet: "Fleet", transport: asyncio.Transport) -> None:
        self.fleet, self.transport, self.buffer = fleet, transport, bytearray()

    def data_received(self, data: bytes) -> None:
        now = time.monotonic()
        self.buffer += data
        while (frame := self._next_frame()) is not None:
            opcode, payload = frame
            if opcode == 0x9:  # ping
                mask = os.urandom(4)
                masked = bytes(b ^ mask[i % 4] for i, b in enumerate(payload))
                self.transport.write(bytes([0x8A, 0x80 | len(payload)]) + mask + masked)
            elif opcode == 0x1 and BROADCAST in payload:
                self.fleet.arrived(now)

    def _next_frame(self) -> tuple[int, bytes] | None:
        buf = self.buffer
        if len(buf) < 2:
            return None
        size, start = buf[1] & 0x7F, 2
        if size >= 126:
            start = 4 if size == 126 else 10
            if len(buf) < start:
                return None
            size = int.from_bytes(buf[2:start], "big")
        if len(buf) < start + size:
            return None
        opcode, payload = buf[0] & 0x0F, bytes(buf[start:start + size])
        del buf[:start + size]
        return opcode, payload

    def connection_lost(self, exc: Exception | None) -> None:
        self.fleet.lost += 1


class Fleet:
    """The client side: sockets, their frame readers, and the arrival times of the current round."""

    def __init__(self, ws_url: str, token: str) -> None:
        self.ws_url, self.token = ws_url, token
        self.transports: list[asyncio.Transport] = []
        self.connections: list = []
        self.arrivals: list[float] = []
        self.all_arrived = asyncio.Event()
        self.target = 0
        self.lost = 0

    async def grow(self, total: int) -> None:
        from accounts import services

        user = services.session_touch(token=self.token)
        gate = asyncio.Semaphore(CONNECT_CONCURRENCY)

        async def one() -> None:
            async with gate:
                ticket, _ = services.ws_ticket_create(user=user)
                # No permessage-deflate: the reader below reads plain frames.
                ws = await connect(f"{self.ws_url}/ws/leaderboard/?ticket={ticket}", open_timeout=30,
                                   ping_interval=None, compression=None)
                snapshot = json.loads(await ws.recv())
                assert snapshot["type"] == "leaderboard.snapshot", snapshot
                # websockets did the handshake; from here the lean reader owns the socket.
                ws.transport.set_protocol(FrameReader(self, ws.transport))
                self.transports.append(ws.transport)
                self.connections.append(ws)  # kept alive: collecting it would close the socket

        await asyncio.gather(*(one() for _ in range(total - len(self.transports))))

    def arrived(self, now: float) -> None:
        self.arrivals.append(now)
        if len(self.arrivals) >= self.target:
            self.all_arrived.set()

    async def broadcast(self, publisher: asyncio.subprocess.Process) -> list[float]:
        """Have the publisher announce one change; return each socket's delivery latency in ms."""
        assert not self.lost, f"{self.lost} sockets were closed by the server"
        self.arrivals, self.target = [], len(self.transports)
        self.all_arrived.clear()
        publisher.stdin.write(b"go\n")
        await publisher.stdin.drain()
        start = float(await publisher.stdout.readline())
        try:
            await asyncio.wait_for(self.all_arrived.wait(), DELIVERY_TIMEOUT)
        except TimeoutError:
            raise RuntimeError(f"{len(self.arrivals)} of {self.target} sockets got the broadcast "
                               f"within {DELIVERY_TIMEOUT:.0f} s ({self.lost} closed)") from None
        return [(t - start) * 1000 for t in self.arrivals]

    async def close(self) -> None:
        for transport in self.transports:
            transport.abort()


async def _measure(server: Server, user: dict, sizes: list[int], rounds: int) -> list[dict]:
    fleet = Fleet(server.url.replace("http://", "ws://"), user["token"])
    # The publisher runs the row's own code (its tree, its settings), as a worker would.
    publish = await asyncio.create_subprocess_exec(
        sys.executable, str(PUBLISHER), user["id"], user["username"], cwd=server.cwd, env=server.env,
        stdin=asyncio.subprocess.PIPE, stdout=asyncio.subprocess.PIPE,
    )
    rows = []
    try:
        for size in sizes:
            began = time.monotonic()
            await fleet.grow(size)
            connect_s = time.monotonic() - began
            await fleet.broadcast(publish)  # warm-up round, not counted
            latencies: list[float] = []
            server_cpu = client_cpu = 0.0
            for _ in range(rounds):
                await asyncio.sleep(0.3)  # let the previous round's stragglers settle
                before = _cpu_seconds(server.proc.pid), time.process_time()
                latencies += await fleet.broadcast(publish)
                server_cpu += _cpu_seconds(server.proc.pid) - before[0]
                client_cpu += time.process_time() - before[1]
            rows.append({
                "sockets": size, "deliveries": len(latencies),
                "p50_ms": statistics.median(latencies), "p99_ms": _percentile(latencies, 99),
                "max_ms": max(latencies), "rss_mib": _rss_mib(server.proc.pid), "connect_s": connect_s,
                "server_cpu_ms": server_cpu / rounds * 1000, "client_cpu_ms": client_cpu / rounds * 1000,
            })
            _print_row(rows[-1])
    finally:
        await fleet.close()
        publish.stdin.close()
        await publish.wait()
    return rows


def _print_row(row: dict) -> None:
    print(
        f"{row['sockets']:>7} {row['deliveries']:>10} {row['p50_ms']:>8.1f} {row['p99_ms']:>8.1f} "
        f"{row['max_ms']:>8.1f} {row['server_cpu_ms']:>10.0f} {row['client_cpu_ms']:>10.0f} "
        f"{row['rss_mib']:>9.1f} {row['connect_s']:>9.1f}",
        flush=True,
    )


def _run_server(name: str, redis_url: str, user: dict, sizes: list[int], rounds: int, scratch: Path) -> list[dict]:
    build, _, settings_module, which = SERVERS[name]
    tree = _hub_tree(scratch) if which == "hub" else ROOT
    port = free_port()
    argv = [sys.executable, *build(port, tree)]
    # One process: WEB_CONCURRENCY=1 keeps a multi-worker server to a single worker. Every socket
    # is one user's, so the per-user socket cap is off.
    env = app_env(redis_url, WEB_CONCURRENCY="1", DJANGO_SETTINGS_MODULE=settings_module, PYTHONPATH=str(tree),
                  WS_MAX_SOCKETS_PER_USER="0")
    with Server(name=f"ws-fanout-{name}", argv=argv, env=env, port=port, cwd=tree) as server:
        print(f"\n{name}: {' '.join(argv[1:])}" + (f" (commit {HUB_COMMIT[:7]})" if which == "hub" else ""))
        print(f"one process, idle RSS {_rss_mib(server.proc.pid):.1f} MiB, load average {load_average()}; "
              f"{rounds} broadcasts per size after a warm-up")
        print(f"{'sockets':>7} {'deliveries':>10} {'p50 ms':>8} {'p99 ms':>8} {'max ms':>8} "
              f"{'server CPU':>10} {'client CPU':>10} {'RSS MiB':>9} {'connect s':>9}")
        return asyncio.run(_measure(server, user, sizes, rounds))


def _run_row(name: str, redis_url: str, user: dict, sizes: list[int], rounds: int, scratch: Path) -> list[dict] | str:
    """Measure one server, or return why it could not be measured (the other rows still run)."""
    # Each row starts from empty boards and streams: the hub's tree writes its own (older) board
    # encoding, which today's code does not read.
    from config.redis.clients import redis_client
    from leaderboard import keys

    stale = list(redis_client().scan_iter(match=f"{keys.board('all').rsplit(':', 1)[0]}:*", count=1000))
    if stale:
        redis_client().delete(*stale)
    try:
        return _run_server(name, redis_url, user, sizes, rounds, scratch)
    except Exception as exc:  # a row that breaks down under load is a result too, not the end of the run
        print(f"{name}: failed: {type(exc).__name__}: {exc}", flush=True)
        return f"{type(exc).__name__}: {exc}"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", default="2000", help="socket counts, ascending")
    parser.add_argument("--rounds", type=int, default=5, help="measured broadcasts per size")
    parser.add_argument("--server", default="hub,stock-plain,stock-layer,layer,layer-ws-websockets",
                        help=f"comma-separated, from: {', '.join(SERVERS)}; a name may repeat (CPU and ms columns per run)")
    args = parser.parse_args(argv)
    sizes = sorted(int(s) for s in args.sizes.split(","))
    names = [n for n in args.server.split(",") if n]
    for name in names:
        if name not in SERVERS:
            parser.error(f"unknown server {name!r}")
        missing = [m for m in SERVERS[name][1] if importlib.util.find_spec(m) is None]
        if missing:
            parser.error(f"{name} needs {', '.join(missing)}, not installed here")
    _raise_fd_limit()
    redis = PrivateRedis().start()
    try:
        setup_django(redis.url)
        user = seed_users(1, prefix="fanout")[0]
        with tempfile.TemporaryDirectory(prefix="ws-fanout-") as scratch:
            # A list, not a dict: a name may come twice (hub,layer,hub,layer alternates under load).
            results = [(name, _run_row(name, redis.url, user, sizes, args.rounds, Path(scratch)))
                       for name in names]
    finally:
        redis.stop()
    print()
    first_hub = next((rows for name, rows in results if name == "hub" and not isinstance(rows, str)), None)
    hub = None
    for name, rows in results:
        if isinstance(rows, str):
            print(f"{name}: failed ({rows})")
            continue
        hub = rows if name == "hub" else (hub or first_hub)  # the nearest hub row before this one
        largest = rows[-1]
        verdict = "meets" if largest["sockets"] >= 2000 and largest["p99_ms"] <= 250 else "does not meet"
        ratio = ""
        if hub and name != "hub" and hub[-1]["sockets"] == largest["sockets"]:
            ratio = f", server CPU per broadcast {largest['server_cpu_ms'] / hub[-1]['server_cpu_ms']:.2f}x the hub's"
        print(f"{name}: target 2,000 sockets p99 <= 250 ms {verdict} "
              f"({largest['sockets']} sockets, p99 {largest['p99_ms']:.1f} ms, "
              f"server CPU {largest['server_cpu_ms']:.0f} ms per broadcast{ratio})")
    return 0


if __name__ == "__main__":
    sys.exit(main())
