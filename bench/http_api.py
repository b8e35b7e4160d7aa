"""HTTP figures: our read endpoints against the bare floor, req/s and p50/p99, in the same run.

The floor is the fastest way found to serve the bare baseline app (bench/baseline) with the same
process count: each candidate server is tried and the best one per endpoint is kept. Our app is
served by the Procfile's own `web` line, so the figure is what a deployment gets. Floor and app
are then measured alternately (best of N rounds each), which cancels most of the noise of a
shared machine. Each run also reads the server's CPU time, so every req/s figure has a twin,
requests per server CPU-second, that other programs on the machine barely move.
"""
from __future__ import annotations

import shlex
import time
import urllib.error
import urllib.request
from contextlib import ExitStack
from dataclasses import dataclass

from bench.common import ROOT, Server, app_env, load_average
from bench.http_load import LoadResult, http_load
from bench.report import Figure, Report, render
from bench.servers import available, processes, server
from config.dev.embedded_redis import free_port

ENDPOINTS = {
    "me": {
        "app": "/api/v1/me", "wsgi": "/bare/profile/{uid}", "asgi": "/bare-async/profile/{uid}",
        "raw": "/raw/profile/{uid}",
    },
    "leaderboard": {
        "app": "/api/v1/leaderboard?limit=10",
        "wsgi": "/bare/leaderboard",
        "asgi": "/bare-async/leaderboard",
        "raw": "/raw/leaderboard",
    },
}
# WSGI candidates serve the minimal DRF views, ASGI ones the async Django views.
FLOOR_CANDIDATES = {"gunicorn-sync": "wsgi", "granian-wsgi": "wsgi", "uvicorn": "asgi", "granian-asgi": "asgi"}
# The floor under every framework (bench/baseline/raw.py): a second reference, with no target.
RAW_FLOOR = "uvicorn-raw"
# Servers for our app (config.asgi: the fast reads, then Django through a2wsgi); gunicorn-sync
# serves config.wsgi (the full stack, no WebSockets); uvicorn+full-stack is config.asgi with
# FAST_READS=0; uvicorn+django-asgi is HTTP through Django's ASGI handler, as config.asgi did first.
APP_LINEUP = [
    "daphne", "uvicorn", "uvicorn-1-process", "granian-asgi", "gunicorn-uvicorn", "gunicorn-sync", "uvicorn+full-stack",
    "uvicorn+django-asgi", "uvicorn+2-threads",
]
LINEUP_SECONDS = 3


@dataclass
class Setup:
    redis_url: str
    user: dict
    workers: int
    seconds: float
    connections: int = 16

    @property
    def headers(self) -> dict[str, str]:
        return {"Authorization": f"Bearer {self.user['token']}"}


@dataclass
class Run:
    """One load run: the generator's result and the server CPU it cost."""

    result: LoadResult
    cpu_us: float  # server CPU (all its processes) per request, microseconds
    server: str = ""

    @property
    def per_cpu_second(self) -> float:
        return 1e6 / self.cpu_us if self.cpu_us else 0.0


def measure(srv: Server, url: str, setup: Setup, seconds: float) -> Run:
    """Warm up, then load `url` for `seconds`, reading the server's CPU time around it."""
    http_load(url, headers=setup.headers, seconds=1, connections=setup.connections)
    before = srv.cpu_seconds()
    res = http_load(url, headers=setup.headers, seconds=seconds, connections=setup.connections)
    cpu = srv.cpu_seconds() - before
    return Run(res, cpu * 1e6 / max(res.requests, 1), srv.name)


def _better(a: Run | None, b: Run) -> Run:
    """Best of rounds: the higher req/s, and the lowest CPU per request seen in any round."""
    if a is None:
        return b
    best = a if a.result.rps >= b.result.rps else b
    return Run(best.result, min(a.cpu_us, b.cpu_us), best.server)


def _answers_200(url: str, setup: Setup) -> bool:
    request = urllib.request.Request(url, headers=setup.headers)
    try:
        with urllib.request.urlopen(request, timeout=5) as resp:
            return resp.status == 200
    except (urllib.error.URLError, OSError):
        return False


def procfile_web(setup: Setup) -> Server:
    """The Procfile's `web` command, as a Procfile runner would start it."""
    return procfile_web_server(setup.redis_url, setup.workers)


