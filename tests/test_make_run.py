"""`make run` in a fresh copy of the checkout: the README's commands as pasted, and its Redis only.

Each test copies the checkout (tracked and new files, nothing ignored: no .data) to a temporary
folder sharing this .venv, and starts `make run` there on free ports, from a shell environment
with no REDIS_URL, DEBUG or SECRET_KEY, as a newcomer's would be. A developer's own `make run`
(port 8000, Redis on 6390) is never touched.
"""
from __future__ import annotations

import os
import re
import shutil
import signal
import subprocess
import time
from pathlib import Path

import httpx
import pytest
import redis as redis_py

from config.dev.devenv import dev_env_read
from config.dev.embedded_redis import free_port
from tests.redis_server import RedisServer

ROOT = Path(__file__).resolve().parent.parent
# The README's commands for a running `make run` start with one of these.
COMMAND_PREFIXES = ("make demo ", "make admin ", "make manage ", ".venv/bin/python manage.py ", ".venv/bin/rq ")

pytestmark = pytest.mark.skipif(shutil.which("make") is None, reason="needs make")


def _shell_env(**extra: str) -> dict[str, str]:
    """A newcomer's shell: PATH and HOME, none of the app's settings."""
    return {"PATH": os.environ["PATH"], "HOME": os.environ.get("HOME", "/tmp"), "LANG": "C.UTF-8", **extra}


@pytest.fixture
def clone(tmp_path) -> Path:
    """A fresh copy of this checkout that shares its .venv (mtimes kept, so make installs nothing)."""
    dest = tmp_path / "quizboard"
    listed = subprocess.run(
        ["git", "ls-files", "-co", "--exclude-standard", "-z"], cwd=ROOT, capture_output=True, check=True
    ).stdout.decode().split("\0")
    for name in filter(None, listed):
        source = ROOT / name
        if source.is_file():
            (dest / name).parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(source, dest / name)
    (dest / ".venv").symlink_to(ROOT / ".venv")
    return dest


