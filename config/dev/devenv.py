"""The development environment `make run` records in `.data/dev.env`, for every other command.

`make run` writes the Redis URL, DEBUG and the local secret key file it runs with; manage.py,
asgi.py and wsgi.py fill the variables that are unset from it, so `manage.py create_admin` in
the same checkout writes into the same Redis as the running app. Nothing is recorded in a
production deployment, so there nothing changes. No Django here: it runs before the settings.
"""
from __future__ import annotations

import os
import sys
from pathlib import Path
from typing import IO, MutableMapping

ROOT = Path(__file__).resolve().parents[2]
DEV_ENV = ROOT / ".data" / "dev.env"
RUN_ID = "EMBEDDED_REDIS_RUN_ID"  # the embedded server's INFO run_id, read back before use
_SAID = "QUIZBOARD_DEV_ENV_SAID"  # set once said, so child processes do not repeat it


class ForeignRedis(SystemExit):
    """The recorded embedded Redis's port is now served by another server: refuse to use it."""


def dev_env_write(values: dict[str, str], path: Path = DEV_ENV) -> None:
    """Record the environment `make run` runs with (owner-only: it names the secret key file)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    lines = ["# Written by `make run`: the environment every command of this checkout uses."]
    lines += [f"{name}={value}" for name, value in values.items()]
    path.write_text("\n".join(lines) + "\n")
    path.chmod(0o600)


def dev_env_read(path: Path = DEV_ENV) -> dict[str, str]:
    """Return the recorded variables, or {} when nothing is recorded."""
    try:
        text = path.read_text()
    except FileNotFoundError:
        return {}
    pairs = (line.split("=", 1) for line in text.splitlines() if "=" in line and not line.startswith("#"))
    return {name.strip(): value.strip() for name, value in pairs}


def redis_run_id(url: str, timeout: float = 1.0) -> str | None:
    """Return the run_id of the Redis at `url`, or None when nothing answers there."""
    import redis

    from config.redis.errors import REDIS_DOWN

    client = redis.Redis.from_url(url, socket_timeout=timeout, socket_connect_timeout=timeout)
    try:
        return client.info("server").get("run_id")
    except REDIS_DOWN:
        return None
    finally:
        client.close()


def dev_env_load(environ: MutableMapping[str, str] = os.environ, stream: IO[str] = sys.stderr, path: Path = DEV_ENV) -> bool:
    """Fill unset variables from the recorded environment and say once which Redis is used.

    Only when REDIS_URL is unset: an explicit REDIS_URL means another environment (production,
    tests), whose settings must not be mixed with the recorded ones.
    """
    if environ.get("REDIS_URL"):
        return False
    recorded = dev_env_read(path)
    if not recorded.get("REDIS_URL"):
        return False
    url = recorded["REDIS_URL"]
    run_id, found = recorded.get(RUN_ID), None
    if run_id:
        found = redis_run_id(url)
        if found is not None and found != run_id:
            raise ForeignRedis(
                f"quizboard: {url} (recorded by `make run` in {path}) is now served by another Redis "
                f"server, not this checkout's embedded one; not using it. Start `make run` again."
            )
    environ["REDIS_URL"] = url
    environ.setdefault("DEBUG", recorded.get("DEBUG", "1"))
    key_file = recorded.get("SECRET_KEY_FILE")
    if key_file and not environ.get("SECRET_KEY") and Path(key_file).exists():
        environ["SECRET_KEY"] = Path(key_file).read_text().strip()
    if not environ.get(_SAID):
        state = "" if run_id is None or found is not None else "; nothing answers there: is `make run` running?"
        print(f"quizboard: using Redis {url} (recorded by `make run` in {path}){state}", file=stream)
        environ[_SAID] = "1"
    return True
