"""Development launcher behind `make run`: an embedded Redis when REDIS_URL is unset, then
every Procfile process under honcho. Ctrl-C stops them all, the embedded Redis last.

Every process gets the same METRICS_DIR, wiped here first (each run's metrics start at zero),
and a local METRICS_TOKEN kept in `.data/metrics_token`. Once health answers 200 it prints one
short block: where to go, how to get an admin, the metrics token.

It records the environment it runs with in `.data/dev.env` (config/dev/devenv.py), so every other
command of this checkout uses the same Redis. If the embedded Redis dies, it says so and stops.
"""
from __future__ import annotations

import os
import secrets
import signal
import subprocess
import sys
import urllib.error
import urllib.request
from pathlib import Path

from config.dev.devenv import RUN_ID, dev_env_write
from config.dev.embedded_redis import EmbeddedRedis, EmbeddedRedisError

ROOT = Path(__file__).resolve().parents[2]
DATA = ROOT / ".data"
WATCH_SECONDS = 0.5  # how often the launcher checks that the embedded Redis still runs
STOP_SECONDS = 15.0  # how long honcho may take to stop its processes before the launcher ends them


def _secret_key_file(name: str = "secret_key") -> Path:
    path = DATA / name
    if not path.exists():
        path.write_text(secrets.token_urlsafe(48))
        path.chmod(0o600)
    return path


def metrics_dir_wipe(path: Path) -> None:
    """Start this run's metrics at zero: drop the files every process of the last run left."""
    path.mkdir(parents=True, exist_ok=True)
    for stale in path.glob("*.db"):
        stale.unlink(missing_ok=True)


def healthy(base: str) -> bool:
    """Whether the web process answers its health check with 200."""
    try:
        with urllib.request.urlopen(f"{base}/api/v1/health", timeout=1) as response:
            return response.status == 200
    except (urllib.error.URLError, OSError):
        return False


def welcome(base: str, metrics_token: str) -> str:
    """The block printed once the stack is healthy."""
    return "\n".join([
        "make run: healthy. Next:",
        f"  live page   {base}/live/",
        f"  API root    {base}/api/v1/",
        f"  API docs    {base}/api/v1/docs/",
        "  an admin    make admin USER=<name> PASSWORD=<password>",
        "  demo data   make demo",
        f"  metrics     curl -H 'Authorization: Bearer {metrics_token}' {base}/metrics",
    ])


def _sigterm_as_interrupt(signum, frame) -> None:
    raise KeyboardInterrupt


def _say(message: str) -> None:
    print(f"make run: {message}", flush=True)


def _watch(honcho: subprocess.Popen, redis: EmbeddedRedis | None, greeting: tuple[str, str]) -> int:
    """Wait for honcho to end; stop it and fail if the embedded Redis dies first.

    Says `greeting` (base URL, its block) once health first answers 200.
    """
    base, block = greeting
    while True:
        try:
            return honcho.wait(timeout=WATCH_SECONDS)
        except subprocess.TimeoutExpired:
            pass
        if block and healthy(base):
            print(block, flush=True)
            block = ""
        if redis is not None and not redis.alive():
            _say(
                f"the embedded redis-server on 127.0.0.1:{redis.port} died ({redis.exit_status()}); "
                f"stopping. {redis.log_tail()}"
            )
            _stop(honcho)
            return 1


def _stop(honcho: subprocess.Popen) -> int:
    """Ask honcho to stop every process; end its whole process group if it has not in STOP_SECONDS.

    honcho (2.0) can crash inside its own SIGINT handler when the signal lands while it prints a
    line ("reentrant call inside <_io.BufferedWriter name='<stdout>'>"): its main thread dies, its
    reader threads keep the interpreter alive, and every Procfile process goes on running. Seen
    in tests/test_make_run.py when the embedded Redis died amid a burst of log lines: `make run`
    hung instead of stopping. honcho runs in a process group of its own, so the group ends here.
    """
    honcho.send_signal(signal.SIGINT)
    try:
        return honcho.wait(timeout=STOP_SECONDS)
    except subprocess.TimeoutExpired:
        _say("honcho did not stop its processes in time; ending them")
    for sig in (signal.SIGTERM, signal.SIGKILL):
        try:
            os.killpg(honcho.pid, sig)
        except ProcessLookupError:
            break
        try:
            return honcho.wait(timeout=10)
        except subprocess.TimeoutExpired:
            continue
    return honcho.wait()


def main() -> int:
    signal.signal(signal.SIGTERM, _sigterm_as_interrupt)
    DATA.mkdir(exist_ok=True)
    env = dict(os.environ)
    # Procfile commands (uvicorn, python) must resolve to this interpreter's environment.
    env["PATH"] = f"{Path(sys.executable).parent}{os.pathsep}{env.get('PATH', '')}"
    env.setdefault("PORT", "8000")
    env.setdefault("HOST", "127.0.0.1")  # the Procfile's web line binds $HOST (0.0.0.0 without it)
    env.setdefault("DEBUG", "1")
    key_file = _secret_key_file()
    env.setdefault("SECRET_KEY", key_file.read_text().strip())
    recorded = {"DEBUG": env["DEBUG"], "SECRET_KEY_FILE": str(key_file)}
    env.setdefault("METRICS_DIR", str(DATA / "metrics"))
    env.setdefault("METRICS_TOKEN", _secret_key_file("metrics_token").read_text().strip())
    metrics_dir_wipe(Path(env["METRICS_DIR"]))
    redis = None
    if not env.get("REDIS_URL"):
        redis = EmbeddedRedis(dir=DATA / "redis", port=int(env.get("EMBEDDED_REDIS_PORT", "6390")))
        try:
            _say(redis.start())
        except EmbeddedRedisError as exc:
            _say(f"cannot start the embedded Redis: {exc}")
            return 1
        env["REDIS_URL"] = redis.url
        recorded[RUN_ID] = redis.run_id
    dev_env_write({"REDIS_URL": env["REDIS_URL"], **recorded})
    _say(f"Redis {env['REDIS_URL']}, recorded in {DATA / 'dev.env'} for manage.py and make admin/manage")
    honcho = [sys.executable, "-m", "honcho", "start", "-f", str(ROOT / "Procfile"), "-p", env["PORT"]]
    # A session of its own: Ctrl-C reaches the launcher, which stops honcho (and, failing that,
    # its whole process group: `_stop`).
    proc = subprocess.Popen(honcho, env=env, cwd=ROOT, start_new_session=True)
    try:
        host = "127.0.0.1" if env["HOST"] in ("0.0.0.0", "::") else env["HOST"]
        base = f"http://{host}:{env['PORT']}"
        return _watch(proc, redis, (base, welcome(base, env["METRICS_TOKEN"])))
    except KeyboardInterrupt:
        return _stop(proc)
    finally:
        if redis is not None:
            redis.stop()


if __name__ == "__main__":
    sys.exit(main())
