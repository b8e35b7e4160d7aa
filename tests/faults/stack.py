"""The Procfile's own processes for fault tests, started one by one (so a test can kill and restart
one), and a load generator that submits over HTTP and remembers every 202.

Each process runs its Procfile line unchanged, in its own session, with its output in .data/.
"""
from __future__ import annotations

import contextlib
import logging
import os
import shlex
import signal
import subprocess
import sys
import threading
import time
import uuid
from dataclasses import dataclass, field
from datetime import datetime

import httpx

from quizzes import keys as quiz_keys
from tests.processes import ROOT, process_env
from config.jobs import keys as rq_keys

logging.getLogger("httpx").setLevel(logging.WARNING)  # one INFO line per request otherwise


def procfile_line(name: str) -> list[str]:
    """The Procfile's command for process `name`, run with this interpreter."""
    line = next(x for x in (ROOT / "Procfile").read_text().splitlines() if x.startswith(f"{name}:"))
    args = shlex.split(line.split(":", 1)[1])
    return [sys.executable, *args[1:]] if args[0] == "python" else args


def children(pid: int) -> list[int]:
    """Direct child processes of `pid` (Linux /proc)."""
    try:
        with open(f"/proc/{pid}/task/{pid}/children") as f:
            return [int(c) for c in f.read().split()]
    except FileNotFoundError:
        return []


def pid_alive(pid: int) -> bool:
    try:
        with open(f"/proc/{pid}/stat") as f:
            return f.read().split(") ", 1)[1][0] != "Z"  # a zombie has exited
    except FileNotFoundError:
        return False


class ProcfileProcess:
    """One Procfile process (`worker`, `maintenance`, `scheduler`) on the given environment."""

    def __init__(self, name: str, env: dict[str, str]) -> None:
        self.name = name
        self.env = process_env(PYTHONUNBUFFERED="1", **env)
        self.log = ROOT / ".data" / f"fault-{name}-{os.getpid()}-{uuid.uuid4().hex[:6]}.log"
        self.proc: subprocess.Popen | None = None
        self.starts = 0

    def start(self) -> "ProcfileProcess":
        self.log.parent.mkdir(exist_ok=True)
        self.starts += 1
        with self.log.open("ab") as out:
            self.proc = subprocess.Popen(procfile_line(self.name), cwd=ROOT, env=self.env, stdout=out,
                                         stderr=subprocess.STDOUT, start_new_session=True)
        return self

    @property
    def pid(self) -> int:
        assert self.proc is not None
        return self.proc.pid

    def alive(self) -> bool:
        return self.proc is not None and self.proc.poll() is None

    def kill(self) -> None:
        """SIGKILL this process only (not its session), as `kill -9 PID` does."""
        os.kill(self.pid, signal.SIGKILL)
        self.proc.wait(timeout=10)

    def stop(self) -> None:
        if self.proc is not None:
            try:
                os.killpg(self.pid, signal.SIGKILL)
            except ProcessLookupError:
                pass
            try:
                self.proc.wait(timeout=10)
            except subprocess.TimeoutExpired:
                pass

    def tail(self, chars: int = 4000) -> str:
        return self.log.read_text(errors="replace")[-chars:] if self.log.exists() else ""


@dataclass
class Load:
    """Submits continuously from a few threads; `accepted` maps each 202's id to when it came."""

    url: str
    quiz_id: str
    tokens: list[str]
    pause: float = 0.02
    accepted: dict[str, float] = field(default_factory=dict)
    refused: int = 0
    _stop: threading.Event = field(default_factory=threading.Event)
    _threads: list[threading.Thread] = field(default_factory=list)
    _lock: threading.Lock = field(default_factory=threading.Lock)

    def start(self) -> "Load":
        for token in self.tokens:
            thread = threading.Thread(target=self._run, args=(token,), daemon=True)
            thread.start()
            self._threads.append(thread)
        return self

    def stop(self) -> None:
        self._stop.set()
        for thread in self._threads:
            thread.join(timeout=30)

    def burst(self, count: int) -> None:
        """Submit `count` at once (a backlog for the worker), from the calling thread."""
        with httpx.Client(base_url=self.url, timeout=10) as client:
            for i in range(count):
                self._submit(client, self.tokens[i % len(self.tokens)])

    def _run(self, token: str) -> None:
        with httpx.Client(base_url=self.url, timeout=10) as client:
            while not self._stop.is_set():
                self._submit(client, token)
                time.sleep(self.pause)

    def _submit(self, client: httpx.Client, token: str) -> None:
        try:
            resp = client.post(f"/api/v1/quizzes/{self.quiz_id}/submissions", json={"answers": [0, 1, 0]},
                               headers={"Authorization": f"Bearer {token}"})
        except httpx.HTTPError:
            resp = None
        with self._lock:
            if resp is not None and resp.status_code == 202:
                self.accepted[resp.json()["id"]] = time.time()
            else:
                self.refused += 1


