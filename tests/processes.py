"""Real processes for integration tests: the Procfile's web server or daphne serving the app, RQ workers."""
from __future__ import annotations

import os
import shlex
import subprocess
import sys
import time
import urllib.error
import urllib.request
from pathlib import Path

from config.dev.embedded_redis import free_port

ROOT = Path(__file__).resolve().parent.parent


def process_env(**overrides: str) -> dict[str, str]:
    """The environment for a child process: the test Redis, production-like settings."""
    env = dict(os.environ)
    env.update({"DJANGO_SETTINGS_MODULE": "config.settings", "ALLOWED_HOSTS": "127.0.0.1,localhost"})
    env.update(overrides)
    return env


class DaphneServer:
    """`daphne config.asgi:application` on a free port, stopped with the test."""

    name = "daphne"

    def __init__(self, env: dict[str, str] | None = None) -> None:
        self.port = free_port()
        self.env = process_env(**(env or {}))
        self.proc: subprocess.Popen | None = None
        self.log = ROOT / ".data" / f"{self.name}-{self.port}.log"

    def command(self) -> list[str]:
        """The server's command line."""
        return [sys.executable, "-m", "daphne", "-b", "127.0.0.1", "-p", str(self.port), "config.asgi:application"]

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    @property
    def ws_url(self) -> str:
        return f"ws://127.0.0.1:{self.port}"

    def start(self, timeout: float = 20.0) -> "DaphneServer":
        self.log.parent.mkdir(exist_ok=True)
        out = self.log.open("wb")
        self.proc = subprocess.Popen(
            self.command(), cwd=ROOT, env=self.env, stdout=out, stderr=subprocess.STDOUT,
        )
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                raise RuntimeError(f"{self.name} exited: {self.log.read_text()[-2000:]}")
            try:
                urllib.request.urlopen(f"{self.url}/api/v1/health", timeout=1).read()
                return self
            except (urllib.error.URLError, ConnectionError, OSError):
                time.sleep(0.1)
        self.stop()
        raise RuntimeError(f"{self.name} did not become healthy in time")

    def stop(self) -> None:
        if self.proc and self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self.proc.kill()


class WebServer(DaphneServer):
    """The Procfile's `web:` line, whatever server it names, on a free local port: what we ship.

    $PORT becomes the free port and the listen address 127.0.0.1; WEB_CONCURRENCY defaults to 1
    (one process keeps tests light; pass WEB_CONCURRENCY to the env for more).
    """

    name = "web"

    def __init__(self, env: dict[str, str] | None = None) -> None:
        super().__init__({"WEB_CONCURRENCY": "1", **(env or {})})

    def command(self) -> list[str]:
        line = next(x for x in (ROOT / "Procfile").read_text().splitlines() if x.startswith("web:"))
        # Listen on this machine only, whatever the production line binds to.
        line = line.removeprefix("web:").replace("$PORT", str(self.port)).replace("${HOST:-0.0.0.0}", "127.0.0.1").replace("0.0.0.0", "127.0.0.1")
        args = shlex.split(line)
        # Run the named server as a module of this interpreter: the venv's, whatever the PATH.
        return [sys.executable, "-m", *args]
