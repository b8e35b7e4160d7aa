"""Draw docs/metrics-dashboard.png: the panels of docs/grafana-dashboard.json from real scrapes.

    .venv/bin/python -m bench.dashboard_render          # about two minutes; needs the dev extra (matplotlib)

Not Grafana (it is not installable here): a Procfile stack (two web processes, the score and
maintenance workers, the scheduler and the relay, the outbox on so the relay has work) runs on a
private Redis while a small load goes on: leaderboard reads, submissions (some over the rate
limit, some refused), WebSockets (some with a bad ticket, some closed by the client). The worker
is paused for a while, then the relay, so the queue and outbox panels have something to show.
`GET /metrics` is scraped every SCRAPE_SECONDS; each panel's queries are computed from those
scrapes in Python (rates and histogram quantiles over RATE_WINDOW, shorter than the dashboard's
1m/5m to fit the run) and drawn with the dashboard's panel titles.
"""
from __future__ import annotations

import json
import os
import random
import secrets
import signal
import sys
import tempfile
import threading
import time
from collections import defaultdict
from pathlib import Path

import httpx

from bench.common import ROOT, PrivateRedis, Server, app_env, seed_users, setup_django
from bench.http_api import procfile_web_server
from bench.roundtrips import ANSWERS, create_quiz
from config.dev.embedded_redis import free_port

SECONDS = 110
SCRAPE_SECONDS = 2.0
RATE_WINDOW = 10.0
PAUSES = {"worker": (30, 50), "relay": (65, 80)}  # seconds into the run: SIGSTOP, SIGCONT
OUT = ROOT / "docs" / "metrics-dashboard.png"


def procfile_process(name: str, redis_url: str, env: dict[str, str]) -> Server:
    line = next(row for row in (ROOT / "Procfile").read_text().splitlines() if row.startswith(f"{name}:"))
    return Server(name=f"dashboard-{name}", argv=["sh", "-c", line.partition(":")[2].strip()],
                  env=app_env(redis_url, **env), port=free_port(), health=None)


class Scrapes:
    """Every scrape: (seconds since start, {(name, labels): value})."""

    def __init__(self, url: str, token: str) -> None:
        self.url, self.token, self.rows, self.started = url, token, [], time.monotonic()

    def scrape(self) -> None:
        from prometheus_client.parser import text_string_to_metric_families

        text = httpx.get(f"{self.url}/metrics", headers={"Authorization": f"Bearer {self.token}"}, timeout=10).text
        samples = {(s.name, tuple(sorted(s.labels.items()))): s.value
                   for family in text_string_to_metric_families(text) for s in family.samples}
        self.rows.append((time.monotonic() - self.started, samples))

    def series(self, name: str, by: str | None = None, **match: str) -> dict[str, list[tuple[float, float]]]:
        """sum by (`by`) of `name`{match} at each scrape."""
        out: dict[str, list] = defaultdict(list)
        for t, samples in self.rows:
            sums: dict[str, float] = defaultdict(float)
            for (n, labels), v in samples.items():
                found = dict(labels)
                if n == name and all(_matches(found.get(k, ""), want) for k, want in match.items()):
                    sums[found.get(by, "") if by else ""] += v
            for key, v in sums.items():
                out[key].append((t, v))
        return out

    def rate(self, name: str, by: str | None = None, **match: str) -> dict[str, list[tuple[float, float]]]:
        """rate(...) over RATE_WINDOW of each series `series` gives."""
        return {key: _rate(points) for key, points in self.series(name, by, **match).items()}

    def quantile(self, q: float, name: str, by: str | None = None) -> dict[str, list[tuple[float, float]]]:
        """histogram_quantile(q, sum by (by, le) (rate(name_bucket[RATE_WINDOW])))."""
        buckets: dict[str, dict[float, list]] = defaultdict(dict)
        for t, samples in self.rows:
            for (n, labels), v in samples.items():
                found = dict(labels)
                if n == f"{name}_bucket":
                    key, le = found.get(by, "") if by else "", float(found["le"])
                    row = buckets[key].setdefault(le, {})
                    row[t] = row.get(t, 0.0) + v
        out = {}
        for key, by_le in buckets.items():
            rates = {le: dict(_rate(sorted(points.items()))) for le, points in by_le.items()}
            times = sorted(next(iter(rates.values())).keys()) if rates else []
            out[key] = [(t, v) for t in times if (v := _quantile(q, {le: r.get(t, 0.0) for le, r in rates.items()})) is not None]
        return out