class MakeRun:
    """`make run` in `clone` on free ports, stopped (Ctrl-C to its process group) afterwards."""

    def __init__(self, clone: Path, **env: str) -> None:
        self.clone, self.port = clone, free_port()
        self.log = clone.parent / "make-run.log"
        env = _shell_env(PORT=str(self.port), **env)
        with self.log.open("wb") as out:
            self.proc = subprocess.Popen(
                ["make", "run"], cwd=clone, env=env, stdout=out, stderr=subprocess.STDOUT, start_new_session=True
            )

    @property
    def output(self) -> str:
        return self.log.read_text(errors="replace")

    def wait_healthy(self, timeout: float = 90) -> None:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            assert self.proc.poll() is None, self.output
            try:
                if httpx.get(f"{self.base}/api/v1/health", timeout=2).status_code == 200:
                    return
            except httpx.HTTPError:
                pass
            time.sleep(0.3)
        raise AssertionError(f"make run did not become healthy:\n{self.output}")

    @property
    def base(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def redis_url(self) -> str:
        return dev_env_read(self.clone / ".data" / "dev.env")["REDIS_URL"]

    def stop(self) -> None:
        if self.proc.poll() is None:
            os.killpg(self.proc.pid, signal.SIGINT)
            try:
                self.proc.wait(timeout=30)
            except subprocess.TimeoutExpired:
                os.killpg(self.proc.pid, signal.SIGKILL)
                self.proc.wait()


@pytest.fixture
def make_run(clone):
    runs: list[MakeRun] = []

    def _start(**env: str) -> MakeRun:
        run = MakeRun(clone, **env)
        runs.append(run)
        return run

    yield _start
    for run in runs:
        run.stop()


def readme_commands() -> list[str]:
    """Every command line of the README's and docs/' code blocks meant for a running `make run`."""
    commands, fenced = [], False
    for page in [ROOT / "README.md", *sorted((ROOT / "docs").glob("*.md"))]:
        for line in page.read_text().splitlines():
            if line.startswith("```"):
                fenced = not fenced
            elif fenced and line.startswith(COMMAND_PREFIXES):
                command = re.sub(r"\s+#.*$", "", line).strip()
                if command not in commands:
                    commands.append(command)
    return commands


def _sh(clone: Path, command: str) -> subprocess.CompletedProcess:
    return subprocess.run(["bash", "-c", command], cwd=clone, env=_shell_env(), capture_output=True, text=True, timeout=120)


def test_the_readmes_commands_work_as_pasted_on_the_redis_make_run_uses(clone, make_run):
    run = make_run(EMBEDDED_REDIS_PORT=str(free_port()))
    run.wait_healthy()
    assert f"running on http://127.0.0.1:{run.port}" in run.output.lower()  # this machine only
    url = run.redis_url()
    commands = readme_commands()
    admin = next(c for c in commands if c.startswith("make admin "))
    username, password = re.search(r"USER=(\S+) PASSWORD=(\S+)", admin).groups()
    assert len(commands) >= 4, commands
    for command in commands:  # in the README's order, as a newcomer pastes them
        done = _sh(clone, command)
        assert done.returncode == 0, (command, done.stdout, done.stderr)
        if "manage" in command or command.startswith(("make admin", "make demo")):
            assert f"using Redis {url}" in done.stderr, (command, done.stderr)

    login = httpx.post(f"{run.base}/api/v1/auth/login", json={"username": username, "password": password})
    assert login.status_code == 200, login.text
    quiz = {"title": "First", "questions": [{"text": "1+1?", "choices": ["2", "3"], "answer": 0, "points": 5}]}
    headers = {"Authorization": f"Bearer {login.json()['token']}"}
    created = httpx.post(f"{run.base}/api/v1/quizzes", json=quiz, headers=headers)
    assert created.status_code == 201, created.text
    # The same Redis as the app: the one `make run` started for this checkout.
    data = redis_py.Redis.from_url(url, decode_responses=True)
    assert data.hget("qb:users:by-name", username.lower())
    assert data.zscore("qb:quizzes", created.json()["id"]) is not None
    assert url.startswith("redis://127.0.0.1:") and url != os.environ["REDIS_URL"]


def test_once_healthy_make_run_says_where_to_go_and_the_metrics_token_works(clone, make_run):
    run = make_run(EMBEDDED_REDIS_PORT=str(free_port()))
    run.wait_healthy()
    deadline = time.monotonic() + 10
    while "make run: healthy" not in run.output and time.monotonic() < deadline:
        time.sleep(0.2)
    block = run.output[run.output.index("make run: healthy"):]
    token = (clone / ".data" / "metrics_token").read_text().strip()
    for line in (f"{run.base}/live/", f"{run.base}/api/v1/", f"{run.base}/api/v1/docs/",
                 "make admin USER=", "make demo",
                 f"curl -H 'Authorization: Bearer {token}' {run.base}/metrics"):
        assert line in block, block
    assert run.output.count("make run: healthy") == 1

    # One scrape for every process: the web process, the RQ workers and the scheduler write there.
    roles = ('role="web"', 'role="worker"', 'role="scheduler"')
    deadline = time.monotonic() + 30
    while True:
        scraped = httpx.get(f"{run.base}/metrics", headers={"Authorization": f"Bearer {token}"})
        assert scraped.status_code == 200
        if all(role in scraped.text for role in roles) or time.monotonic() > deadline:
            break
        time.sleep(0.5)
    assert all(f"quizboard_redis_errors_total{{{role}}}" in scraped.text for role in roles), scraped.text
    assert httpx.get(f"{run.base}/metrics").status_code == 404


def test_a_foreign_redis_on_the_embedded_port_is_never_used(clone, make_run):
    foreign = RedisServer().start()
    try:
        run = make_run(EMBEDDED_REDIS_PORT=str(foreign.port))
        run.wait_healthy()
        assert f"127.0.0.1:{foreign.port} is taken by a redis-server (pid {foreign.proc.pid}" in run.output
        url = run.redis_url()
        assert url != foreign.url
        made = _sh(clone, ".venv/bin/python manage.py create_admin dora --password change-me-now")
        assert made.returncode == 0 and f"using Redis {url}" in made.stderr, made.stderr
        registered = httpx.post(f"{run.base}/api/v1/auth/register", json={"username": "erin", "password": "change-me-now"})
        assert registered.status_code == 201
        assert redis_py.Redis(port=foreign.port).dbsize() == 0  # not one key in the other server
        assert redis_py.Redis.from_url(url).hlen("qb:users:by-name") == 2
    finally:
        foreign.stop()


def test_make_run_says_so_and_stops_when_the_embedded_redis_dies(clone, make_run):
    run = make_run(EMBEDDED_REDIS_PORT=str(free_port()))
    run.wait_healthy()
    pid = redis_py.Redis.from_url(run.redis_url()).info("server")["process_id"]
    os.kill(pid, signal.SIGKILL)
    run.proc.wait(timeout=60)
    assert run.proc.returncode != 0
    assert "the embedded redis-server on 127.0.0.1:" in run.output and "died" in run.output
