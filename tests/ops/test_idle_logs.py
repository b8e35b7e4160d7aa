"""An idle system writes no routine line at INFO: the Procfile's worker, maintenance worker and scheduler.

The reconciler runs every 2 s here instead of 15 (SCORE_RECONCILE_EVERY_SECONDS), so a short idle
window holds several of its runs and a registry-cleaning pass of each worker (every 10 s), seen
through keyspace notifications on RQ's cleaning lock (this test's own Redis).
"""
from __future__ import annotations

import json
import time

import pytest

from config.jobs import keys as rq_keys
from config.redis.clients import redis_client
from tests.faults.processes import wait_until
from tests.faults.stack import ProcfileProcess

RECONCILE_EVERY = 2
IDLE_RUNS = 4  # reconciler runs the window must hold


def _records(text: str) -> list[dict]:
    records = []
    for line in text.splitlines():
        try:
            records.append(json.loads(line))
        except ValueError:
            continue  # the management commands' own stdout lines (the scheduler's start)
    return records


class CleaningPasses:
    """Counts RQ's registry-cleaning passes per queue: each takes the lock `rq:clean_registries:<queue>`."""

    def __init__(self, client) -> None:
        client.config_set("notify-keyspace-events", "K$")
        self.pubsub = client.pubsub(ignore_subscribe_messages=True)
        self.pubsub.psubscribe("__keyspace@*__:rq:clean_registries:*")
        self.seen: dict[str, int] = {}

    def poll(self) -> dict[str, int]:
        while message := self.pubsub.get_message(timeout=0.05):
            if message["data"] == "set":
                queue = message["channel"].rsplit(":", 1)[1]
                self.seen[queue] = self.seen.get(queue, 0) + 1
        return self.seen

    def close(self, client) -> None:
        self.pubsub.close()
        client.config_set("notify-keyspace-events", "")


@pytest.mark.timeout(120)
def test_an_idle_worker_maintenance_worker_and_scheduler_log_nothing_routine():
    env = {"SCORE_RECONCILE_EVERY_SECONDS": str(RECONCILE_EVERY), "LOG_FORMAT": "json"}
    processes = [ProcfileProcess(name, env).start() for name in ("worker", "maintenance", "scheduler")]
    client = redis_client()
    try:
        wait_until(lambda: client.scard("rq:workers:scores") and client.scard("rq:workers:maintenance")
                   and client.zcard("rq:cron_schedulers"), timeout=60, what="the processes to register")
        finished = rq_keys.rq_finished("maintenance")
        wait_until(lambda: client.zcard(finished) >= 1, timeout=30, what="a first reconciler run")
        time.sleep(0.5)  # the run's last lines are written just after RQ records it finished
        offsets = [len(p.tail(10**9)) for p in processes]
        passes = CleaningPasses(client)
        started = client.zcard(finished)
        wait_until(lambda: client.zcard(finished) >= started + IDLE_RUNS, timeout=60,
                   what=f"{IDLE_RUNS} more reconciler runs", poll=0.2)
        try:
            wait_until(lambda: {"scores", "maintenance"} <= set(passes.poll()), timeout=30,
                       what="a registry-cleaning pass of each worker", poll=0.2)
        finally:
            passes.close(client)
        time.sleep(0.5)  # a pass logs after taking the lock
        assert all(p.alive() for p in processes), [p.tail() for p in processes]
        routine = {
            p.name: [f"{r['level']} {r['logger']}: {r['message']}" for r in _records(p.tail(10**9)[offset:])]
            for p, offset in zip(processes, offsets)
        }
        assert routine == {"worker": [], "maintenance": [], "scheduler": []}
    finally:
        for process in processes:
            process.stop()