def procfile_web_server(redis_url: str, workers: int, **env: str) -> Server:
    """The Procfile's `web` command on `redis_url` with `workers` processes; `env` overrides settings."""
    line = next(row for row in (ROOT / "Procfile").read_text().splitlines() if row.startswith("web:"))
    port = free_port()
    env = app_env(redis_url, PORT=str(port), WEB_CONCURRENCY=str(workers), **env)
    return Server(name="procfile-web", argv=["sh", "-c", line.partition(":")[2].strip()], env=env, port=port)


def procfile_label(setup: Setup) -> str:
    words = shlex.split(procfile_web(setup).argv[-1])
    name = words[2] if words[:2] == ["python", "-m"] else words[0]
    return f"{name.rsplit('/', 1)[-1]}, WEB_CONCURRENCY={setup.workers}"


def find_floor(setup: Setup, endpoints: list[str], probe_seconds: float) -> dict[str, Run]:
    """Serve the baseline with every available candidate; keep the fastest per endpoint."""
    best: dict[str, Run] = {}
    for name, shape in FLOOR_CANDIDATES.items():
        if not available(name):
            print(f"  floor candidate {name}: not installed", flush=True)
            continue
        with server(name, "baseline", setup.redis_url, setup.workers) as srv:
            for endpoint in endpoints:
                run = measure(srv, srv.url + ENDPOINTS[endpoint][shape].format(uid=setup.user["id"]), setup, probe_seconds)
                run.server = name
                print(f"  floor {endpoint:12} {name:14} {run.result.rps:8.0f} req/s  "
                      f"{run.cpu_us:6.0f} us CPU/req  p99 {run.result.p99_ms:.1f} ms", flush=True)
                if endpoint not in best or run.result.rps > best[endpoint].result.rps:
                    best[endpoint] = run
    return best


def head_to_head(setup: Setup, app_srv: Server, floor: dict[str, Run], rounds: int) -> dict[str, tuple[Run, Run, Run | None]]:
    """Alternate app, floor and no-framework floor runs per endpoint; keep each side's best round."""
    out = {}
    raw = available(RAW_FLOOR)
    for endpoint, probe in floor.items():
        shape = FLOOR_CANDIDATES[probe.server]
        with ExitStack() as stack:
            base_srv = stack.enter_context(server(probe.server, "baseline", setup.redis_url, setup.workers))
            raw_srv = stack.enter_context(server(RAW_FLOOR, "baseline", setup.redis_url, setup.workers)) if raw else None
            uid = setup.user["id"]
            sides = {"app": (app_srv, app_srv.url + ENDPOINTS[endpoint]["app"]),
                     "floor": (base_srv, base_srv.url + ENDPOINTS[endpoint][shape].format(uid=uid))}
            if raw_srv is not None:
                sides["raw"] = (raw_srv, raw_srv.url + ENDPOINTS[endpoint]["raw"].format(uid=uid))
            best: dict[str, Run | None] = dict.fromkeys(sides)
            for _ in range(rounds):
                for side, (srv, url) in sides.items():
                    best[side] = _better(best[side], measure(srv, url, setup, setup.seconds))
            best["floor"].server = probe.server
            if best.get("raw") is not None:
                best["raw"].server = RAW_FLOOR
            out[endpoint] = (best["app"], best["floor"], best.get("raw"))
    return out


def _figures(endpoint: str, app: Run, floor: Run, raw: Run | None, label: str) -> list[Figure]:
    path = ENDPOINTS[endpoint]["app"].split("?")[0]
    base = f"bare, {floor.server}"
    extra = []
    if raw is not None:
        extra = [
            Figure(f"GET {path} req/s vs no-framework floor", app.result.rps, "req/s", raw.result.rps,
                   baseline_label="raw ASGI, uvicorn", note="2 Redis round trips here (session + read), 1 there"),
            Figure(f"GET {path} req per server CPU-second vs no-framework floor", app.per_cpu_second, "req/s",
                   raw.per_cpu_second, baseline_label="raw ASGI, uvicorn",
                   note=f"{app.cpu_us:.0f} vs {raw.cpu_us:.0f} us CPU/req"),
        ]
    return [
        Figure(f"GET {path} req/s ({label})", app.result.rps, "req/s", floor.result.rps, (">=", 0.8),
               baseline_label=base),
        Figure(f"GET {path} req per server CPU-second", app.per_cpu_second, "req/s", floor.per_cpu_second,
               (">=", 0.8), baseline_label=base, note=f"{app.cpu_us:.0f} vs {floor.cpu_us:.0f} us CPU/req"),
        Figure(f"GET {path} p50", app.result.p50_ms, "ms", floor.result.p50_ms, baseline_label=base,
               note="lower is better"),
        Figure(f"GET {path} p99", app.result.p99_ms, "ms", floor.result.p99_ms, baseline_label=base,
               note="lower is better"),
        *extra,
    ]


