"""Real processes the fault tests break on purpose: RQ workers and a Redis that can crash.

Every process is started here in its own session (process group), so a test can kill exactly
the worker and the scheduler it forked, the way a container or dyno restart does, and the
fixtures can always end whatever is left of a group they started.
"""
from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
import uuid
from typing import Callable

from tests.processes import ROOT, process_env
from tests.redis_server import RedisServer


def wait_until(predicate: Callable[[], object], *, timeout: float, what: str, poll: float = 0.05):
    """Poll `predicate` until it returns something truthy; fail after `timeout` seconds.

    The tests wait for a state (a job paused, a worker gone), never for a fixed time.
    """
    deadline = time.monotonic() + timeout
    while True:
        value = predicate()
        if value:
            return value
        if time.monotonic() >= deadline:
            raise AssertionError(f"timed out after {timeout} s waiting for {what}")
        time.sleep(poll)


class WorkerProcess:
    """`python -m tests.faults.hooked_worker --name NAME QUEUE...` in its own process group."""

    _count = 0

    def __init__(self, *, queues: tuple[str, ...] = ("scores",), env: dict[str, str] | None = None) -> None:
        WorkerProcess._count += 1
        self.name = f"fault-worker-{os.getpid()}-{WorkerProcess._count}-{uuid.uuid4().hex[:6]}"
        self.queues = queues
        self.env = process_env(PYTHONUNBUFFERED="1", **(env or {}))
        self.log = ROOT / ".data" / f"{self.name}.log"
        self.proc: subprocess.Popen | None = None

    @property
    def key(self) -> str:
        """RQ's hash for this worker (rq.worker.Worker.key)."""
        return f"rq:worker:{self.name}"

    def start(self) -> "WorkerProcess":
        self.log.parent.mkdir(exist_ok=True)
        with self.log.open("wb") as out:
            self.proc = subprocess.Popen(
                [sys.executable, "-m", "tests.faults.hooked_worker", "--name", self.name, *self.queues],
                cwd=ROOT, env=self.env, stdout=out, stderr=subprocess.STDOUT, start_new_session=True,
            )
        return self

    @property
    def pid(self) -> int:
        assert self.proc is not None
        return self.proc.pid

    def alive(self) -> bool:
        return self.proc is not None and self.proc.poll() is None

    def kill(self, *, whole_group: bool = True) -> None:
        """SIGKILL the worker (and, by default, the scheduler it forked): no cleanup runs."""
        if whole_group:
            _signal_group(self.pid, signal.SIGKILL)
        else:
            os.kill(self.pid, signal.SIGKILL)
        self.proc.wait(timeout=10)

    def terminate(self) -> None:
        """SIGTERM the worker process only, as a process manager asks it to stop."""
        os.kill(self.pid, signal.SIGTERM)

    def wait(self, timeout: float) -> int:
        return self.proc.wait(timeout=timeout)

    def tail(self, chars: int = 3000) -> str:
        return self.log.read_text(errors="replace")[-chars:] if self.log.exists() else ""

    def stop(self) -> None:
        """End whatever is left of this worker's process group (fixture teardown)."""
        if self.proc is not None:
            _signal_group(self.pid, signal.SIGKILL)
            try:
                self.proc.wait(timeout=10)
            except subprocess.TimeoutExpired:
                pass


def _signal_group(pgid: int, sig: int) -> None:
    try:
        os.killpg(pgid, sig)
    except ProcessLookupError:
        pass  # every process of the group has already exited


class RestartableRedis(RedisServer):
    """A redis-server that keeps its port and data folder across a crash and a restart."""

    def crash(self) -> None:
        """SIGKILL the server: no shutdown save, only what the AOF already holds survives."""
        self.proc.kill()
        self.proc.wait(timeout=10)

    def restart(self) -> "RestartableRedis":
        """Start again on the same port and data folder (replays the AOF)."""
        return self.start()

    def suspend(self) -> None:
        """SIGSTOP: the server holds its connections open and answers nothing."""
        self.proc.send_signal(signal.SIGSTOP)

    def resume(self) -> None:
        self.proc.send_signal(signal.SIGCONT)
