"""Fixtures for the Redis roles: a second real Redis for the queue role, a replica of the test Redis."""
from __future__ import annotations

import pytest

from config.env import parse_redis_url
from tests.faults.processes import wait_until
from tests.quizzes.conftest import (  # noqa: F401  (fixtures shared with the quizzes tests)
    _generous_submission_limit,
    admin_client,
    player,
    quiz,
    run_worker,
)
from tests.redis_server import RedisServer


@pytest.fixture
def queue_redis(settings):
    """A Redis of its own for the queue role; submissions then go through the outbox and the relay."""
    import redis

    from config.redis.clients import reset_clients

    server = RedisServer().start()
    settings.REDIS_ROLES = {**settings.REDIS_ROLES, "queue": parse_redis_url(server.url)}
    settings.RQ_QUEUES = {name: {**conf, "URL": server.url} for name, conf in settings.RQ_QUEUES.items()}
    settings.SUBMISSIONS_VIA_OUTBOX = True
    reset_clients()
    client = redis.Redis.from_url(server.url, decode_responses=True)
    yield client
    client.close()
    reset_clients()
    server.stop()


@pytest.fixture
def replica(redis):
    """Start a replica of the test Redis and wait until the primary counts it."""
    primary_port = redis.connection_pool.connection_kwargs["port"]
    redis.config_set("repl-diskless-sync-delay", 0)  # sync at once, not after the default 5 s
    servers = []

    def _start() -> RedisServer:
        server = RedisServer("--replicaof", "127.0.0.1", str(primary_port)).start()
        servers.append(server)
        wait_until(lambda: _acknowledging(redis) >= sum(s.proc.poll() is None for s in servers), timeout=30,
                   what="the replica to be in sync")
        return server

    yield _start
    for server in servers:
        server.stop()
    wait_until(lambda: redis.info("replication").get("connected_slaves", 0) == 0, timeout=20,
               what="the primary to notice its replica is gone")


def _acknowledging(primary) -> int:
    """How many replicas acknowledge a write now (a throwaway write, then WAIT on its connection)."""
    pipe = primary.pipeline(transaction=False)
    pipe.set("test:replica-probe", "1", ex=5)
    pipe.execute_command("WAIT", 5, 200)
    return int(pipe.execute()[1])
