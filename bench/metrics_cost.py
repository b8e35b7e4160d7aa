"""What observability costs on the hot paths: metrics on vs off, and the request log on vs off.

The leaderboard read (answered on the event loop, config/http/fastpath.py) and the submission
accept (Django's full stack) are loaded on two Procfile web servers that differ in one setting
only, measured alternately (best of N rounds each, as bench/http_api.py does), so the ratio is
the setting's cost, not the machine's noise. Metrics: METRICS_ENABLED=1 (its own METRICS_DIR)
vs 0, request log on in both. Request log: LOG_REQUESTS=1 vs 0, metrics on in both. Rate limits
are off on both sides, so every submission is a new 202 (no worker: the queue only grows).
"""
from __future__ import annotations

import tempfile
from contextlib import ExitStack

from bench.common import seed_users
from bench.http_api import Run, _better, procfile_web_server
from bench.http_load import http_load
from bench.report import Figure, Report
from bench.roundtrips import ANSWERS, create_quiz

CONNECTIONS = 16
TARGETS = {"metrics": 0.97, "request log": 0.9}


def _measure(srv, path: str, tokens: list[str], seconds: float, post: bool) -> Run:
    """Warm up, then load one endpoint for `seconds`, reading the server's CPU around it."""
    kwargs = {"tokens": tokens, "connections": CONNECTIONS, "body": ANSWERS if post else None}
    http_load(srv.url + path, seconds=1, **kwargs)
    before = srv.cpu_seconds()
    result = http_load(srv.url + path, seconds=seconds, **kwargs)
    return Run(result, (srv.cpu_seconds() - before) * 1e6 / max(result.requests, 1), srv.name)


def compare(redis_url: str, workers: int, label: str, on: dict[str, str], off: dict[str, str], *,
            paths: dict[str, tuple[str, bool]], tokens: list[str], seconds: float, rounds: int) -> dict[str, tuple[Run, Run]]:
    """Best round of each side per endpoint, the two servers measured alternately."""
    with ExitStack() as stack:
        servers = {}
        for side, env in (("on", on), ("off", off)):
            srv = procfile_web_server(redis_url, workers, RATELIMIT_ENABLED="0", **env)
            srv.name = f"procfile-web-{label}-{side}"  # its own log file in .data/bench
            servers[side] = stack.enter_context(srv)
        out = {}
        for name, (path, post) in paths.items():
            best: dict[str, Run | None] = {"on": None, "off": None}
            for round_ in range(rounds):
                for side in ("on", "off") if round_ % 2 == 0 else ("off", "on"):  # neither side always first
                    best[side] = _better(best[side], _measure(servers[side], path, tokens, seconds, post))
            out[name] = (best["on"], best["off"])
            print(f"  {name:28} on {best['on'].result.rps:7.0f} req/s  off {best['off'].result.rps:7.0f} req/s  "
                  f"ratio {best['on'].result.rps / max(best['off'].result.rps, 1):.3f}", flush=True)
    return out


def run(report: Report, redis_url: str, workers: int, *, quick: bool = False) -> None:
    """Add the on/off ratios of metrics and of the request log for the two hot paths."""
    users = seed_users(200, prefix="obs")
    tokens = [u["token"] for u in users]
    quiz_id = create_quiz(seed_users(1, prefix="obsadmin", role="admin")[0]["token"])
    paths = {"leaderboard read": ("/api/v1/leaderboard?limit=10", False),
             "submission accept": (f"/api/v1/quizzes/{quiz_id}/submissions", True)}
    seconds, rounds = (3, 1) if quick else (5, 3)
    with tempfile.TemporaryDirectory(prefix="qb-bench-metrics-") as folder:
        metrics_on = {"METRICS_ENABLED": "1", "METRICS_DIR": folder, "LOG_REQUESTS": "1"}
        sides = {
            "metrics": (metrics_on, {"METRICS_ENABLED": "0", "LOG_REQUESTS": "1"}),
            "request log": (metrics_on, {**metrics_on, "LOG_REQUESTS": "0"}),
        }
        for what, (on, off) in sides.items():
            print(f"  -- {what} on vs off", flush=True)
            results = compare(redis_url, workers, what.replace(" ", "-"), on, off, paths=paths, tokens=tokens, seconds=seconds, rounds=rounds)
            for name, (with_it, without) in results.items():
                report.add(Figure(
                    f"{name}: {what} on vs off", round(with_it.result.rps), "req/s", round(without.result.rps),
                    (">=", TARGETS[what]), baseline_label=f"{what} off",
                    note=f"CPU/req {with_it.cpu_us:.0f} vs {without.cpu_us:.0f} us",
                ))