def seed_board(*, users: list[dict]) -> None:
    """Put `users` on the all-time board with distinct scores (one script call)."""
    from leaderboard.services import board_put

    board_put(entries=[(u["id"], 10 * i) for i, u in enumerate(users)])


def run(report: Report, setup: Setup, *, lineup: bool, rounds: int = 2, probe_seconds: float = 2) -> None:
    """Measure the floor, our deployed server, and (with `lineup`) every candidate server."""
    started = time.monotonic()
    with procfile_web(setup) as app_srv:
        endpoints = [e for e in ENDPOINTS if _answers_200(app_srv.url + ENDPOINTS[e]["app"], setup)]
    missing = [e for e in ENDPOINTS if e not in endpoints]
    if missing:
        report.section("HTTP endpoints not measured", f"Not answering 200 yet: {', '.join(missing)}.")
    floor = find_floor(setup, endpoints, probe_seconds)
    label = f"Procfile web: {procfile_label(setup)}"
    with procfile_web(setup) as app_srv:
        results = head_to_head(setup, app_srv, floor, rounds)
    for endpoint, (app, best, raw) in results.items():
        report.add(*_figures(endpoint, app, best, raw, label))
    tool = next(iter(results.values()))[0].result.tool if results else "-"
    report.section(
        "HTTP method",
        f"Generator: {tool}, {setup.connections} connections; {setup.workers} server processes for our "
        f"app and for the floor; best of {rounds} alternating rounds of {setup.seconds:.0f} s per side. "
        f"The floor is the bare app (bench/baseline) on the fastest of {', '.join(FLOOR_CANDIDATES)} "
        f"(probes of {probe_seconds:.0f} s). The no-framework floor is bench/baseline/raw.py on uvicorn, "
        f"measured in the same alternation. Load average at the end: {load_average()}; "
        f"{time.monotonic() - started:.0f} s.",
    )
    if lineup:
        # One round: the lineup compares servers with each other, not with a target.
        report.section("ASGI/WSGI servers serving our app (same process count)", _lineup(setup, floor, endpoints, 1))


def _lineup(setup: Setup, floor: dict[str, Run], endpoints: list[str], rounds: int) -> str:
    """All lineup servers up at once, measured round-robin, so drift hits them alike."""
    names = [n for n in APP_LINEUP if available(n)]
    best: dict[tuple[str, str], Run] = {}
    with ExitStack() as stack:
        servers = {
            n: stack.enter_context(server(n, "app", setup.redis_url, setup.workers))
            for n in names
        }
        for _ in range(rounds):
            for name, srv in servers.items():
                for endpoint in endpoints:
                    key = (name, endpoint)
                    best[key] = _better(best.get(key), measure(srv, srv.url + ENDPOINTS[endpoint]["app"], setup, LINEUP_SECONDS))
    figures = []
    for (name, endpoint), got in best.items():
        workers = processes(name, setup.workers)
        path = ENDPOINTS[endpoint]["app"].split("?")[0]
        base = floor[endpoint]
        figures.append(Figure(f"{path} on {name} x{workers}", got.result.rps, "req/s", base.result.rps,
                              baseline_label=f"bare, {base.server}",
                              note=f"{got.cpu_us:.0f} us CPU/req (floor {base.cpu_us:.0f}), p99 {got.result.p99_ms:.0f} ms"))
        print(f"  lineup {endpoint:12} {name:16} {got.result.rps:8.0f} req/s {got.cpu_us:6.0f} us CPU/req", flush=True)
    return render(figures) + f"\n\nBest of {rounds} round-robin rounds of {LINEUP_SECONDS} s; load average {load_average()}."
