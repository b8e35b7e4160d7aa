"""A disposable real Redis server for the test run (never the developer's own Redis).

Loaded with `-p tests.redis_server` so it runs before pytest-django imports the settings:
the server starts on a free port and REDIS_URL points at it for this process and every
process the tests start (daphne, workers).
"""
from __future__ import annotations

import atexit
import os
import secrets
import shutil
import socket
import subprocess
import tempfile
import time
from pathlib import Path

import pytest

from config.dev.embedded_redis import free_port, redis_server_binary


class RedisServer:
    """A redis-server child process on a free port with its own data folder."""

    def __init__(self, *extra: str) -> None:
        self.port = free_port()
        self.dir = Path(tempfile.mkdtemp(prefix="qb-test-redis-"))
        self.extra = list(extra)
        self.proc: subprocess.Popen | None = None

    @property
    def url(self) -> str:
        return f"redis://127.0.0.1:{self.port}/0"

    def start(self) -> "RedisServer":
        args = [
            redis_server_binary(),
            "--port", str(self.port), "--bind", "127.0.0.1",
            "--dir", str(self.dir), "--save", "", "--appendonly", "no",
            "--logfile", str(self.dir / "redis.log"),
            *self.extra,
        ]
        self.proc = subprocess.Popen(args, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        deadline = time.monotonic() + 10
        while time.monotonic() < deadline:
            try:
                with socket.create_connection(("127.0.0.1", self.port), timeout=0.2) as s:
                    s.sendall(b"PING\r\n")
                    if s.recv(64).startswith(b"+PONG"):
                        return self
            except OSError:
                time.sleep(0.05)
        raise RuntimeError(f"redis-server did not start on port {self.port}")

    def stop(self) -> None:
        if self.proc and self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(timeout=5)
            except subprocess.TimeoutExpired:
                self.proc.kill()
        shutil.rmtree(self.dir, ignore_errors=True)


SERVER: RedisServer | None = None


@pytest.hookimpl(hookwrapper=True)
def pytest_load_initial_conftests(early_config, parser, args):
    global SERVER
    SERVER = RedisServer().start()
    atexit.register(SERVER.stop)
    os.environ["REDIS_URL"] = SERVER.url
    # Metrics of the test run's processes stay with it, away from a developer's `make run`.
    os.environ["METRICS_DIR"] = str(SERVER.dir / "metrics")
    os.environ.setdefault("SECRET_KEY", secrets.token_urlsafe(48))
    yield
