"""What WAIT costs a submission, and what the outbox costs: accepted submissions/s over HTTP, same run.

    .venv/bin/python -m bench.replicas_ack            # about 60 s
    .venv/bin/python -m bench.replicas_ack --quick

A private primary and one replica (127.0.0.1, no persistence); three Procfile web servers
(WEB_CONCURRENCY=1 each, so they load the machine alike) on the primary: REDIS_MIN_REPLICAS_ACK=0
(the baseline), REDIS_MIN_REPLICAS_ACK=1 (the accept script and WAIT in one pipeline), and
SUBMISSIONS_VIA_OUTBOX=1 (the accept script appends an outbox entry instead of writing the RQ
job). They are loaded in alternating rounds with the same POSTs from 600 users in turn, at a
rate limit no request reaches; the median round of each is reported (a shared
machine makes the best round a matter of luck).
"""
from __future__ import annotations

import statistics
import subprocess
import sys
import time

from bench.common import PrivateRedis, _redis_pings, _terminate, _wait_for, load_average, seed_users, setup_django
from bench.report import Figure
from config.dev.embedded_redis import redis_server_binary

UNREACHED_RATE = "1000000/60s"


class PrivateReplica(PrivateRedis):
    """A replica of `primary`, synced before start() returns."""

    def __init__(self, primary: PrivateRedis) -> None:
        super().__init__()
        self.primary = primary

    def start(self) -> "PrivateReplica":
        args = [
            redis_server_binary(), "--port", str(self.port), "--bind", "127.0.0.1", "--dir", str(self.dir),
            "--save", "", "--appendonly", "no", "--replicaof", "127.0.0.1", str(self.primary.port),
        ]
        self.proc = subprocess.Popen(args, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, start_new_session=True)
        _wait_for(lambda: _redis_pings(self.port), 10, "redis replica")
        return self

    def stop(self) -> None:
        _terminate(self.proc)


def run(quick: bool = False) -> list[Figure]:
    from bench.http_api import procfile_web_server
    from bench.http_load import http_load
    from bench.roundtrips import ANSWERS, create_quiz
    from config.redis.clients import redis_client

    rounds, seconds = (2, 3) if quick else (6, 4)
    started = time.perf_counter()
    primary = PrivateRedis().start()
    replica = None
    try:
        setup_django(primary.url)
        client = redis_client()
        client.config_set("repl-diskless-sync-delay", 0)
        replica = PrivateReplica(primary).start()

        def synced() -> bool:
            pipe = client.pipeline(transaction=False)
            pipe.set("bench:probe", "1", ex=5)
            pipe.execute_command("WAIT", 1, 200)
            return pipe.execute()[1] >= 1

        _wait_for(synced, 20, "the replica to sync")
        tokens = [u["token"] for u in seed_users(600, prefix="ackbench")]
        quiz_id = create_quiz(seed_users(1, prefix="ackadmin", role="admin")[0]["token"])
        path = f"/api/v1/quizzes/{quiz_id}/submissions"
        print(f"WAIT cost on 127.0.0.1 (primary + 1 replica); load average {load_average()}", flush=True)
        rates: dict[str, list[float]] = {}
        variants = {
            "ack 0": {"REDIS_MIN_REPLICAS_ACK": "0"},
            "ack 1": {"REDIS_MIN_REPLICAS_ACK": "1"},
            "outbox": {"REDIS_MIN_REPLICAS_ACK": "0", "SUBMISSIONS_VIA_OUTBOX": "1"},
        }
        servers = {name: procfile_web_server(primary.url, 1, RATELIMIT_SUBMISSIONS_RATE=UNREACHED_RATE, **env)
                   for name, env in variants.items()}
        try:
            for srv in servers.values():
                srv.start()
            for _ in range(rounds):
                for name, srv in servers.items():
                    res = http_load(srv.url + path, body=ANSWERS, tokens=tokens, seconds=seconds, connections=16)
                    if res.non_2xx or res.errors:
                        raise SystemExit(f"{name}: {res.non_2xx} non-2xx, {res.errors} errors; figures would be wrong")
                    print(f"  {name}: {res.rps:,.0f} accepted/s, p99 {res.p99_ms:.1f} ms", flush=True)
                    rates.setdefault(name, []).append(res.rps)
        finally:
            for srv in servers.values():
                srv.stop()
        lag = replica and client.info("replication").get("slave0", {})
    finally:
        if replica is not None:
            replica.stop()
        primary.stop()
    best = {name: statistics.median(values) for name, values in rates.items()}
    note = f"Procfile web x1 each, 600 users in turn; median of {rounds} alternating rounds of {seconds} s"
    print(f"(total {time.perf_counter() - started:.0f} s; replica at the end: {lag})", flush=True)
    return [
        Figure("submissions accepted/s, REDIS_MIN_REPLICAS_ACK=1 (WAIT 1 replica)", best["ack 1"], "req/s",
               baseline=best["ack 0"], baseline_label="REDIS_MIN_REPLICAS_ACK=0", note=note),
        Figure("submissions accepted/s through the outbox (no RQ job in the accept script)", best["outbox"], "req/s",
               baseline=best["ack 0"], baseline_label="RQ job in the accept script", note=note),
    ]


def main() -> None:
    for fig in run(quick="--quick" in sys.argv[1:]):
        print(f"{fig.name}: {fig.value:,.0f} vs {fig.baseline:,.0f} ({fig.baseline_label}): ratio {fig.ratio:.2f}")


if __name__ == "__main__":
    main()
