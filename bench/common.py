"""Shared pieces of the benchmarks: a private Redis, server processes, Django setup, seeding.

Every benchmark runs against its own disposable `redis-server` (never the developer's Redis)
and its own server processes on free ports, all stopped when the run ends.
"""
from __future__ import annotations

import logging
import os
import secrets
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.request
from dataclasses import dataclass
from pathlib import Path

from config.dev.embedded_redis import free_port, redis_server_binary

ROOT = Path(__file__).resolve().parent.parent
VENV_BIN = Path(sys.executable).parent
LOGS = ROOT / ".data" / "bench"
# One key for the whole run, shared by the bench process and every server it starts.
SECRET_KEY = secrets.token_urlsafe(48)


def flush_data(client=None, *, asynchronous: bool = False) -> None:
    """FLUSHALL between measurements, acknowledged as a deliberate reset (config/redis/epoch.py).

    Without the new epoch, the service would take the empty store for a lost one: health 503,
    register and login refused.
    """
    from config.redis.clients import redis_client
    from config.redis.epoch import epoch_write

    client = client or redis_client()
    client.flushall(asynchronous=asynchronous)
    epoch_write(by="data_reset", client=client)


def load_average() -> str:
    """Return the 1/5/15-minute load averages, to print beside figures taken on a shared box."""
    one, five, fifteen = os.getloadavg()
    return f"{one:.2f} {five:.2f} {fifteen:.2f}"


class PrivateRedis:
    """A redis-server child process on a free port, with no persistence and its own folder."""

    def __init__(self) -> None:
        self.port = free_port()
        self.dir = Path(tempfile.mkdtemp(prefix="qb-bench-redis-"))
        self.proc: subprocess.Popen | None = None

    @property
    def url(self) -> str:
        return f"redis://127.0.0.1:{self.port}/0"

    def start(self) -> "PrivateRedis":
        args = [
            redis_server_binary(), "--port", str(self.port), "--bind", "127.0.0.1",
            "--dir", str(self.dir), "--save", "", "--appendonly", "no",
            "--logfile", str(self.dir / "redis.log"),
        ]
        self.proc = subprocess.Popen(args, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, start_new_session=True)
        _wait_for(lambda: _redis_pings(self.port), 10, "redis-server")
        return self

    def stop(self) -> None:
        _terminate(self.proc)
        shutil.rmtree(self.dir, ignore_errors=True)


def _redis_pings(port: int) -> bool:
    try:
        with socket.create_connection(("127.0.0.1", port), timeout=0.2) as sock:
            sock.sendall(b"PING\r\n")
            return sock.recv(64).startswith(b"+PONG")
    except OSError:
        return False


def _wait_for(ready, timeout: float, what: str, proc: subprocess.Popen | None = None) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if proc is not None and proc.poll() is not None:
            raise RuntimeError(f"{what} exited with code {proc.returncode}")
        if ready():
            return
        time.sleep(0.1)
    raise RuntimeError(f"{what} did not become ready within {timeout:.0f} s")


def _terminate(proc: subprocess.Popen | None, timeout: float = 10) -> None:
    """Stop a child started in its own session (servers fork workers) and all it started."""
    if proc is None or proc.poll() is not None:
        return
    try:
        os.killpg(proc.pid, signal.SIGTERM)
    except ProcessLookupError:
        return
    try:
        proc.wait(timeout=timeout)
    except subprocess.TimeoutExpired:
        os.killpg(proc.pid, signal.SIGKILL)
        proc.wait(timeout=5)


def session_cpu_seconds(session_id: int) -> float:
    """Sum the CPU time of every live process in a session (a server started by `Server`)."""
    total = 0
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            fields = stat.read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue  # the process ended while we looked
        if int(fields[3]) == session_id:
            total += int(fields[11]) + int(fields[12])
    return total / os.sysconf("SC_CLK_TCK")


def app_env(redis_url: str, **overrides: str) -> dict[str, str]:
    """The environment of an app process: production settings on the private Redis."""
    env = dict(os.environ)
    env.update(
        {
            "DJANGO_SETTINGS_MODULE": "config.settings",
            "REDIS_URL": redis_url,
            "DEBUG": "0",
            "SECRET_KEY": SECRET_KEY,
            "ALLOWED_HOSTS": "127.0.0.1,localhost,testserver",
            "PATH": f"{VENV_BIN}{os.pathsep}{os.environ.get('PATH', '')}",
            "PYTHONPATH": str(ROOT),
        }
    )
    env.update(overrides)
    return env


@dataclass
class Server:
    """One server command (it may fork workers) on a free port, ready once `health` answers 2xx.

    With `health=None` it is a background process (a worker) that is ready once started.
    """

    name: str
    argv: list[str]
    env: dict[str, str]
    port: int
    health: str | None = "/api/v1/health"
    proc: subprocess.Popen | None = None
    cwd: Path = ROOT

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def start(self, timeout: float = 30) -> "Server":
        LOGS.mkdir(parents=True, exist_ok=True)
        self.log = LOGS / f"{self.name}.log"
        out = self.log.open("wb")
        # Own session, so stop() reaches forked workers too and never anything else.
        self.proc = subprocess.Popen(
            self.argv, cwd=self.cwd, env=self.env, stdout=out, stderr=subprocess.STDOUT,
            start_new_session=True,
        )
        if self.health is None:
            return self
        try:
            _wait_for(self._healthy, timeout, self.name, self.proc)
        except RuntimeError as exc:
            self.stop()
            raise RuntimeError(f"{exc}; log tail:\n{self.log.read_text()[-1500:]}") from exc
        return self

    def _healthy(self) -> bool:
        try:
            with urllib.request.urlopen(self.url + self.health, timeout=1) as resp:
                return 200 <= resp.status < 300
        except (urllib.error.URLError, ConnectionError, OSError):
            return False

    def cpu_seconds(self) -> float:
        """CPU time (user + system) used so far by the server and the workers it forked.

        Unlike requests/s, CPU per request hardly moves when other programs load the machine.
        """
        return session_cpu_seconds(self.proc.pid) if self.proc else 0.0

    def stop(self) -> None:
        _terminate(self.proc)

    def __enter__(self) -> "Server":
        return self.start()

    def __exit__(self, *exc) -> None:
        self.stop()


def setup_django(redis_url: str) -> None:
    """Configure Django in this process on the private Redis (for seeding and in-process calls)."""
    os.environ.update({k: v for k, v in app_env(redis_url).items() if k != "PATH"})
    import django
    from django.conf import settings

    django.setup()
    # Seeded users never log in with their password: the cheapest hasher keeps seeding fast.
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
    # In-process requests (round-trip counts) would print one access-log line each.
    logging.getLogger("quizboard.requests").setLevel(logging.WARNING)
    logging.getLogger("httpx").setLevel(logging.WARNING)  # one line per request otherwise


def seed_users(count: int, *, prefix: str = "bench", role: str = "user") -> list[dict]:
    """Create `count` users with one live session each; return [{id, username, token}]."""
    from accounts import services

    users = []
    for i in range(count):
        user = services.user_create(username=f"{prefix}{i}", password="bench-password-1", role=role)
        session = services.session_create(user={**user, "role": role})
        users.append({**user, "token": session.token})
    return users
