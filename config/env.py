"""The one place that reads settings from the environment (12-factor)."""
from __future__ import annotations

import os
from dataclasses import dataclass
from urllib.parse import quote, unquote

from django.core.exceptions import ImproperlyConfigured

_TRUE = {"1", "true", "yes", "on"}
_FALSE = {"0", "false", "no", "off", ""}


def env_str(name: str, default: str | None = None) -> str | None:
    """Return the variable as text, or `default` when unset."""
    return os.environ.get(name, default)


def env_bool(name: str, default: bool = False) -> bool:
    """Return the variable as a boolean (1/true/yes/on or 0/false/no/off)."""
    raw = os.environ.get(name)
    if raw is None:
        return default
    value = raw.strip().lower()
    if value in _TRUE:
        return True
    if value in _FALSE:
        return False
    raise ImproperlyConfigured(f"{name} must be a boolean, got {raw!r}")


def env_int(name: str, default: int) -> int:
    """Return the variable as an integer."""
    raw = os.environ.get(name)
    if raw is None or raw.strip() == "":
        return default
    try:
        return int(raw)
    except ValueError as exc:
        raise ImproperlyConfigured(f"{name} must be an integer, got {raw!r}") from exc


def env_float(name: str, default: float) -> float:
    """Return the variable as a float."""
    raw = os.environ.get(name)
    if raw is None or raw.strip() == "":
        return default
    try:
        return float(raw)
    except ValueError as exc:
        raise ImproperlyConfigured(f"{name} must be a number, got {raw!r}") from exc


def env_list(name: str, default: list[str]) -> list[str]:
    """Return a comma-separated variable as a list of non-empty items."""
    raw = os.environ.get(name)
    if raw is None:
        return list(default)
    return [item.strip() for item in raw.split(",") if item.strip()]


SENTINEL_SCHEME = "redis+sentinel"


@dataclass(frozen=True)
class RedisAddress:
    """A role's Redis: a plain `redis://` URL, or a Sentinel-monitored primary.

    `redis+sentinel://[:password@]host1:port1,host2:port2/<master_name>/<db>` names the
    Sentinels, the monitored primary and the db; the password is the primary's (and its
    replicas'), never sent to the Sentinels. Each library is handed these parts for its own
    Sentinel support; nothing here connects.
    """

    url: str
    sentinels: tuple[tuple[str, int], ...] = ()
    master_name: str = ""
    db: int = 0
    password: str | None = None

    @property
    def is_sentinel(self) -> bool:
        return bool(self.sentinels)

    @property
    def location(self) -> str:
        """The URL a redis-py pool is built from (for Sentinel, the master name as its host)."""
        if not self.is_sentinel:
            return self.url
        auth = f":{quote(self.password, safe='')}@" if self.password else ""
        return f"redis://{auth}{self.master_name}/{self.db}"


def parse_redis_url(raw: str, *, name: str = "REDIS_URL") -> RedisAddress:
    """Parse a role's URL once: `redis://`, `rediss://`, `unix://` or `redis+sentinel://`."""
    if not raw.startswith(f"{SENTINEL_SCHEME}://"):
        return RedisAddress(url=raw)
    rest = raw[len(SENTINEL_SCHEME) + 3:]
    password = None
    if "@" in rest:
        auth, rest = rest.rsplit("@", 1)
        password = unquote(auth.split(":", 1)[1] if ":" in auth else auth) or None
    hosts, _, path = rest.partition("/")
    parts = [p for p in path.split("/") if p]
    problem = f"{name} must look like {SENTINEL_SCHEME}://host:port,host:port/<master_name>/<db>, got {raw!r}"
    if not hosts or not 1 <= len(parts) <= 2:
        raise ImproperlyConfigured(problem)
    sentinels = []
    for item in hosts.split(","):
        host, sep, port = item.strip().rpartition(":")
        if not sep or not host or not port.isdigit():
            raise ImproperlyConfigured(problem)
        sentinels.append((host.strip("[]"), int(port)))
    db = parts[1] if len(parts) == 2 else "0"
    if not db.isdigit():
        raise ImproperlyConfigured(problem)
    return RedisAddress(url=raw, sentinels=tuple(sentinels), master_name=parts[0], db=int(db), password=password)


def env_redis(name: str, default: str) -> RedisAddress:
    """Return a role's Redis address from the variable, or from `default` when unset or empty."""
    raw = os.environ.get(name, "").strip() or default
    return parse_redis_url(raw, name=name)