def _matches(value: str, want: str) -> bool:
    return value.startswith(want[:-2]) if want.endswith("..") else value == want


def _rate(points: list[tuple[float, float]]) -> list[tuple[float, float]]:
    out = []
    for i, (t, v) in enumerate(points):
        earlier = [(t0, v0) for t0, v0 in points[:i] if t - t0 >= RATE_WINDOW - SCRAPE_SECONDS / 2]
        if earlier:
            t0, v0 = earlier[-1]
            out.append((t, max(0.0, v - v0) / (t - t0)))
    return out


def _quantile(q: float, cumulative: dict[float, float]) -> float | None:
    """Prometheus' histogram_quantile: linear within the bucket the rank falls in."""
    les = sorted(cumulative)
    total = cumulative[les[-1]]
    if total <= 0:
        return None
    rank, lower, below = q * total, 0.0, 0.0
    for le in les:
        if cumulative[le] >= rank:
            if le == float("inf"):
                return lower
            share = (rank - below) / max(cumulative[le] - below, 1e-12)
            return lower + (le - lower) * share
        lower, below = le, cumulative[le]
    return lower


def panels(s: Scrapes) -> list[dict[str, dict[str, list]]]:
    """Each dashboard panel's series, computed as its queries say, in the JSON's order."""
    queue = {"queue": "scores"}
    return [
        s.rate("http_requests_total", "route"),
        s.quantile(0.99, "http_request_duration_seconds", "route"),
        {"5xx": s.rate("http_requests_total", status="5..").get("", []),
         "429": s.rate("http_requests_total", status="429").get("", [])},
        {"accepted": s.rate("quizboard_submissions_accepted_total").get("", []),
         **{f"refused {k}": v for k, v in s.rate("quizboard_submissions_refused_total", "reason").items()}},
        {"jobs waiting": s.series("quizboard_queue_jobs", **queue).get("", []),
         "oldest job age (s)": s.series("quizboard_queue_oldest_job_age_seconds", **queue).get("", [])},
        {**{f"{k}/s": v for k, v in s.rate("quizboard_score_jobs_total", "outcome").items()},
         "p99 duration (s)": s.quantile(0.99, "quizboard_score_job_duration_seconds").get("", [])},
        {**{f"open {k}": v for k, v in s.series("quizboard_websocket_connections", "path").items()},
         **{f"closed {k}/s": v for k, v in s.rate("quizboard_websocket_closes_total", "code").items()}},
        {**{f"{k} entries": v for k, v in s.series("quizboard_outbox_lag_entries", "group").items()},
         **{f"{k} oldest (s)": v for k, v in s.series("quizboard_outbox_lag_seconds", "group").items()}},
        {**{f"429 {k}": v for k, v in s.rate("quizboard_ratelimit_rejections_total", "limiter").items()},
         **{f"redis errors {k}": v for k, v in s.rate("quizboard_redis_errors_total", "role").items()}},
    ]


def draw(s: Scrapes, path: Path = OUT) -> None:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    titles = [p["title"] for p in json.loads((ROOT / "docs" / "grafana-dashboard.json").read_text())["panels"]]
    fig, axes = plt.subplots(3, 3, figsize=(18, 11), facecolor="#111217")
    for ax, title, series in zip(axes.flat, titles, panels(s)):
        ax.set_facecolor("#181b1f")
        ax.set_title(title, color="#d8d9da", fontsize=11, loc="left")
        ax.tick_params(colors="#9fa1a4", labelsize=8)
        ax.grid(color="#2c3235", linewidth=0.6)
        for spine in ax.spines.values():
            spine.set_color("#2c3235")
        for label, points in sorted(series.items()):
            if points:
                ax.plot([t for t, _ in points], [v for _, v in points], label=label or "all", linewidth=1.4)
        if ax.lines:
            ax.legend(fontsize=7, facecolor="#181b1f", edgecolor="#2c3235", labelcolor="#d8d9da", loc="upper left")
        ax.set_xlabel("seconds into the run", color="#9fa1a4", fontsize=8)
    fig.suptitle(f"Quizboard: docs/grafana-dashboard.json's panels, drawn from {len(s.rows)} scrapes of GET /metrics "
                 f"(rates over {RATE_WINDOW:.0f} s; not rendered by Grafana)", color="#d8d9da", fontsize=12)
    fig.tight_layout(rect=(0, 0, 1, 0.96))
    fig.savefig(path, dpi=80, facecolor=fig.get_facecolor())


