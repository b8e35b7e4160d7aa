"""The server lineups `make bench` compares: one command line per (server, interface) pair."""
from __future__ import annotations

import importlib.util
import sys

from bench.common import VENV_BIN, Server, app_env
from config.dev.embedded_redis import free_port

ASGI = {"app": "config.asgi:application", "baseline": "bench.baseline.asgi:application"}
WSGI = {"app": "config.wsgi:application", "baseline": "bench.baseline.wsgi:application"}
BASELINE_SETTINGS = "bench.baseline.settings"


def _bin(name: str) -> str:
    return str(VENV_BIN / name)


def _daphne(target: str, port: int, workers: int) -> list[str]:
    # daphne has no worker processes of its own: one process whatever `workers` says.
    return [sys.executable, "-m", "daphne", "-b", "127.0.0.1", "-p", str(port), target]


def _uvicorn(target: str, port: int, workers: int) -> list[str]:
    return [
        _bin("uvicorn"), target, "--host", "127.0.0.1", "--port", str(port), "--workers", str(workers),
        "--loop", "uvloop", "--http", "httptools", "--no-access-log", "--log-level", "warning",
    ]


def _granian(interface: str):
    def argv(target: str, port: int, workers: int) -> list[str]:
        return [
            _bin("granian"), "--interface", interface, "--host", "127.0.0.1", "--port", str(port),
            "--workers", str(workers), "--loop", "uvloop", "--log-level", "warning", target,
        ]

    return argv


def _gunicorn(worker_class: str | None):
    def argv(target: str, port: int, workers: int) -> list[str]:
        extra = ["-k", worker_class] if worker_class else []
        return [
            _bin("gunicorn"), *extra, "-w", str(workers), "-b", f"127.0.0.1:{port}",
            "--log-level", "warning", target,
        ]

    return argv


# Levers: config.asgi without the fast reads (every request through Django, as FAST_READS=0),
# our HTTP through Django's own ASGI handler (config.asgi before a2wsgi), and the full stack
# with 2 HTTP threads per process instead of HTTP_THREADS.
FULL_STACK = {"app": "bench.asgi_variants:full_stack"}
DJANGO_ASGI = {"app": "bench.asgi_variants:django_asgi"}
WSGI_POOL2 = {"app": "bench.asgi_variants:wsgi_pool2"}
# The floor under every framework: bench/baseline/raw.py straight on uvicorn.
RAW = {"baseline": "bench.baseline.raw:application"}

# name -> (targets, argv builder, the modules that must be importable)
LINEUP = {
    "daphne": (ASGI, _daphne, ("daphne",)),
    "uvicorn": (ASGI, _uvicorn, ("uvicorn", "uvloop", "httptools")),
    "uvicorn-1-process": (ASGI, _uvicorn, ("uvicorn", "uvloop", "httptools")),
    "granian-asgi": (ASGI, _granian("asgi"), ("granian", "uvloop")),
    "gunicorn-uvicorn": (ASGI, _gunicorn("uvicorn.workers.UvicornWorker"), ("gunicorn", "uvicorn")),
    "gunicorn-sync": (WSGI, _gunicorn(None), ("gunicorn",)),
    "granian-wsgi": (WSGI, _granian("wsgi"), ("granian", "uvloop")),
    "uvicorn+full-stack": (FULL_STACK, _uvicorn, ("uvicorn", "uvloop", "httptools")),
    "uvicorn-raw": (RAW, _uvicorn, ("uvicorn", "uvloop", "httptools")),
    "uvicorn+django-asgi": (DJANGO_ASGI, _uvicorn, ("uvicorn", "uvloop", "httptools")),
    "uvicorn+2-threads": (WSGI_POOL2, _uvicorn, ("uvicorn", "uvloop", "httptools")),
}


# Servers that run one process whatever the process count asked for (daphne has no workers; the
# other is the WEB_CONCURRENCY lever: 1 process against the lineup's count).
ONE_PROCESS = {"daphne", "uvicorn-1-process"}


def processes(name: str, workers: int) -> int:
    """How many processes server `name` runs when the lineup asks for `workers`."""
    return 1 if name in ONE_PROCESS else workers


def available(name: str) -> bool:
    """Whether the server's packages are installed (granian or gunicorn may be missing)."""
    return all(importlib.util.find_spec(mod) is not None for mod in LINEUP[name][2])


def server(name: str, which: str, redis_url: str, workers: int, **env: str) -> Server:
    """Build (not start) server `name` serving `which` ("app" or "baseline")."""
    targets, argv, _ = LINEUP[name]
    workers = processes(name, workers)
    port = free_port()
    if which == "baseline":
        env.setdefault("DJANGO_SETTINGS_MODULE", BASELINE_SETTINGS)
    env.setdefault("WEB_CONCURRENCY", str(workers))
    return Server(
        name=f"{which}-{name}-{workers}",
        argv=argv(targets[which], port, workers),
        env=app_env(redis_url, **env),
        port=port,
    )