def statuses(client, submission_ids) -> dict[str, tuple[str | None, float | None]]:
    """Each submission's status and processed time (epoch s), read in one pipeline."""
    ids = list(submission_ids)
    with client.pipeline(transaction=False) as pipe:
        for sid in ids:
            pipe.hmget(quiz_keys.submission(sid), "status", "processed_at")
        rows = pipe.execute()
    return {
        sid: (status, datetime.fromisoformat(at.replace("Z", "+00:00")).timestamp() if at else None)
        for sid, (status, at) in zip(ids, rows)
    }


def wait_all_processed(client, submission_ids, *, timeout: float, poll: float = 0.5) -> float:
    """Wait until every submission is processed; return when that was reached (epoch s)."""
    ids = set(submission_ids)
    deadline = time.monotonic() + timeout
    while True:
        try:
            pending = [s for s, (status, _) in statuses(client, ids).items() if status != "processed"]
        except Exception:  # Redis still coming back
            pending = list(ids)
        if not pending:
            return time.time()
        if time.monotonic() >= deadline:
            raise AssertionError(
                f"{len(pending)} of {len(ids)} submissions not processed; "
                + "; ".join(where_is(client, sid) for sid in pending[:3])
            )
        time.sleep(poll)


def where_is(client, submission_id: str, queue: str = "scores") -> str:
    """A stuck submission's state and where RQ holds its job, for a failure message."""
    sub = client.hgetall(quiz_keys.submission(submission_id))
    job = client.hmget(rq_keys.rq_job(submission_id), "status", "retries_left", "retry_intervals")
    started = [e for e in client.zrange(rq_keys.rq_started(queue), 0, -1) if e.startswith(submission_id)]
    places = {
        "queue": client.lpos(rq_keys.rq_queue(queue), submission_id) is not None,
        "intermediate": client.lpos(rq_keys.rq_intermediate(queue), submission_id) is not None,
        "started": bool(started),
        "scheduled": client.zscore(rq_keys.rq_scheduled(queue), submission_id) is not None,
        "failed": client.zscore(rq_keys.rq_failed(queue), submission_id) is not None,
        "finished": client.zscore(rq_keys.rq_finished(queue), submission_id) is not None,
        "queued index": client.zscore(quiz_keys.submissions_queued(), submission_id) is not None,
    }
    return (f"{submission_id}: submission status={sub.get('status')} reason={sub.get('reason')!r}; "
            f"job status={job[0]} retries_left={job[1]} intervals={job[2]}; "
            f"in {[name for name, there in places.items() if there] or 'nothing'}")


class HonchoStack:
    """`honcho start` on the Procfile, as `make run` runs it, on a free port and the given environment."""

    def __init__(self, env: dict[str, str], name: str = "stack") -> None:
        from config.dev.embedded_redis import free_port

        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.env = process_env(PYTHONUNBUFFERED="1", PATH=f"{os.path.dirname(sys.executable)}:{os.environ['PATH']}",
                               **env)
        self.log = ROOT / ".data" / f"honcho-{name}-{os.getpid()}-{uuid.uuid4().hex[:6]}.log"
        self.proc: subprocess.Popen | None = None

    def start(self) -> "HonchoStack":
        self.log.parent.mkdir(exist_ok=True)
        with self.log.open("wb") as out:
            self.proc = subprocess.Popen(
                [sys.executable, "-m", "honcho", "start", "-f", str(ROOT / "Procfile"), "-p", str(self.port)],
                cwd=ROOT, env=self.env, stdout=out, stderr=subprocess.STDOUT, start_new_session=True,
            )
        return self

    def processes(self) -> dict[int, str]:
        """Every process under honcho (shells, the Procfile's processes, their forks): pid -> command line."""
        found = {}
        for pid in sorted(self.tree() - {self.proc.pid}):
            try:
                with open(f"/proc/{pid}/cmdline", "rb") as f:
                    found[pid] = f.read().replace(b"\0", b" ").decode(errors="replace")
            except FileNotFoundError:
                continue
        return found

    def tree(self, pid: int | None = None) -> set[int]:
        """honcho's pid and every descendant."""
        pid = self.proc.pid if pid is None else pid
        found = {pid}
        for child in children(pid):
            found |= self.tree(child)
        return found

    def tail(self, chars: int = 4000) -> str:
        return self.log.read_text(errors="replace")[-chars:] if self.log.exists() else ""

    def stop(self) -> None:
        if self.proc is None or self.proc.poll() is not None:
            return
        try:
            os.killpg(self.proc.pid, signal.SIGTERM)
            self.proc.wait(timeout=20)
        except (ProcessLookupError, subprocess.TimeoutExpired):
            with contextlib.suppress(ProcessLookupError):
                os.killpg(self.proc.pid, signal.SIGKILL)