def load(url: str, quiz_id: str, users: list[dict], stop: threading.Event) -> None:
    """Reads, submissions (some refused), WebSockets; each kind at a steady small rate."""
    from websockets.sync.client import connect

    sockets = []
    with httpx.Client(base_url=url, timeout=10) as client:
        while not stop.is_set():
            user = random.choice(users)
            auth = {"Authorization": f"Bearer {user['token']}"}
            for _ in range(8):
                client.get("/api/v1/leaderboard?limit=10", headers=auth)
            client.get("/api/v1/me", headers=auth)
            client.post(f"/api/v1/quizzes/{quiz_id}/submissions", json=ANSWERS, headers=auth)
            if random.random() < 0.15:
                client.post(f"/api/v1/quizzes/{'0' * 16}/submissions", json=ANSWERS, headers=auth)
            if random.random() < 0.1:
                client.post(f"/api/v1/quizzes/{quiz_id}/submissions", json={"answers": "none"}, headers=auth)
            if random.random() < 0.08 and len(sockets) < 12:
                ticket = client.post("/api/v1/auth/ws-ticket", headers=auth).json()["ticket"]
                sockets.append(connect(f"{url.replace('http', 'ws', 1)}/ws/leaderboard/?ticket={ticket}"))
            if random.random() < 0.04:
                try:
                    with connect(f"{url.replace('http', 'ws', 1)}/ws/me/?ticket=not-a-ticket") as bad:
                        bad.recv(timeout=5)
                except Exception:  # noqa: BLE001 - closed with 4401, as intended
                    pass
            if sockets and random.random() < 0.03:
                sockets.pop(0).close()
            for sock in sockets:  # keep them read, so none falls behind
                try:
                    while True:
                        sock.recv(timeout=0)
                except Exception:  # noqa: BLE001 - nothing waiting
                    pass
            stop.wait(0.1)
    for sock in sockets:
        sock.close()


def main() -> int:
    folder, token = tempfile.mkdtemp(prefix="qb-dashboard-metrics-"), secrets.token_urlsafe(32)
    os.environ["METRICS_DIR"] = tempfile.mkdtemp(prefix="qb-dashboard-self-")  # this process's own
    env = {"METRICS_DIR": folder, "METRICS_TOKEN": token, "SUBMISSIONS_VIA_OUTBOX": "1"}
    redis = PrivateRedis().start()
    try:
        setup_django(redis.url)
        users = seed_users(60, prefix="dash")
        quiz_id = create_quiz(seed_users(1, prefix="dashadmin", role="admin")[0]["token"])
        web = procfile_web_server(redis.url, 2, **env)
        web.name = "dashboard-web"
        others = {name: procfile_process(name, redis.url, env) for name in ("worker", "maintenance", "scheduler", "relay")}
        with web, others["worker"], others["maintenance"], others["scheduler"], others["relay"]:
            scrapes, stop = Scrapes(web.url, token), threading.Event()
            threading.Thread(target=load, args=(web.url, quiz_id, users, stop), daemon=True).start()
            started, state = time.monotonic(), dict.fromkeys(PAUSES, "running")
            while (elapsed := time.monotonic() - started) < SECONDS:
                for name, (pause, resume) in PAUSES.items():
                    if state[name] == "running" and pause <= elapsed < resume:
                        os.killpg(others[name].proc.pid, signal.SIGSTOP)
                        state[name] = "paused"
                    elif state[name] == "paused" and elapsed >= resume:
                        os.killpg(others[name].proc.pid, signal.SIGCONT)
                        state[name] = "resumed"
                scrapes.scrape()
                time.sleep(SCRAPE_SECONDS)
            stop.set()
            for name in PAUSES:
                os.killpg(others[name].proc.pid, signal.SIGCONT)
    finally:
        redis.stop()
    draw(scrapes)
    print(f"{len(scrapes.rows)} scrapes drawn to {OUT}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
