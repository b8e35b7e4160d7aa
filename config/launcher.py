"""Development launcher behind `make run`: an embedded Redis when REDIS_URL is unset, then
every Procfile process under honcho. Ctrl-C stops them all, the embedded Redis last."""
from __future__ import annotations

import os
import secrets
import signal
import subprocess
import sys
from pathlib import Path

from config.embedded_redis import redis_server_binary

ROOT = Path(__file__).resolve().parent.parent
DATA = ROOT / ".data"


def _secret_key() -> str:
    path = DATA / "secret_key"
    if not path.exists():
        path.write_text(secrets.token_urlsafe(48))
        path.chmod(0o600)
    return path.read_text().strip()


def _start_embedded_redis(port: int) -> subprocess.Popen:
    redis_dir = DATA / "redis"
    redis_dir.mkdir(parents=True, exist_ok=True)
    args = [
        redis_server_binary(), "--port", str(port), "--bind", "127.0.0.1",
        "--dir", str(redis_dir), "--appendonly", "yes", "--appendfsync", "everysec",
        "--save", "", "--logfile", str(redis_dir / "redis.log"),
    ]
    # Its own session: Ctrl-C reaches the app processes, not Redis, which we stop after them.
    proc = subprocess.Popen(args, start_new_session=True)
    print(f"embedded redis-server (AOF in {redis_dir}) on 127.0.0.1:{port}", flush=True)
    return proc


def _sigterm_as_interrupt(signum, frame) -> None:
    raise KeyboardInterrupt


def main() -> int:
    signal.signal(signal.SIGTERM, _sigterm_as_interrupt)
    DATA.mkdir(exist_ok=True)
    env = dict(os.environ)
    # Procfile commands (daphne, python) must resolve to this interpreter's environment.
    env["PATH"] = f"{Path(sys.executable).parent}{os.pathsep}{env.get('PATH', '')}"
    env.setdefault("PORT", "8000")
    env.setdefault("DEBUG", "1")
    env.setdefault("SECRET_KEY", _secret_key())
    redis_proc = None
    if not env.get("REDIS_URL"):
        port = int(env.get("EMBEDDED_REDIS_PORT", "6390"))
        redis_proc = _start_embedded_redis(port)
        env["REDIS_URL"] = f"redis://127.0.0.1:{port}/0"
    honcho = [sys.executable, "-m", "honcho", "start", "-f", str(ROOT / "Procfile"), "-p", env["PORT"]]
    proc = subprocess.Popen(honcho, env=env, cwd=ROOT)
    try:
        return proc.wait()
    except KeyboardInterrupt:
        proc.send_signal(signal.SIGINT)
        return proc.wait()
    finally:
        if redis_proc is not None:
            redis_proc.terminate()
            redis_proc.wait(timeout=10)


if __name__ == "__main__":
    sys.exit(main())
