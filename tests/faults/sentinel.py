"""A Sentinel-monitored Redis for failover tests: a primary, one replica, three Sentinels, all real.

Every server is a `redis-server` child on a free localhost port with its own folder; the
Sentinels are `redis-server <conf> --sentinel`, told to call the primary down after 1 s without
an answer (production keeps the default 30 s) so a test sees a whole failover in seconds.
"""
from __future__ import annotations

import socket
import subprocess
import time
from pathlib import Path

import redis

from config.dev.embedded_redis import free_port, redis_server_binary
from tests.faults.processes import RestartableRedis, wait_until

MASTER_NAME = "qbmain"
DOWN_AFTER_MS = 1000


class SentinelProcess:
    """`redis-server <conf> --sentinel` on a free port (Sentinel rewrites its own config file)."""

    def __init__(self, folder: Path, primary_port: int) -> None:
        self.port = free_port()
        self.folder = folder
        self.conf = folder / f"sentinel-{self.port}.conf"
        self.conf.write_text(
            f"port {self.port}\nbind 127.0.0.1\ndir {folder}\n"
            f"logfile {folder / f'sentinel-{self.port}.log'}\n"
            f"sentinel monitor {MASTER_NAME} 127.0.0.1 {primary_port} 2\n"
            f"sentinel down-after-milliseconds {MASTER_NAME} {DOWN_AFTER_MS}\n"
            f"sentinel failover-timeout {MASTER_NAME} 10000\n"
            f"sentinel parallel-syncs {MASTER_NAME} 1\n"
        )
        self.proc: subprocess.Popen | None = None

    def start(self) -> "SentinelProcess":
        self.proc = subprocess.Popen([redis_server_binary(), str(self.conf), "--sentinel"],
                                     stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        wait_until(self._answers, timeout=10, what=f"sentinel on {self.port}")
        return self

    def _answers(self) -> bool:
        try:
            with socket.create_connection(("127.0.0.1", self.port), timeout=0.2) as s:
                s.sendall(b"PING\r\n")
                return s.recv(64).startswith(b"+PONG")
        except OSError:
            return False

    def client(self) -> redis.Redis:
        return redis.Redis(port=self.port, decode_responses=True, socket_timeout=1)

    def stop(self) -> None:
        if self.proc and self.proc.poll() is None:
            self.proc.kill()
            self.proc.wait(timeout=10)


class SentinelGroup:
    """A primary, one replica and three Sentinels that agree on them."""

    def __init__(self) -> None:
        self.primary = RestartableRedis("--repl-diskless-sync-delay", "0")
        self.replica: RestartableRedis | None = None
        self.sentinels: list[SentinelProcess] = []

    def start(self) -> "SentinelGroup":
        self.primary.start()
        self.replica = RestartableRedis(
            "--repl-diskless-sync-delay", "0", "--replicaof", "127.0.0.1", str(self.primary.port),
        ).start()
        self.sentinels = [SentinelProcess(self.primary.dir, self.primary.port).start() for _ in range(3)]
        wait_until(self._agreed, timeout=30, what="the Sentinels to know each other and the replica")
        return self

    def _agreed(self) -> bool:
        for sentinel in self.sentinels:
            with sentinel.client() as client:
                state = client.sentinel_master(MASTER_NAME)
            if state["num-other-sentinels"] < 2 or state["num-slaves"] < 1:
                return False
        return self.replicas_online(self.primary.port) >= 1

    def url(self, db: int) -> str:
        """The role URL of this group: redis+sentinel://host:port,.../<master>/<db>."""
        hosts = ",".join(f"127.0.0.1:{s.port}" for s in self.sentinels)
        return f"redis+sentinel://{hosts}/{MASTER_NAME}/{db}"

    def master_port(self) -> int:
        """The port the Sentinels now name as the primary."""
        with self.sentinels[0].client() as client:
            return int(client.sentinel_get_master_addr_by_name(MASTER_NAME)[1])

    @staticmethod
    def replicas_online(port: int) -> int:
        try:
            with redis.Redis(port=port, decode_responses=True, socket_timeout=1) as client:
                info = client.info("replication")
        except redis.exceptions.RedisError:
            return 0
        return sum(1 for i in range(info.get("connected_slaves", 0))
                   if info.get(f"slave{i}", {}).get("state") == "online")

    def kill_primary(self) -> RestartableRedis:
        """SIGKILL the primary (no shutdown, no last words to the replica); return it, dead."""
        dead = self.primary
        dead.crash()
        return dead

    def wait_promoted(self, dead: RestartableRedis, timeout: float) -> int:
        """Wait until the Sentinels name another primary that answers as one; return its port."""
        def promoted():
            port = self.master_port()
            if port == dead.port:
                return None
            with redis.Redis(port=port, decode_responses=True, socket_timeout=1) as client:
                return port if client.info("replication")["role"] == "master" else None

        port = wait_until(promoted, timeout=timeout, what="a replica to be promoted")
        self.primary, self.replica = (self.replica, dead) if self.replica.port == port else (self.primary, dead)
        return port

    def rejoin(self, dead: RestartableRedis) -> None:
        """Start the killed server again as a replica of the new primary, as a supervisor would."""
        dead.extra = ["--repl-diskless-sync-delay", "0", "--replicaof", "127.0.0.1", str(self.primary.port)]
        dead.start()

    def stop(self) -> None:
        for sentinel in self.sentinels:
            sentinel.stop()
        for server in (self.primary, self.replica):
            if server is not None:
                server.stop()


def wait_seconds(since: float) -> float:
    return round(time.monotonic() - since, 2)
