"""`make bench`: start the system on a private Redis, run every benchmark, print one table.

    .venv/bin/python -m bench                 # everything (under 10 minutes on 2 cores)
    .venv/bin/python -m bench --only http     # some sections: http, servers, roundtrips, scale,
                                              # submissions, worker, ws, ratelimit, replicas,
                                              # archive, slowclients, observability, people, groups
    .venv/bin/python -m bench --quick         # shorter runs, for trying the harness

The table (figure, value, baseline, ratio, target) is written to bench/RESULTS.md as well.
"""
from __future__ import annotations

import argparse
import os
import sys
import time
import traceback

from bench import external
from bench.common import PrivateRedis, load_average, setup_django
from bench.http_load import GENERATOR
from bench.report import RESULTS, Report

SECTIONS = [
    "roundtrips", "http", "servers", "scale", "submissions", "worker", "ws", "ratelimit", "replicas", "archive",
    "slowclients",
    "observability",
    "people",
    "quizboards",
    "groups",
]
EXTERNAL = {
    "worker": "bench.worker_throughput",
    "ws": "bench.ws_fanout",
    "ratelimit": "bench.ratelimit_cost",
    "replicas": "bench.replicas_ack",
    "archive": "bench.archive",
    "slowclients": "bench.slow_clients",
    "people": "bench.people",
    "quizboards": "bench.quiz_boards",
    "groups": "bench.groups",
}


def _args(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog="python -m bench", description=__doc__.splitlines()[0])
    parser.add_argument("--only", help=f"comma-separated sections of: {', '.join(SECTIONS)} "
                        "(servers = the server lineup, part of http)")
    parser.add_argument("--skip", default="", help="comma-separated sections to leave out")
    parser.add_argument("--quick", action="store_true", help="shorter runs (figures get noisier)")
    parser.add_argument("--workers", type=int, default=int(os.environ.get("WEB_CONCURRENCY", os.cpu_count() or 2)),
                        help="server processes for our app and the baseline (default: WEB_CONCURRENCY or cores)")
    parser.add_argument("--no-write", action="store_true", help=f"do not rewrite {RESULTS.name}")
    return parser.parse_args(argv)


def _selected(args: argparse.Namespace) -> list[str]:
    chosen = args.only.split(",") if args.only else list(SECTIONS)
    unknown = set(chosen) - set(SECTIONS)
    if unknown:
        raise SystemExit(f"unknown sections: {', '.join(sorted(unknown))}")
    if "servers" in chosen and "http" not in chosen:
        chosen.append("http")  # the lineup is compared with the floor the http section measures
    return [s for s in SECTIONS if s in chosen and s not in args.skip.split(",")]


def _run_section(name: str, report: Report, redis: PrivateRedis, args: argparse.Namespace) -> None:
    from bench.common import flush_data

    # Each benchmark starts from the data it seeds; ASYNC, since freeing 1M members takes a while.
    flush_data(asynchronous=True)
    if name == "roundtrips":
        from bench import roundtrips

        roundtrips.run(report)
    elif name == "http":
        from bench import http_api
        from bench.common import seed_users

        users = seed_users(100 if args.quick else 1000, prefix="http")
        http_api.seed_board(users=users)
        setup = http_api.Setup(redis.url, users[len(users) // 2], args.workers, seconds=4 if args.quick else 6)
        http_api.run(report, setup, lineup="servers" in _selected(args), rounds=1 if args.quick else 2)
    elif name == "scale":
        from bench import leaderboard_scale

        leaderboard_scale.run(report, quick=args.quick)
    elif name == "submissions":
        from bench import submissions

        submissions.run(report, redis.url, args.workers, quick=args.quick)
    elif name == "observability":
        from bench import metrics_cost

        metrics_cost.run(report, redis.url, args.workers, quick=args.quick)
    else:
        external.run(report, EXTERNAL[name], quick=args.quick)


def main(argv: list[str] | None = None) -> int:
    args = _args(argv)
    sections = _selected(args)
    report = Report()
    print(f"load generator: {GENERATOR}; load average {load_average()}; sections: {', '.join(sections)}", flush=True)
    redis = PrivateRedis().start()
    failed = []
    try:
        setup_django(redis.url)
        for name in sections:
            if name == "servers":
                continue  # measured inside the http section, which starts the floor it compares to
            started = time.monotonic()
            print(f"\n== {name}", flush=True)
            try:
                _run_section(name, report, redis, args)
            except Exception as exc:  # one broken benchmark must not hide the others' figures
                failed.append(name)
                traceback.print_exc()
                report.section(f"{name}: failed", f"```\n{type(exc).__name__}: {exc}\n```")
            print(f"   ({time.monotonic() - started:.0f} s, load average {load_average()})", flush=True)
    finally:
        redis.stop()
    context = f"{os.cpu_count()} cores, load generator {GENERATOR}, load average at the end {load_average()}"
    print("\n" + report.table())
    for title, text in report.sections:
        print(f"\n## {title}\n{text}")
    if not args.no_write:
        print(f"\nwritten to {report.write(context)}")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
