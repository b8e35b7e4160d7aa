"""Development launcher behind `make run`: an embedded Redis when REDIS_URL is unset, then
every Procfile process under honcho. Ctrl-C stops them all, the embedded Redis last.

It records the environment it runs with in `.data/dev.env` (config/dev/devenv.py), so every other
command of this checkout uses the same Redis. If the embedded Redis dies, it says so and stops.
"""
from __future__ import annotations

import os
import secrets
import signal
import subprocess
import sys
from pathlib import Path

from config.dev.devenv import RUN_ID, dev_env_write
from config.dev.embedded_redis import EmbeddedRedis, EmbeddedRedisError

ROOT = Path(__file__).resolve().parents[2]
DATA = ROOT / ".data"
WATCH_SECONDS = 0.5  # how often the launcher checks that the embedded Redis still runs


def _secret_key_file() -> Path:
    path = DATA / "secret_key"
    if not path.exists():
        path.write_text(secrets.token_urlsafe(48))
        path.chmod(0o600)
    return path


def _sigterm_as_interrupt(signum, frame) -> None:
    raise KeyboardInterrupt


def _say(message: str) -> None:
    print(f"make run: {message}", flush=True)


def _watch(honcho: subprocess.Popen, redis: EmbeddedRedis | None) -> int:
    """Wait for honcho to end; stop it and fail if the embedded Redis dies first."""
    while True:
        try:
            return honcho.wait(timeout=WATCH_SECONDS)
        except subprocess.TimeoutExpired:
            pass
        if redis is not None and not redis.alive():
            _say(
                f"the embedded redis-server on 127.0.0.1:{redis.port} died ({redis.exit_status()}); "
                f"stopping. {redis.log_tail()}"
            )
            honcho.send_signal(signal.SIGINT)
            honcho.wait()
            return 1


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
    proc = subprocess.Popen(honcho, env=env, cwd=ROOT)
    try:
        return _watch(proc, redis)
    except KeyboardInterrupt:
        proc.send_signal(signal.SIGINT)
        return proc.wait()
    finally:
        if redis is not None:
            redis.stop()


if __name__ == "__main__":
    sys.exit(main())
